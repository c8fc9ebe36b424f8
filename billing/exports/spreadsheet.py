"""CSV (for a French Excel: `;`, UTF-8 BOM, decimal comma; streamed) and XLSX (typed cells, totals, frozen header)."""

import csv
import io
from collections.abc import Callable, Iterator
from functools import partial
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from billing.exports.columns import (
    AMOUNT_COLUMN,
    COLUMNS,
    DATE,
    DAYS_COLUMN,
    FIELD_INDEX,
    HEADERS,
    INTEGER,
    MONEY,
    NUMBER,
    line_values,
    neutralise,
    row_texts,
)
from billing.models import Statement
from billing.queries import statement_doctor_totals

BOM = "\ufeff"
EURO_FORMAT = '#,##0.00\\ "€";\\-#,##0.00\\ "€"'
DATE_FORMAT = "DD/MM/YYYY"
DAYS_FORMAT = "0.0#"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="000091")


def csv_rows(statement: Statement, rows_per_chunk: int = 1000) -> Iterator[str]:
    """The CSV, as a stream of text chunks: BOM and header first, then the lines, a chunk at a time (read 5,000
    at a time from the database: memory stays flat whatever the statement's size)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    yield BOM + _take(buffer)
    texts = row_texts(statement)
    chunk: list[list[str]] = []
    for row in line_values(statement):
        chunk.append(texts(row))
        if len(chunk) >= rows_per_chunk:
            writer.writerows(chunk)
            yield _take(buffer)
            chunk = []
    if chunk:
        writer.writerows(chunk)
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    """What was written to `buffer` since the last call, leaving it empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


NUMBER_FORMATS = {MONEY: EURO_FORMAT, DATE: DATE_FORMAT, NUMBER: DAYS_FORMAT}


def _row_cells(ws, statement: Statement) -> Callable[[tuple], list]:
    """A function from a `line_values` tuple to the row to append: real numbers and dates in formatted cells,
    texts neutralised. One formatted cell per column is reused from row to row (a write-only sheet writes a
    row out when it is appended), rather than a cell made and styled for each of 1,700,000 values."""
    plan: list[tuple[int, Callable[[Any], Any]]] = []
    for column in COLUMNS:
        index = FIELD_INDEX[column.field] if column.field else 0
        if column.field is None:  # a value of the statement itself: the same on every line
            value = column.read({}, statement)
            constant = None if value is None else _inert(str(value))
            plan.append((index, lambda _, constant=constant: constant))
        elif column.kind in NUMBER_FORMATS:
            cell = WriteOnlyCell(ws)
            cell.number_format = NUMBER_FORMATS[column.kind]
            plan.append((index, partial(_refill, cell)))
        elif column.kind == INTEGER:
            plan.append((index, lambda raw: raw))
        else:
            plan.append((index, partial(_text, column, statement)))

    def cells(row: tuple) -> list:
        return [make(row[index]) for index, make in plan]

    return cells


def _refill(cell: WriteOnlyCell, value: Any) -> WriteOnlyCell:
    cell.value = value
    return cell


def _text(column, statement: Statement, raw: Any) -> str | None:
    value = column.value(raw, statement) if column.value is not None else raw
    return None if value is None else _inert(str(value))


def _inert(text: str) -> str:
    """A text cell neutralised, and without the control characters XLSX cannot hold (openpyxl raised: a 500)."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(text))


def _header(ws, headers) -> list:
    cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cells.append(cell)
    return cells


def _bold(ws, value, number_format: str | None = None):
    cell = WriteOnlyCell(ws, value=value)
    cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell


def statement_xlsx(statement: Statement) -> IO[bytes]:
    """The XLSX workbook in a temporary file (spooled to disk past 8 MB), positioned at its start.

    Sheet « Relevé »: one row per line (real numbers, € format, real dates), header frozen, a totals row.
    Sheet « Totaux par médecin »: days and amount per doctor.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Relevé")
    ws.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.append(_header(ws, HEADERS))
    cells = _row_cells(ws, statement)
    for row in line_values(statement):
        ws.append(cells(row))
    totals = [None] * len(COLUMNS)
    totals[0] = _bold(ws, f"Total ({statement.line_count} lignes)")
    totals[DAYS_COLUMN] = _bold(ws, statement.total_days, DAYS_FORMAT)
    totals[AMOUNT_COLUMN] = _bold(ws, statement.total_amount, EURO_FORMAT)
    ws.append(totals)

    per_doctor = wb.create_sheet("Totaux par médecin")
    per_doctor.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (20, 16, 14, 16, 10, 10, 14), strict=True):
        per_doctor.column_dimensions[letter].width = width
    per_doctor.append(
        _header(
            per_doctor,
            ("Nom", "Prénom", "RPPS", "N° Assurance Maladie dédié", "Lignes", "Jours", "Montant (€)"),
        )
    )
    for total in statement_doctor_totals(statement):
        days = WriteOnlyCell(per_doctor, value=total.days)
        days.number_format = DAYS_FORMAT
        amount = WriteOnlyCell(per_doctor, value=total.amount)
        amount.number_format = EURO_FORMAT
        per_doctor.append(
            [
                _inert(total.last_name),
                _inert(total.first_name),
                total.rpps,
                total.billing_number,
                total.line_count,
                days,
                amount,
            ]
        )
    per_doctor.append(
        [
            _bold(per_doctor, "Total"),
            None,
            None,
            None,
            _bold(per_doctor, statement.line_count),
            _bold(per_doctor, statement.total_days, DAYS_FORMAT),
            _bold(per_doctor, statement.total_amount, EURO_FORMAT),
        ]
    )

    out = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the caller (FileResponse) closes it
    wb.save(out)
    out.seek(0)
    return out
