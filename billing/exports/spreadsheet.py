"""CSV (for a French Excel: `;`, UTF-8 BOM, decimal comma; streamed) and XLSX (typed cells, totals, frozen header)."""

import csv
from collections.abc import Iterator
from tempfile import SpooledTemporaryFile
from typing import IO

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
    HEADERS,
    INTEGER,
    MONEY,
    NUMBER,
    french_text,
    line_rows,
    neutralise,
)
from billing.models import Statement
from billing.queries import statement_doctor_totals

BOM = "\ufeff"
EURO_FORMAT = '#,##0.00\\ "€";\\-#,##0.00\\ "€"'
DATE_FORMAT = "DD/MM/YYYY"
DAYS_FORMAT = "0.0#"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="000091")


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_rows(statement: Statement, rows_per_chunk: int = 500) -> Iterator[str]:
    """The CSV, as a stream of text chunks: BOM and header first, then lines read 2,000 at a time."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow(HEADERS)
    chunk: list[str] = []
    for row in line_rows(statement):
        chunk.append(writer.writerow([french_text(c, c.read(row, statement)) for c in COLUMNS]))
        if len(chunk) >= rows_per_chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _cell(ws, column, value):
    if column.kind in (MONEY, NUMBER, INTEGER, DATE) or value is None:
        cell = WriteOnlyCell(ws, value=value)
        if column.kind == MONEY:
            cell.number_format = EURO_FORMAT
        elif column.kind == DATE:
            cell.number_format = DATE_FORMAT
        elif column.kind == NUMBER:
            cell.number_format = DAYS_FORMAT
        return cell
    return WriteOnlyCell(ws, value=_inert(str(value)))


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
    for row in line_rows(statement):
        ws.append([_cell(ws, c, c.read(row, statement)) for c in COLUMNS])
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
