"""The statements' XLSX and PDF, prepared by a background job (billing.exports.background): one job per version of
the statement, progress recorded, the file kept until the statement changes and never served once it has."""

import datetime
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from accounts.authority import may
from billing.exports import background
from billing.models import StatementExport
from billing.services import generate_statement, issue_statement, mark_statement_paid
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.usefixtures("fast_passwords")]

READY, PENDING, RUNNING, FAILED = (
    StatementExport.Status.READY,
    StatementExport.Status.PENDING,
    StatementExport.Status.RUNNING,
    StatementExport.Status.FAILED,
)


@pytest.fixture
def draft(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")
    return generate_statement(cpam, OCTOBER, by=ars_staff)


@pytest.fixture
def queued(monkeypatch):
    """The jobs queued (their ids), instead of running them: the test runs them when it wants."""
    ids: list[int] = []
    lock = threading.Lock()

    def enqueue(export_id: int) -> None:
        with lock:
            ids.append(export_id)

    monkeypatch.setattr(background, "enqueue", enqueue)
    return ids


def ask(statement, fmt, by, capture):
    with capture(execute=True):
        return background.request_export(statement, fmt, by=by)


@pytest.mark.django_db
def test_a_job_builds_the_file_with_its_progress_and_keeps_it(
    draft, ars_staff, queued, django_capture_on_commit_callbacks
):
    export = ask(draft, "xlsx", ars_staff, django_capture_on_commit_callbacks)
    assert (export.status, export.rows_total, queued) == (PENDING, draft.line_count, [export.pk])
    seen = []
    original = background._Progress.__call__

    def spy(self, rows_done):
        original(self, rows_done)
        seen.append(StatementExport.objects.values_list("status", "rows_done").get(pk=self.export_id))

    background._Progress.__call__ = spy
    try:
        assert background.run_export(export.pk) == "ready"
    finally:
        background._Progress.__call__ = original
    assert seen and all(status == RUNNING for status, _ in seen)  # progress recorded while running
    export.refresh_from_db()
    assert (export.status, export.rows_done, export.percent, export.attempts) == (READY, 2, 100, 1)
    sheet = load_workbook(export.file.open("rb"))["Relevé"]
    assert sheet.max_row == 1 + draft.line_count + 1
    assert background.run_export(export.pk) == "skipped"  # run twice (a retried task): nothing done twice
    # Asked again: the same job and file, nothing queued.
    again = ask(draft, "xlsx", ars_staff, django_capture_on_commit_callbacks)
    assert (again.pk, again.status, queued) == (export.pk, READY, [export.pk])


@pytest.mark.django_db
def test_a_stale_file_is_never_served(
    draft, doctor, cpam, attested_day, ars_staff, cpam_agent, client, queued, django_capture_on_commit_callbacks
):
    export = ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    background.run_export(export.pk)
    client.force_login(ars_staff)
    file_url = reverse("billing:statement_export_file", args=[draft.pk, "pdf"])
    assert client.get(file_url).status_code == 200
    old_name = StatementExport.objects.get(pk=export.pk).file.name

    # The draft is regenerated with one more day: the file no longer shows it.
    attested_day(doctor, datetime.date(2025, 10, 9))
    draft = generate_statement(cpam, OCTOBER, by=ars_staff)
    assert background.current_export(draft, "pdf") is None
    response = client.get(file_url)
    assert response.status_code == 302 and response["Location"].endswith(f"/{draft.pk}/pdf/")
    api = client.get(f"/api/v1/statement-exports/{export.pk}/file/")
    assert (api.status_code, api.json()["code"]) == (409, "export_outdated")
    assert client.get(f"/api/v1/statement-exports/{export.pk}/").json()["current"] is False

    # Asked again: a new job; the old file is deleted.
    fresh = ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    assert fresh.pk != export.pk and not StatementExport.objects.filter(pk=export.pk).exists()
    assert not fresh.file.storage.exists(old_name)
    background.run_export(fresh.pk)
    assert client.get(file_url).status_code == 200

    # Issued, then paid: each changes what the PDF says (its status line), so each needs a new file.
    issued = issue_statement(draft, by=ars_staff)
    assert background.current_export(issued, "pdf") is None
    ready = ask(issued, "pdf", ars_staff, django_capture_on_commit_callbacks)
    background.run_export(ready.pk)
    paid = mark_statement_paid(issued, by=cpam_agent)
    assert background.current_export(paid, "pdf") is None
    assert client.get(file_url).status_code == 302


@pytest.mark.django_db
def test_a_statement_changed_while_its_file_was_built_is_not_offered(
    draft, doctor, cpam, attested_day, ars_staff, queued, django_capture_on_commit_callbacks, monkeypatch
):
    export = ask(draft, "xlsx", ars_staff, django_capture_on_commit_callbacks)
    build = background.BUILDERS[StatementExport.Format.XLSX]

    def build_then_regenerate(statement, out, progress=None):
        build(statement, out, progress)
        attested_day(doctor, datetime.date(2025, 10, 10))
        generate_statement(cpam, OCTOBER, by=ars_staff)

    monkeypatch.setitem(background.BUILDERS, StatementExport.Format.XLSX, build_then_regenerate)
    assert background.run_export(export.pk) == "outdated"
    export.refresh_from_db()
    assert export.status == FAILED and not export.file


@pytest.mark.django_db
def test_a_failed_job_says_so_in_french_and_can_be_tried_again(
    draft, ars_staff, client, queued, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(statement, out, progress=None):
        raise ValueError("boom")

    monkeypatch.setitem(background.BUILDERS, StatementExport.Format.PDF, broken)
    export = ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    assert background.run_export(export.pk) == "failed"
    client.force_login(ars_staff)
    page = client.get(reverse("billing:statement_export", args=[draft.pk, "pdf"])).content.decode()
    assert "La préparation du fichier a échoué" in page and "Réessayer" in page
    state = client.get(reverse("billing:statement_export_state", args=[draft.pk, "pdf"])).json()
    assert (state["status"], state["download_url"]) == ("failed", None)

    monkeypatch.undo()
    monkeypatch.setattr(background, "enqueue", lambda export_id: queued.append(export_id))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("billing:statement_export_prepare", args=[draft.pk, "pdf"]))
    assert queued == [export.pk, export.pk]  # the same job, queued again
    assert background.run_export(export.pk) == "ready"
    state = client.get(reverse("billing:statement_export_state", args=[draft.pk, "pdf"])).json()
    assert state["status"] == "ready" and state["download_url"].endswith("/pdf/fichier/")


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_claimed_again(
    draft, ars_staff, queued, django_capture_on_commit_callbacks, time_machine
):
    export = ask(draft, "xlsx", ars_staff, django_capture_on_commit_callbacks)
    StatementExport.objects.filter(pk=export.pk).update(status=RUNNING, heartbeat_at=export.requested_at)
    assert background.run_export(export.pk) == "skipped"  # still running somewhere, as far as we know
    time_machine.move_to(export.requested_at + background.STALE_AFTER + datetime.timedelta(seconds=1))
    again = ask(draft, "xlsx", ars_staff, django_capture_on_commit_callbacks)
    assert again.status == PENDING and queued == [export.pk, export.pk]
    assert background.run_export(export.pk) == "ready"


@pytest.mark.django_db
def test_the_progress_page_without_javascript(draft, ars_staff, client, queued, django_capture_on_commit_callbacks):
    client.force_login(ars_staff)
    page_url = reverse("billing:statement_export", args=[draft.pk, "pdf"])
    assert "Préparer le fichier PDF" in client.get(page_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:statement_export_prepare", args=[draft.pk, "pdf"]))
    assert response["Location"] == page_url
    StatementExport.objects.filter(pk=queued[0]).update(status=RUNNING, rows_done=1)
    page = client.get(page_url).content.decode()
    assert 'max="100" value="50"' in page and "1 ligne sur 2 (50 %)" in page and "Actualiser" in page
    detail = client.get(reverse("billing:statement_detail", args=[draft.pk])).content.decode()
    assert "Fichier PDF : préparation en cours" in detail and "Préparer le fichier Excel (XLSX)" in detail


@pytest.mark.django_db
def test_only_who_may_export_the_statement_asks_or_follows(draft, ars_staff, ars_other_region, cpam_agent):
    assert may(ars_staff, "statement.export", draft)
    assert not may(ars_other_region, "statement.export", draft)
    assert not may(cpam_agent, "statement.export", draft)  # a draft is the ARS's: the CPAM sees issued ones
    issued = issue_statement(draft, by=ars_staff)
    assert may(cpam_agent, "statement.export", issued)
    other_cpam_agent = f.CpamMembershipFactory().user
    assert not may(other_cpam_agent, "statement.export", issued)


@pytest.mark.django_db
def test_the_api_answers_202_then_the_file(draft, ars_staff, queued, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(ars_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/api/v1/statements/{draft.pk}/xlsx/")
    body = response.json()
    assert response.status_code == 202 and response["Location"] == body["url"]
    assert (body["status"], body["rows_total"], body["file"], body["current"]) == ("pending", 2, None, True)
    assert client.get(body["url"]).json()["status"] == "pending"
    not_ready = client.get(f"/api/v1/statement-exports/{body['id']}/file/")
    assert (not_ready.status_code, not_ready.json()["code"]) == (409, "export_not_ready")
    # A second call joins the job (nothing more queued).
    assert client.get(f"/api/v1/statements/{draft.pk}/xlsx/").json()["id"] == body["id"] and len(queued) == 1

    background.run_export(body["id"])
    job = client.get(body["url"]).json()
    assert (job["status"], job["percent"]) == ("ready", 100)
    for url in (job["file"], f"/api/v1/statements/{draft.pk}/xlsx/"):
        response = client.get(url)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Relevé"]
        assert sheet.max_row == 1 + draft.line_count + 1


# --- two clicks at once start one job (PostgreSQL: real concurrent transactions) ------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_start_one_job(draft, ars_staff, cpam_agent, queued):
    issued = issue_statement(draft, by=ars_staff)
    people = [ars_staff, cpam_agent, ars_staff, cpam_agent]
    barrier = threading.Barrier(len(people))
    jobs, errors = [], []

    def click(person):
        try:
            barrier.wait(timeout=10)
            jobs.append(background.request_export(issued, "pdf", by=person).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(set(jobs)) == 1 and len(jobs) == len(people)
    assert StatementExport.objects.filter(statement=issued, format="pdf").count() == 1
    assert queued == jobs[:1]  # queued once, by the click that created it


@pytest.mark.django_db
def test_a_deleted_draft_takes_its_files_with_it(draft, ars_staff, queued, django_capture_on_commit_callbacks):
    export = ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    background.run_export(export.pk)
    export.refresh_from_db()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        draft.delete()  # what generation does to a draft left with nothing to state
    assert not StatementExport.objects.exists() and not storage.exists(name)


@pytest.mark.django_db
def test_a_broker_outage_is_said_in_french_and_the_click_can_be_repeated(
    draft, ars_staff, monkeypatch, django_capture_on_commit_callbacks
):
    from billing.tasks import build_statement_export

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(build_statement_export, "apply_async", down)
    export = ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert (export.status, export.error) == (FAILED, background.UNAVAILABLE_MESSAGE)
    monkeypatch.undo()  # the broker is back (no broker here: the task runs in-process)
    ask(draft, "pdf", ars_staff, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert export.status == READY
