"""Exports read back: CSV parsed, XLSX opened with openpyxl, PDF text extracted with pypdf; totals match."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.exports import COLUMNS, csv_rows, neutralise, statement_pdf, statement_xlsx
from billing.exports.columns import HEADERS, french_number
from billing.exports.responses import csv_response
from billing.services import generate_statement, issue_statement
from missions.services import correct_attestation
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

# Columns are only ever appended: this list may grow at its end, never change before.
PINNED_HEADERS = [
    "Référence du relevé",
    "Type de ligne",
    "Nom",
    "Prénom",
    "RPPS",
    "N° Assurance Maladie dédié",
    "Date de la mission",
    "Période",
    "Lieu d'accueil",
    "FINESS du lieu",
    "Commune du lieu",
    "Zone",
    "Fraction de journée",
    "Forfait journalier (€)",
    "Montant (€)",
    "Motif",
    "Identifiant de ligne",
]


@pytest.fixture
def statement(doctor, other_doctor, cpam, attested_day, ars_staff, site):
    """October: a full day and a half-day for `doctor`, a full day for `other_doctor`; November: a reversal."""
    site.finess = "010000024"  # leading zero: must survive as text
    site.save()
    other_doctor.practice_department = doctor.practice_department
    other_doctor.last_name = '=HYPERLINK("http://x")'
    other_doctor.save()
    doctor.billing_number, doctor.billing_number_status = "691234567", "recorded"
    doctor.save()
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 21), period="afternoon")
    attested_day(other_doctor, datetime.date(2025, 10, 14))
    return generate_statement(cpam, OCTOBER, by=ars_staff)


def parse_csv(statement):
    text = "".join(csv_rows(statement))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def decimal_fr(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_headers_are_only_ever_appended():
    assert list(HEADERS[: len(PINNED_HEADERS)]) == PINNED_HEADERS


def test_csv_for_a_french_excel(statement, doctor):
    rows = parse_csv(statement)

    assert rows[0] == list(HEADERS)
    body = rows[1:]
    assert len(body) == statement.line_count == 3
    column = {h: i for i, h in enumerate(HEADERS)}
    mine = [r for r in body if r[column["RPPS"]] == doctor.rpps]
    assert [r[column["Date de la mission"]] for r in mine] == ["07/10/2025", "21/10/2025"]
    assert [r[column["Montant (€)"]] for r in mine] == ["200,00", "100,00"]
    assert [r[column["Fraction de journée"]] for r in mine] == ["1", "0,5"]
    assert mine[0][column["N° Assurance Maladie dédié"]] == "691234567"
    assert mine[0][column["FINESS du lieu"]] == "010000024"
    assert mine[0][column["Référence du relevé"]] == statement.reference
    assert sum(decimal_fr(r[column["Montant (€)"]]) for r in body) == statement.total_amount == Decimal("500.00")


def test_csv_neutralises_formulas_in_text_but_not_negative_amounts(statement, doctor, cpam, ars_staff):
    column = {h: i for i, h in enumerate(HEADERS)}
    names = [r[column["Nom"]] for r in parse_csv(statement)[1:]]
    assert '\'=HYPERLINK("http://x")' in names

    issue_statement(statement, by=ars_staff)
    day = statement.lines.filter(doctor_rpps=doctor.rpps).first().booking
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="-absent @ ce jour")
    november = generate_statement(cpam, datetime.date(2025, 11, 1), by=ars_staff)
    [reversal] = parse_csv(november)[1:]
    assert reversal[column["Montant (€)"]] == "-200,00"
    assert reversal[column["Fraction de journée"]] == "-1"
    assert reversal[column["Type de ligne"]] == "Annulation"
    assert not reversal[column["Motif"]].startswith(("=", "+", "-", "@"))
    text, _ = pdf_text(november)
    assert "Remarques" in text and "Annule la ligne du relevé" in " ".join(text.split())


@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_every_formula_trigger(text):
    assert neutralise(text) == "'" + text


def test_neutralise_leaves_plain_text():
    assert neutralise("Dupont-Durand") == "Dupont-Durand"
    assert neutralise("") == ""


def test_french_numbers():
    assert french_number(Decimal("1234.5"), 2, grouping=" ") == "1 234,50"
    assert french_number(Decimal("-200"), 2) == "-200,00"
    assert french_number(Decimal("0.50"), None) == "0,5"
    assert french_number(Decimal("2.00"), None) == "2"


def test_csv_response_is_streamed_in_chunks(statement):
    response = csv_response(statement)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"releve-cpam-{statement.reference}.csv" in response["Content-Disposition"]
    chunks = list(csv_rows(statement, rows_per_chunk=1))
    assert len(chunks) == 1 + statement.line_count  # header, then one chunk per line here
    assert b"".join(response.streaming_content).decode("utf-8") == "".join(chunks)


def test_xlsx_has_typed_cells_totals_and_a_frozen_header(statement, doctor):
    workbook = load_workbook(statement_xlsx(statement))
    sheet = workbook["Relevé"]

    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=False))
    assert [c.value for c in rows[0]] == list(HEADERS)
    column = {h: i for i, h in enumerate(HEADERS)}
    lines, totals = rows[1:-1], rows[-1]
    assert len(lines) == 3
    first = lines[0]
    date_cell = first[column["Date de la mission"]]
    assert isinstance(date_cell.value, datetime.datetime) and date_cell.number_format == "DD/MM/YYYY"
    amount_cell = first[column["Montant (€)"]]
    assert isinstance(amount_cell.value, int | float) and "€" in amount_cell.number_format
    assert first[column["FINESS du lieu"]].value == "010000024"
    assert first[column["Identifiant de ligne"]].data_type == "n"
    names = [row[column["Nom"]].value for row in lines]
    assert '\'=HYPERLINK("http://x")' in names
    amounts = [Decimal(str(row[column["Montant (€)"]].value)) for row in lines]
    assert sum(amounts) == statement.total_amount
    assert Decimal(str(totals[column["Montant (€)"]].value)) == statement.total_amount == Decimal("500.00")
    assert Decimal(str(totals[column["Fraction de journée"]].value)) == statement.total_days

    per_doctor = list(workbook["Totaux par médecin"].iter_rows(values_only=True))
    assert per_doctor[0][0] == "Nom"
    mine = next(r for r in per_doctor if r[2] == doctor.rpps)
    assert (Decimal(str(mine[5])), Decimal(str(mine[6]))) == (Decimal("1.5"), Decimal("300"))
    assert Decimal(str(per_doctor[-1][6])) == statement.total_amount


def pdf_text(statement) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(statement_pdf(statement)))
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    return text, len(reader.pages)


def test_pdf_has_headers_lines_totals_and_period(statement, doctor, cpam):
    text, pages = pdf_text(statement)

    region = cpam.department.region.name
    assert f"Agence régionale de santé {region}" in text
    assert cpam.name in text
    assert "octobre 2025" in text
    assert "du 01/10/2025 au 31/10/2025" in text
    assert statement.reference in text
    assert "brouillon" in text  # a draft says so
    assert doctor.rpps in text and doctor.last_name in text
    assert "07/10/2025" in text and "21/10/2025" in text
    assert "Totaux par médecin" in text
    assert "300,00 €" in text  # doctor's total
    assert "Total du relevé : 3 lignes, 2,5 jours, 500,00 €" in text
    assert "Page 1 sur 1" in " ".join(text.split()) and pages == 1
    assert "'=HYPERLINK" not in text  # a PDF is read, not run: names stay as they are
    words = set(text.split())  # header cells wrap inside their column, so their lines interleave
    for column in COLUMNS:
        if column.pdf_width:
            assert set(column.header.split()) <= words, column.header


def test_a_long_pdf_repeats_the_header_and_numbers_pages(doctor, cpam, flat_rate, ars_staff, site):
    slots = [
        f.SlotFactory(site=site, date=datetime.date(2025, 10, 1) + datetime.timedelta(days=n), capacity=10)
        for n in range(15)
    ]
    for n in range(150):  # 150 doctors of this CPAM, one day each
        other = f.DoctorFactory(practice_commune=doctor.practice_commune)
        f.BookingFactory(doctor=other, slot=slots[n % 15], status="completed", consultations=5)
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    reader = PdfReader(io.BytesIO(statement_pdf(statement)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} sur {len(pages)}" in " ".join(text.split())
    # The header row repeated on the next page (drawn cell by cell: the words in the columns' order).
    assert " ".join(pages[1].split()).startswith("Type de ligne Nom Prénom RPPS N° Assurance Maladie dédié")
    assert "30 000,00 €" in pages[-1].replace("\xa0", " ")


# --- what the mission achieves: the consultations attested, appended last (issue 15) ------------------------------


def test_the_consultations_attested_are_the_last_column_everywhere(statement, doctor, cpam, ars_staff):
    assert HEADERS[-1] == "Consultations attestées"
    rows = parse_csv(statement)
    assert [r[-1] for r in rows[1:]] == ["12", "12", "12"]  # attested_day: 12 consultations a day
    sheet = load_workbook(statement_xlsx(statement), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(values) if row and row[0] == HEADERS[0])
    assert values[header][len(HEADERS) - 1] == "Consultations attestées"
    assert values[header + 1][len(HEADERS) - 1] == 12  # a number cell
    text, _ = pdf_text(statement)
    assert {"Consultations", "attestées"} <= set(text.split())

    # A corrected attestation: the reversal states the consultations it withdraws, negated (the column sums up).
    # A corrected count alone restates nothing: the line is what was paid (the dashboard reads the live count).
    issue_statement(statement, by=ars_staff)
    day = statement.lines.filter(doctor_rpps=doctor.rpps).first().booking
    correct_attestation(day, by=ars_staff, attended=True, consultations=20, reason="Erreur de saisie")
    assert generate_statement(cpam, datetime.date(2025, 11, 1), by=ars_staff) is None
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Absent en fait")
    november = generate_statement(cpam, datetime.date(2025, 11, 1), by=ars_staff)
    assert [(r[1], r[-1]) for r in parse_csv(november)[1:]] == [("Annulation", "-12")]


def test_one_line_one_day_is_said_in_the_singular(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    single = generate_statement(cpam, OCTOBER, by=ars_staff)
    text, _ = pdf_text(single)
    assert "Total du relevé : 1 ligne, 1 jour, 200,00 €" in text
    sheet = load_workbook(statement_xlsx(single)).active
    assert "Total (1 ligne)" in [row[0] for row in sheet.iter_rows(values_only=True)]
