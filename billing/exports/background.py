"""The XLSX and PDF of a statement, prepared by a background job and kept until the statement changes.

A person (or an API client) asks for a format: `request_export` finds or creates the one job of that statement,
format and *content key* — a digest of everything the file shows besides its lines, which only change when a draft
is regenerated (that restamps `generated_at`) — and queues it once. Two clicks at once join one job: the database
holds (statement, format, key) unique. The task (billing.tasks) runs `run_export`: it claims the job with a
conditional UPDATE only one worker can win (a pending job, or a running one whose worker stopped giving news),
writes the file to a temporary file while recording its progress (lines written / lines to write), stores it in
the default storage (under MEDIA_ROOT, never served by URL) and marks it ready — unless the job was dropped or the
statement changed meanwhile. A file is offered only while its key is the statement's current one
(`current_export`): a stale file is never served. When a new version is asked for, the older files of that
statement and format are deleted.
"""

import hashlib
import logging
import tempfile
import time
from datetime import timedelta

from django.core.files import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.authority import require
from accounts.models import User
from billing.exports.document import write_statement_pdf
from billing.exports.spreadsheet import write_statement_xlsx
from billing.models import Statement, StatementExport

logger = logging.getLogger(__name__)

Format = StatementExport.Format
Status = StatementExport.Status

# Bumped when a builder changes what a file shows: every kept file is then prepared again.
LAYOUT_VERSION = "2"
# A running job that has not recorded progress for this long lost its worker: it may be claimed again.
STALE_AFTER = timedelta(minutes=2)
# Progress is written at most this often (seconds): a row update per second, not per thousand lines.
PROGRESS_INTERVAL = 0.5
BUILDERS = {Format.XLSX: write_statement_xlsx, Format.PDF: write_statement_pdf}
EXTENSIONS = {Format.XLSX: "xlsx", Format.PDF: "pdf"}
FAILED_MESSAGE = "La préparation du fichier a échoué. Réessayez ; si l'erreur persiste, prévenez l'équipe technique."
UNAVAILABLE_MESSAGE = (
    "Le service de préparation des fichiers est momentanément indisponible. Réessayez dans quelques minutes."
)
CHANGED_MESSAGE = "Le relevé a changé pendant la préparation : préparez à nouveau le fichier."


def content_key(statement: Statement) -> str:
    """A digest of what the XLSX and PDF of `statement` show, lines aside (they change only with `generated_at`).
    Reads the statement's CPAM, department and region (select them with it)."""
    cpam = statement.cpam
    department = cpam.department
    parts = (
        LAYOUT_VERSION,
        statement.pk,
        statement.status,
        statement.generated_at.isoformat() if statement.generated_at else "",
        statement.issued_at.isoformat() if statement.issued_at else "",
        statement.paid_at.isoformat() if statement.paid_at else "",
        statement.line_count,
        statement.total_days,
        statement.total_amount,
        cpam.name,
        cpam.address,
        cpam.email,
        department.code,
        department.name,
        department.region.name,
    )
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def filename(statement: Statement, fmt: str) -> str:
    return f"releve-cpam-{statement.reference}.{EXTENSIONS[Format(fmt)]}"


def current_export(statement: Statement, fmt: str) -> StatementExport | None:
    """The job of the statement's current version in `fmt`, if one was asked for (ready, running or failed)."""
    return StatementExport.objects.filter(statement=statement, format=fmt, content_key=content_key(statement)).first()


def is_current(export: StatementExport) -> bool:
    """Does this job's file still show the statement as it stands (re-read now)?"""
    statement = Statement.objects.select_related("cpam__department__region").get(pk=export.statement_id)
    return export.content_key == content_key(statement)


def request_export(statement: Statement, fmt: str, *, by: User) -> StatementExport:
    """Start, or join, the job preparing `statement` in `fmt` as it stands. A failed job is tried again; a job
    whose worker vanished (or whose queueing was lost) is queued again; a ready one is returned as it is."""
    require(by, "statement.export", statement)
    fmt = Format(fmt)
    key = content_key(statement)
    now = timezone.now()
    with transaction.atomic():
        export, created = StatementExport.objects.get_or_create(
            statement=statement,
            format=fmt,
            content_key=key,
            defaults={"requested_by": by, "requested_at": now, "rows_total": statement.line_count},
        )
        if created:
            transaction.on_commit(lambda: _drop_older(export))
            transaction.on_commit(lambda: enqueue(export.pk))
            return export
        stale = now - STALE_AFTER
        again = StatementExport.objects.filter(pk=export.pk).filter(
            Q(status=Status.FAILED)
            | Q(status__in=(Status.PENDING, Status.RUNNING), heartbeat_at__lt=stale)
            # pending and never started: its task was lost (a broker outage when it was queued)
            | Q(status=Status.PENDING, heartbeat_at__isnull=True, requested_at__lt=stale)
        )
        if again.update(status=Status.PENDING, error="", rows_done=0, requested_at=now, heartbeat_at=None):
            transaction.on_commit(lambda: enqueue(export.pk))
            export.refresh_from_db()
    return export


def enqueue(export_id: int) -> None:
    """Queue the job's task; if the broker cannot be reached, the job says so (in French) and may be asked again."""
    from billing.tasks import build_statement_export

    try:
        build_statement_export.apply_async(
            args=[export_id], retry=True, retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
        )
    except Exception:  # noqa: BLE001 - a broker outage must not fail the request: the person is told to retry
        logger.warning("Statement export %s could not be queued.", export_id, exc_info=True)
        StatementExport.objects.filter(pk=export_id, status=Status.PENDING).update(
            status=Status.FAILED, error=UNAVAILABLE_MESSAGE
        )


def _drop_older(export: StatementExport) -> None:
    """Delete the files and jobs of earlier versions of this statement in this format: they can never be served."""
    older = StatementExport.objects.filter(statement_id=export.statement_id, format=export.format).exclude(
        content_key=export.content_key
    )
    for old in older:
        old.delete()  # its file goes with it (billing.receivers.delete_export_file)


def run_export(export_id: int) -> str:
    """The task's work: claim the job, build its file with progress, store it, mark it ready. Safe to run twice
    (the claim); a database outage puts the job back to pending and raises (the task retries it)."""
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(status=Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    won = (
        StatementExport.objects.filter(pk=export_id)
        .filter(claimable)
        .update(status=Status.RUNNING, started_at=now, heartbeat_at=now, rows_done=0, attempts=F("attempts") + 1)
    )
    if not won:
        return "skipped"
    export = StatementExport.objects.select_related("statement__cpam__department__region").get(pk=export_id)
    statement = export.statement
    if content_key(statement) != export.content_key:  # changed since it was asked for: nobody will be offered it
        _finish(export_id, status=Status.FAILED, error=CHANGED_MESSAGE)
        return "outdated"
    try:
        with tempfile.TemporaryFile() as out:
            BUILDERS[Format(export.format)](statement, out, progress=_Progress(export_id))
            size = out.tell()
            out.seek(0)
            if not is_current(export):
                _finish(export_id, status=Status.FAILED, error=CHANGED_MESSAGE)
                return "outdated"
            name = export.file.field.generate_filename(export, filename(statement, export.format))
            stored = export.file.storage.save(name, File(out), max_length=300)
    except (OperationalError, InterfaceError):
        StatementExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
            status=Status.PENDING, heartbeat_at=None
        )
        raise
    except Exception:
        logger.exception("Statement export %s failed.", export_id)
        _finish(export_id, status=Status.FAILED, error=FAILED_MESSAGE)
        return "failed"
    if not _finish(export_id, status=Status.READY, file=stored, size=size, rows_done=F("rows_total")):
        export.file.storage.delete(stored)  # dropped (a newer version was asked for) or claimed again meanwhile
        return "dropped"
    return "ready"


def _finish(export_id: int, **changes) -> bool:
    return bool(
        StatementExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
            finished_at=timezone.now(), heartbeat_at=timezone.now(), **changes
        )
    )


class _Progress:
    """Records the lines written, at most every PROGRESS_INTERVAL seconds (and stamps the job's heartbeat)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.last = 0.0

    def __call__(self, rows_done: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        StatementExport.objects.filter(pk=self.export_id, status=Status.RUNNING).update(
            rows_done=rows_done, heartbeat_at=timezone.now()
        )
