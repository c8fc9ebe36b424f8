"""The CPAM web space: statements of the agent's own CPAM, downloads, « marquer payé », billing numbers."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from billing.models import Statement
from billing.services import generate_statement, issue_statement
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def issued(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


@pytest.fixture
def foreign(attested_day, ars_staff):
    """Another CPAM's issued statement."""
    other = f.DoctorFactory()
    cpam = f.CpamFactory(department=other.practice_department)
    attested_day(other, datetime.date(2025, 10, 9))
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


@pytest.fixture
def agent_client(client, cpam_agent):
    client.force_login(cpam_agent)
    return client


def url(name, *args):
    return reverse(f"billing:{name}", args=args)


def test_anonymous_people_are_sent_to_login(client):
    response = client.get(url("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["doctor", "site_member"])
def test_people_without_a_cpam_role_are_refused(client, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(url("home")).status_code == 403


def test_the_agent_sees_their_cpams_issued_statements(
    agent_client, issued, foreign, cpam, ars_staff, django_assert_max_num_queries
):
    for month in range(1, 8):  # more statements, same number of queries
        Statement.objects.create(
            cpam=cpam,
            month=datetime.date(2025, month, 1),
            status=Statement.Status.ISSUED,
            generated_at=issued.generated_at,
            issued_at=issued.issued_at,
        )
    Statement.objects.create(cpam=cpam, month=datetime.date(2024, 12, 1), generated_at=issued.generated_at)
    with django_assert_max_num_queries(8):
        response = agent_client.get(url("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert issued.reference in page and "Octobre 2025" in page
    assert foreign.reference not in page
    assert "2025-07-" in page
    assert "2024-12-" not in page  # drafts are the ARS's preview


def test_statement_page_lines_totals_and_query_budget(agent_client, issued, doctor, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = agent_client.get(url("statement_detail", issued.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert doctor.rpps in page and "07/10/2025" in page and "08/10/2025" in page
    assert "300,00" in page
    assert "Marquer payé" in page
    assert url("statement_csv", issued.pk) in page
    for fmt in ("xlsx", "pdf"):  # prepared in the background: a « Préparer » button until the file is ready
        assert url("statement_export_prepare", issued.pk, fmt) in page


def test_another_cpams_statement_is_a_404_everywhere(agent_client, foreign):
    for name in ("statement_detail", "statement_csv", "statement_xlsx", "statement_pdf"):
        assert agent_client.get(url(name, foreign.pk)).status_code == 404
    assert agent_client.post(url("mark_paid", foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Statement.Status.ISSUED


def test_downloads(agent_client, issued, django_capture_on_commit_callbacks):
    response = agent_client.get(url("statement_csv", issued.pk))
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + issued.line_count

    # XLSX and PDF: « Préparer » (the job runs in-process here: no broker), then « Télécharger ».
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("statement_export_prepare", issued.pk, "xlsx"))
    assert response["Location"] == url("statement_export", issued.pk, "xlsx")
    response = agent_client.get(response["Location"])
    assert url("statement_export_file", issued.pk, "xlsx") in response.content.decode()
    response = agent_client.get(url("statement_export_file", issued.pk, "xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Relevé"]
    assert sheet.max_row == 1 + issued.line_count + 1  # header, lines, totals

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url("statement_export_prepare", issued.pk, "pdf"))
    response = agent_client.get(url("statement_export_file", issued.pk, "pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f"releve-cpam-{issued.reference}.pdf" in response["Content-Disposition"]


def test_mark_paid(agent_client, issued, cpam_agent):
    assert agent_client.get(url("mark_paid", issued.pk)).status_code == 405
    response = agent_client.post(url("mark_paid", issued.pk), follow=True)
    assert "est marqué payé" in response.content.decode()
    issued.refresh_from_db()
    assert (issued.status, issued.paid_by) == (Statement.Status.PAID, cpam_agent)
    response = agent_client.post(url("mark_paid", issued.pk), follow=True)
    assert "Impossible de passer" in response.content.decode()
    assert "Marquer payé</button>" not in response.content.decode()


def test_ars_staff_see_drafts_too(client, ars_staff, issued, foreign):
    client.force_login(ars_staff)
    page = client.get(url("home")).content.decode()
    assert issued.reference in page and foreign.reference in page


def test_billing_numbers_page_and_recording(agent_client, doctor, django_assert_max_num_queries):
    for _ in range(5):
        f.DoctorFactory(practice_commune=doctor.practice_commune)
    with django_assert_max_num_queries(8):
        response = agent_client.get(url("billing_numbers"))
    page = response.content.decode()
    assert doctor.rpps in page and doctor.practice_commune.name in page

    field = f"medecin-{doctor.pk}-billing_number"
    response = agent_client.post(url("record_billing_number", doctor.pk), {field: "69 123 4567"}, follow=True)
    assert "Numéro dédié enregistré" in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.billing_number == "691234567"
    assert doctor.rpps not in agent_client.get(url("billing_numbers")).content.decode()


def test_a_malformed_number_shows_the_error_on_the_field(agent_client, doctor):
    field = f"medecin-{doctor.pk}-billing_number"
    response = agent_client.post(url("record_billing_number", doctor.pk), {field: "12AB"})
    assert response.status_code == 400
    assert "de 8 à 20 chiffres" in response.content.decode()
    doctor.refresh_from_db()
    assert doctor.billing_number == ""


def test_another_cpams_doctor_is_a_404(agent_client):
    stranger = f.DoctorFactory()
    field = f"medecin-{stranger.pk}-billing_number"
    assert agent_client.post(url("record_billing_number", stranger.pk), {field: "691234567"}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.billing_number == ""


def test_recorded_numbers_are_listed_and_corrected(agent_client, doctor, django_assert_max_num_queries):
    doctor.billing_number = "691234567"
    doctor.billing_number_status = doctor.BillingNumberStatus.RECORDED
    doctor.save()
    f.DoctorFactory(billing_number="")  # another CPAM's, and none recorded: not listed
    with django_assert_max_num_queries(8):
        page = agent_client.get(url("billing_numbers"), {"vue": "enregistres"}).content.decode()
    assert doctor.rpps in page and 'value="691234567"' in page and "Corriger le numéro" in page
    assert "Voir et corriger les numéros déjà enregistrés" in agent_client.get(url("billing_numbers")).content.decode()

    field = f"medecin-{doctor.pk}-billing_number"
    response = agent_client.post(
        url("record_billing_number", doctor.pk), {field: "691234568", "vue": "enregistres"}, follow=True
    )
    assert "Numéro dédié enregistré" in response.content.decode()
    assert response.redirect_chain[-1][0].endswith("?vue=enregistres")
    doctor.refresh_from_db()
    assert doctor.billing_number == "691234568"
    # The rules hold for a correction too: a number already given to another doctor is refused.
    other = f.DoctorFactory(practice_commune=doctor.practice_commune, billing_number="691111111")
    refused = agent_client.post(
        url("record_billing_number", doctor.pk), {field: other.billing_number, "vue": "enregistres"}
    )
    assert refused.status_code == 400 and "déjà attribué" in refused.content.decode()
