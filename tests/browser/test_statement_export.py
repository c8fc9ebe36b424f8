"""The progress page of a statement's PDF, in Chromium: « Préparer », the bar moving as the job records progress
(static/js/export-progress.js polling the JSON state), then « Télécharger » once the job is done. The test plays
the worker (it records progress, then runs the job) and waits for what the page shows, never for a time."""

import datetime

import pytest
from playwright.sync_api import Page, expect

from billing.exports import background
from billing.models import StatementExport
from billing.services import generate_statement
from tests import factories as f
from tests.browser.test_personas import log_in, watch_console

pytestmark = [pytest.mark.browser]


def test_the_progress_bar_follows_the_job_then_offers_the_file(page: Page, live_server, world, shoot, monkeypatch):
    ars, site = world["ars"], world["site"]
    cpam = f.CpamFactory(department=world["zone"].department)
    doctor = f.DoctorFactory(practice_commune=world["commune"], zones=[world["zone"]])
    for day in (6, 7, 8, 9):
        slot = f.SlotFactory(site=site, date=datetime.date(2025, 10, day))
        f.BookingFactory(doctor=doctor, slot=slot, status="completed", consultations=8)
    statement = generate_statement(cpam, datetime.date(2025, 10, 1), by=ars)
    queued: list[int] = []
    monkeypatch.setattr(background, "enqueue", queued.append)  # the test is the worker
    problems = watch_console(page)

    log_in(page, live_server.url, ars.email)
    page.goto(f"{live_server.url}/cpam/releves/{statement.pk}/")
    page.get_by_role("button", name="Préparer le fichier PDF").click()
    expect(page.get_by_text("Préparation en cours…")).to_be_visible()
    bar = page.locator("progress#progression")
    expect(bar).to_have_attribute("value", "0")
    [export_id] = queued

    StatementExport.objects.filter(pk=export_id).update(status=StatementExport.Status.RUNNING, rows_done=1)
    expect(page.get_by_text("1 ligne sur 4 (25 %).")).to_be_visible()
    expect(bar).to_have_js_property("value", 25)
    shoot("cpam-statement-pdf-progress")

    StatementExport.objects.filter(pk=export_id).update(status=StatementExport.Status.PENDING)
    assert background.run_export(export_id) == "ready"
    download_link = page.get_by_role("link", name="Télécharger")
    expect(download_link).to_be_visible()  # the page was loaded again when the job ended
    shoot("cpam-statement-pdf-ready")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == f"releve-cpam-{statement.reference}.pdf"

    # The statement's page now offers the PDF at once, and still « Préparer » for the XLSX.
    page.get_by_role("link", name="Retour au relevé").click()
    expect(page.get_by_role("link", name="Télécharger le fichier PDF")).to_be_visible()
    expect(page.get_by_role("button", name="Préparer le fichier Excel (XLSX)")).to_be_visible()
    shoot("cpam-statement-files")
    assert problems == []
