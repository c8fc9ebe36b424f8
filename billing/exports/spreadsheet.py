"""CSV (for a French Excel: `;`, UTF-8 BOM, decimal comma; streamed) and XLSX (typed cells, totals, frozen header)."""

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.xml.functions import Element, SubElement

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
from missions.rules import plural_s

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
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


class _Line(tuple):
    """A line's values, appended to the sheet as one row that `_LinesWriter` writes."""


class _LinesWriter:
    """Writes the statement's lines into a write-only sheet as the XML openpyxl itself writes for them (the
    same elements, styles and numbers), one element per row, instead of going through a cell object and three
    nested XML writers per value: 1,700,000 values took 30 s of CPU that way. Headers and totals rows still go
    through openpyxl. Relies on two internals of openpyxl's write-only sheet (`_values_to_row` and the
    writer's `write_row`), checked by the tests that read the file back with openpyxl."""

    def __init__(self, ws, statement: Statement):
        ws._get_writer()
        self.epoch = ws.parent.epoch
        self.plan: list[tuple[str, int, str | None, Callable[..., Any] | None]] = []
        for letter, column in zip((get_column_letter(i) for i in range(1, len(COLUMNS) + 1)), COLUMNS, strict=True):
            index = FIELD_INDEX[column.field] if column.field else 0
            if column.field is None:  # a value of the statement itself: the same on every line
                value = column.read({}, statement)
                constant = None if value is None else _inert(str(value))
                self.plan.append((letter, index, None, lambda _, constant=constant: constant))
            elif column.kind in NUMBER_FORMATS:
                styled = WriteOnlyCell(ws)
                styled.number_format = NUMBER_FORMATS[column.kind]
                self.plan.append((letter, index, str(styled.style_id), None))
            elif column.kind == INTEGER:
                self.plan.append((letter, index, None, None))
            else:
                self.plan.append((letter, index, None, partial(_text, column, statement)))
        self._values_to_row, self._write_row = ws._values_to_row, ws._writer.write_row
        ws._values_to_row, ws._writer.write_row = self.values_to_row, self.write_row

    def values_to_row(self, values, row_idx: int):
        return values if isinstance(values, _Line) else self._values_to_row(values, row_idx)

    def write_row(self, xf, row, row_idx: int) -> None:
        if not isinstance(row, _Line):
            self._write_row(xf, row, row_idx)
            return
        number = str(row_idx)
        element = Element("row", {"r": number})
        for letter, index, style, text in self.plan:
            value = row[index]
            if text is not None:
                value = text(value)
                if value is None:
                    continue
                cell = SubElement(element, "c", {"r": letter + number, "t": "inlineStr"})
                if value:
                    inline = SubElement(
                        SubElement(cell, "is"), "t", {XML_SPACE: "preserve"} if value != value.strip() else {}
                    )
                    inline.text = value
                else:
                    cell.text = ""  # written <c …></c>, as openpyxl does
                continue
            if value is None:
                if style is not None:
                    SubElement(element, "c", {"r": letter + number, "s": style, "t": "n"}).text = ""
                continue
            if isinstance(value, date):
                value = to_excel(value, self.epoch)
            attributes = {"r": letter + number, "s": style, "t": "n"} if style else {"r": letter + number, "t": "n"}
            SubElement(SubElement(element, "c", attributes), "v").text = "%.16g" % value  # noqa: UP031 - as openpyxl
        xf.write(element)


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
    """The XLSX workbook in a temporary file (spooled to disk past 8 MB), positioned at its start."""
    out = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the caller closes it
    write_statement_xlsx(statement, out)
    out.seek(0)
    return out


PROGRESS_EVERY = 1000  # lines between two progress reports


def write_statement_xlsx(statement: Statement, out: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
    """Write the XLSX workbook of `statement` to `out`; `progress(lines written)` as the lines go.

    Sheet « Relevé »: one row per line (real numbers, € format, real dates), header frozen, a totals row.
    Sheet « Totaux par médecin »: days and amount per doctor.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Relevé")
    ws.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.append(_header(ws, HEADERS))
    _LinesWriter(ws, statement)
    number = 0
    for number, row in enumerate(line_values(statement), start=1):
        ws.append(_Line(row))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    if progress is not None:
        progress(number)
    totals = [None] * len(COLUMNS)
    totals[0] = _bold(ws, f"Total ({statement.line_count} ligne{plural_s(statement.line_count)})")
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

    wb.save(out)
