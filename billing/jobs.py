"""The monthly statements job, and the list of every background job (billing is the top of the dependency chain,
so this is the one place that can see them all: `run_job` and the tests walk `JOBS`)."""

from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from billing.models import month_label
from billing.notices import StatementReady
from billing.services import generate_statements
from missions import jobs as mission_jobs
from notifications.jobs import JobReport, enqueue_once, finish, run_relay
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
            line = f"{statement.cpam.name} : {statement.line_count} ligne(s), {statement.total_amount} €"
            enqueue_once(report, StatementReady(statement), line)
        if dry_run:
            transaction.set_rollback(True)
    return finish(report)


class Job(NamedTuple):
    run: Callable[..., JobReport]
    description: str  # French: ARS staff read it in `run_job --help`
    task: str  # the Celery task that beat runs (config/schedule.py)


JOBS: dict[str, Job] = {
    "reminders": Job(
        mission_jobs.run_reminders, "Rappels J-7 et J-1 aux médecins et aux lieux d'accueil", "missions.reminders"
    ),
    "confirmations": Job(
        mission_jobs.run_confirmation_reminders,
        "Relances des réservations non confirmées (lieu), alerte ARS la veille",
        "missions.confirmation_reminders",
    ),
    "attestations": Job(
        mission_jobs.run_attestation_reminders,
        "Relances d'attestation après la journée, alerte ARS après 7 jours",
        "missions.attestation_reminders",
    ),
    "cps": Job(
        mission_jobs.run_cps_followup, "Suivi de la carte CPS 21 jours après la validation", "missions.cps_followup"
    ),
    "statements": Job(
        run_monthly_statements, "Relevés CPAM du mois précédent et avis aux CPAM", "billing.monthly_statements"
    ),
    "digest": Job(
        mission_jobs.run_coverage_digest,
        "Synthèse hebdomadaire de la couverture pour l'équipe ARS",
        "missions.coverage_digest",
    ),
    "relay": Job(run_relay, "Envoi des messages en attente (file d'envoi)", "notifications.relay_outbox"),
    "retention": Job(
        mission_jobs.run_retention,
        "Purge des requêtes idempotentes et des messages envoyés échus (durées : voir le README)",
        "missions.retention",
    ),
}
