"""The fast paths of the CSV and XLSX exports give exactly what the column list says, cell by cell: each is
compared with the obvious rendering (`Column.read` then `french_text`), on lines with awkward texts."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from billing.exports import COLUMNS, csv_rows, neutralise, statement_xlsx
from billing.exports.columns import DATE, INTEGER, MONEY, NUMBER, french_text, line_rows
from billing.services import generate_statement, issue_statement
from missions.services import correct_attestation
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NOVEMBER = datetime.date(2025, 11, 1)


@pytest.fixture
def november(doctor, other_doctor, cpam, attested_day, ars_staff, site):
    """November: a reversal of an October day (negative numbers, a note), two new days, awkward texts."""
    other_doctor.practice_department = doctor.practice_department
    other_doctor.first_name = "  Anne  "  # spaces kept as they are
    other_doctor.last_name = "@Dupont\x01"  # a formula trigger and a character XLSX cannot hold
    other_doctor.save()
    site.name = "Maison « Santé » & Co <1>"
    site.save()
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="-absent ; « vu »")
    attested_day(other_doctor, datetime.date(2025, 11, 4), period="morning")
    attested_day(doctor, datetime.date(2025, 11, 12))
    return generate_statement(cpam, NOVEMBER, by=ars_staff)


def test_csv_cells_are_the_french_texts_of_the_columns(november):
    text = "".join(csv_rows(november, rows_per_chunk=2))  # several chunks
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))

    expected = [[french_text(c, c.read(row, november)) for c in COLUMNS] for row in line_rows(november)]
    assert rows[1:] == expected
    assert len(expected) == 3
    assert any(cell.startswith("-") for row in expected for cell in row)  # the reversal's amounts
    assert "'@Dupont\x01" in [row[2] for row in rows]


def test_xlsx_cells_hold_the_values_of_the_columns(november):
    sheet = load_workbook(statement_xlsx(november))["Relevé"]
    rows = list(sheet.iter_rows(min_row=2, max_row=1 + november.line_count, values_only=True))

    for row, line in zip(rows, line_rows(november), strict=True):
        for column, value in zip(COLUMNS, row, strict=True):
            raw = column.read(line, november)
            if column.kind == DATE:
                assert value == datetime.datetime.combine(raw, datetime.time())
            elif column.kind in (MONEY, NUMBER):
                assert Decimal(str(value)) == raw
            elif column.kind == INTEGER:
                assert value == raw
            elif raw == "":
                assert value is None
            else:
                assert value == neutralise(str(raw)).replace("\x01", "\ufffd"), column.header
    names = [row[2] for row in rows]
    assert "'@Dupont\ufffd" in names
    assert "  Anne  " in [row[3] for row in rows]
    assert "Maison « Santé » & Co <1>" in [row[8] for row in rows]
    assert [row[14] for row in rows if row[1] == "Annulation"] == [-200]
    assert sheet.cell(row=2 + november.line_count, column=1).value == f"Total ({november.line_count} lignes)"
