"""A statement's PDF prepared by a real Celery worker (a subprocess, on its own queue, against the test PostgreSQL
database and the machine's Redis), into the MEDIA_ROOT the web process reads: the page's flow end to end."""

import datetime
import io
import os

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing.exports import background
from billing.models import StatementExport
from billing.services import generate_statement
from billing.tasks import build_statement_export
from tests.billing.conftest import OCTOBER
from tests.jobs.test_worker import DELIVERY_TIMEOUT, Worker, queue, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(queue, tmp_path, settings, monkeypatch):  # noqa: F811 (the queue fixture, imported above)
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))  # the worker writes where this process reads
    worker = Worker(queue, tmp_path)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def test_a_real_worker_prepares_the_pdf_that_the_page_then_offers(
    worker, doctor, cpam, attested_day, ars_staff, client, monkeypatch
):
    for day in (7, 8, 9):
        attested_day(doctor, datetime.date(2025, 10, day))
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)
    # Queued on the worker's own queue (parallel runs do not collide); the rest is the page's own flow.
    monkeypatch.setattr(
        background, "enqueue", lambda pk: build_statement_export.apply_async(args=[pk], queue=worker.queue)
    )
    client.force_login(ars_staff)
    client.post(reverse("billing:statement_export_prepare", args=[statement.pk, "pdf"]))
    export = StatementExport.objects.get(statement=statement, format="pdf")

    ready = StatementExport.objects.filter(pk=export.pk, status=StatementExport.Status.READY)
    assert wait_for(ready.exists, DELIVERY_TIMEOUT), worker.log
    export.refresh_from_db()
    assert (export.rows_done, export.rows_total, export.attempts) == (3, 3, 1)
    assert os.path.isfile(export.file.path)
    response = client.get(reverse("billing:statement_export_file", args=[statement.pk, "pdf"]))
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text().replace("\xa0", " ")
    assert "Total du relevé : 3 lignes, 3 jours, 600,00 €" in text
