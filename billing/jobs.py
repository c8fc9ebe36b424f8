"""The monthly statements job (declared, scheduled and run by name in operations/jobs.py)."""

from contextlib import nullcontext
from datetime import date, datetime, timedelta

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from billing.models import month_label
from billing.notices import StatementReady
from billing.services import generate_statements
from notifications.jobs import JobReport, enqueue_once, finish
from notifications.outbox import deferred_relay


def previous_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def run_monthly_statements(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """On the 1st: the draft statement of the previous month for every CPAM with something to pay, and a notice to
    each CPAM that it is ready to check (once per statement). Generation is idempotent (billing.services): a second
    run refreshes the drafts to the same lines and sends nothing. Issued statements are left alone (R9).

    A dry run generates inside a transaction that is rolled back: the report is exact and nothing is written.
    """
    now = now or timezone.now()
    month = previous_month(timezone.localdate(now))
    report = JobReport(f"Relevés CPAM de {month_label(month)}", dry_run=dry_run)
    with deferred_relay(), transaction.atomic() if dry_run else nullcontext():
        result = generate_statements(month)
        for statement in result.statements:
            line = f"{statement.cpam.name} : {statement.line_count} ligne{pluralize(statement.line_count)}, {statement.total_amount} €"
            enqueue_once(report, StatementReady(statement), line)
        if dry_run:
            transaction.set_rollback(True)
    return finish(report)
