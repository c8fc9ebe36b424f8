"""API v1 statements: lists and details scoped to the caller's CPAM, exports, generate/issue/mark-paid."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.models import Statement
from billing.services import generate_statement, issue_statement
from tests import factories as f
from tests.api.conftest import client_for
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

API = "/api/v1/statements/"


@pytest.fixture
def issued(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


@pytest.fixture
def foreign(attested_day, ars_staff):
    other = f.DoctorFactory()
    cpam = f.CpamFactory(department=other.practice_department)
    attested_day(other, datetime.date(2025, 10, 9))
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


def test_an_agent_lists_their_cpams_statements(cpam_agent, issued, foreign, django_assert_max_num_queries):
    client = client_for(cpam_agent)
    for month in range(1, 8):  # more statements, same number of queries
        Statement.objects.create(
            cpam=issued.cpam,
            month=datetime.date(2025, month, 1),
            status=Statement.Status.ISSUED,
            generated_at=issued.generated_at,
            issued_at=issued.issued_at,
        )
    with django_assert_max_num_queries(4):
        assert client.get(API).json()["count"] == 8
    response = client.get(API, {"month": "2025-10"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == issued.pk and row["reference"] == issued.reference
    assert (row["month"], row["status"], row["total_amount"], row["total_days"]) == (
        "2025-10",
        "issued",
        "300.00",
        "1.50",
    )
    assert row["downloads"]["csv"].endswith(f"/api/v1/statements/{issued.pk}/csv/")


def test_filters_by_month_and_cpam(ars_staff, issued, foreign):
    client = client_for(ars_staff)
    assert client.get(API, {"month": "2025-09"}).json()["count"] == 0
    assert {r["id"] for r in client.get(API, {"month": "2025-10"}).json()["results"]} == {issued.pk, foreign.pk}
    assert [r["id"] for r in client.get(API, {"cpam": foreign.cpam_id}).json()["results"]] == [foreign.pk]
    response = client.get(API, {"month": "octobre"})
    assert response.status_code == 400 and "AAAA-MM" in str(response.json())


def test_detail_has_lines_and_doctor_totals(cpam_agent, issued, doctor, django_assert_max_num_queries):
    client = client_for(cpam_agent)
    with django_assert_max_num_queries(5):
        response = client.get(f"{API}{issued.pk}/")
    body = response.json()
    assert [line["date"] for line in body["lines"]] == ["2025-10-07", "2025-10-08"]
    assert [line["amount"] for line in body["lines"]] == ["200.00", "100.00"]
    assert body["lines"][0]["doctor_rpps"] == doctor.rpps and body["lines"][0]["kind"] == "line"
    assert body["doctor_totals"] == [
        {
            "rpps": doctor.rpps,
            "last_name": doctor.last_name,
            "first_name": doctor.first_name,
            "billing_number": "",
            "line_count": 2,
            "days": "1.50",
            "amount": "300.00",
        }
    ]
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total_amount"])


def test_another_cpams_statement_is_a_404(cpam_agent, foreign):
    client = client_for(cpam_agent)
    for suffix in ("", "csv/", "xlsx/", "pdf/"):
        assert client.get(f"{API}{foreign.pk}/{suffix}").status_code == 404
    assert client.post(f"{API}{foreign.pk}/mark-paid/").status_code == 404


def test_exports_through_the_api(cpam_agent, issued, django_capture_on_commit_callbacks):
    client = client_for(cpam_agent)
    response = client.get(f"{API}{issued.pk}/csv/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert sum(Decimal(r[14].replace(",", ".")) for r in rows[1:]) == issued.total_amount

    # XLSX and PDF are prepared in the background: the first call starts the job (202, where to follow it); here
    # it runs in-process once the request commits (no broker), so the next call gets the file.
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get(f"{API}{issued.pk}/xlsx/")
    assert started.status_code == 202 and started["Location"] == started.json()["url"]
    response = client.get(f"{API}{issued.pk}/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Relevé"]
    assert Decimal(str(sheet.cell(row=sheet.max_row, column=15).value)) == issued.total_amount

    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"{API}{issued.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    response = client.get(f"{API}{issued.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text().replace("\xa0", " ")
    assert "300,00 €" in text


def test_a_missing_file_asked_as_csv_still_answers_404_in_json(cpam_agent):
    response = client_for(cpam_agent).get(f"{API}999999/csv/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 404


def test_ars_generates_a_month_then_issues(ars_staff, doctor, cpam, attested_day):
    attested_day(doctor, datetime.date(2025, 10, 7))
    client = client_for(ars_staff)

    response = client.post(f"{API}generate/", {"month": "2025-10"})
    assert response.status_code == 200
    [draft] = response.json()["statements"]
    assert (draft["status"], draft["total_amount"]) == ("draft", "200.00")
    assert client.post(f"{API}generate/", {"month": "2025-10"}).json()["statements"][0]["id"] == draft["id"]

    response = client.post(f"{API}{draft['id']}/issue/")
    assert response.status_code == 200 and response.json()["status"] == "issued"
    again = client.post(f"{API}generate/", {"month": "2025-10"}).json()
    assert again["statements"] == [] and [s["id"] for s in again["already_issued"]] == [draft["id"]]


def test_refusals_are_409_with_a_code(ars_staff, issued):
    client = client_for(ars_staff)
    response = client.post(f"{API}{issued.pk}/issue/")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = client.post(f"{API}generate/", {"month": "2999-01"})
    assert response.status_code == 409 and response.json()["code"] == "month_in_future"
    response = client.post(f"{API}generate/", {"month": "2025-13"})
    assert response.status_code == 400 and "month" in response.json()


def test_the_agent_marks_paid(cpam_agent, issued):
    response = client_for(cpam_agent).post(f"{API}{issued.pk}/mark-paid/")
    assert response.status_code == 200 and response.json()["status"] == "paid"
    issued.refresh_from_db()
    assert issued.status == Statement.Status.PAID
    response = client_for(cpam_agent).post(f"{API}{issued.pk}/mark-paid/")
    assert response.status_code == 409


def test_the_schema_describes_the_statements(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/statements/",
        "/api/v1/statements/{id}/",
        "/api/v1/statements/{id}/csv/",
        "/api/v1/statements/generate/",
        "/api/v1/statements/{id}/issue/",
        "/api/v1/statements/{id}/mark-paid/",
    ):
        assert path in paths, path
    assert "text/csv" in paths["/api/v1/statements/{id}/csv/"]["get"]["responses"]["200"]["content"]
