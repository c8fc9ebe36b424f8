"""Every background job, declared once: its `run_job` name, its function, its schedule and its description.

From this table come `manage.py run_job` (operations/management/commands/run_job.py), the Celery tasks
(operations/tasks.py) and beat's schedule (settings.CELERY_BEAT_SCHEDULE). To add a job: write its function in its
app (`run(now=None, dry_run=False) -> JobReport`, see notifications.jobs) and add one `Job(...)` here.

The job functions are named by their dotted path and imported when run: this module stays importable from the
settings, before the apps are loaded.

Schedules are in Europe/Paris time (CELERY_TIMEZONE). Nothing runs between 02:00 and 03:00: on the nights clocks
change, that hour is skipped (March) or happens twice (October), so a job scheduled in it would not run, or run
twice. A declaration in that hour is refused here, and tests/jobs/test_schedule.py holds it too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery.schedules import crontab
from django.utils.module_loading import import_string

# The hours (Europe/Paris) in which no job may be scheduled.
QUIET_HOURS = frozenset({2})


@dataclass(frozen=True)
class Job:
    name: str  # `manage.py run_job NAME`
    function: str  # dotted path of the plain function, in its app: run(now=None, dry_run=False) -> JobReport
    schedule: crontab  # Paris time
    description: str  # French: ARS staff read it in `run_job --help`
    task: str  # the Celery task's name: workers, beat and the README know it, keep it stable
    beat_entry: str  # the entry's name in beat's schedule (its logs and its schedule file): keep it stable
    options: dict[str, Any] = field(default_factory=dict)  # publishing options of beat's sends
    # A task its app declares itself, instead of one derived here (dotted path); see the relay below.
    declared_task: str | None = None

    def __post_init__(self) -> None:
        if self.schedule.hour & QUIET_HOURS:
            raise ValueError(f"Job {self.name} may fire at {sorted(self.schedule.hour & QUIET_HOURS)} h (Paris).")

    @property
    def run(self) -> Callable[..., Any]:
        return import_string(self.function)


JOBS: dict[str, Job] = {
    job.name: job
    for job in [
        Job(
            "reminders",
            "missions.jobs.run_reminders",
            crontab(minute=0, hour=8),
            "Rappels J-7 et J-1 aux médecins et aux lieux d'accueil",
            task="missions.reminders",
            beat_entry="booking-reminders",
        ),
        Job(
            "confirmations",
            "missions.jobs.run_confirmation_reminders",
            crontab(minute=15, hour=8),
            "Relances des réservations non confirmées (lieu), alerte ARS la veille",
            task="missions.confirmation_reminders",
            beat_entry="confirmation-reminders",
        ),
        Job(
            "attestations",
            "missions.jobs.run_attestation_reminders",
            crontab(minute=0, hour=9),
            "Relances d'attestation après la journée, alerte ARS après 7 jours",
            task="missions.attestation_reminders",
            beat_entry="attestation-reminders",
        ),
        Job(
            "cps",
            "missions.jobs.run_cps_followup",
            crontab(minute=0, hour=10),
            "Suivi de la carte CPS 21 jours après la validation",
            task="missions.cps_followup",
            beat_entry="cps-followup",
        ),
        Job(
            "statements",
            "billing.jobs.run_monthly_statements",
            crontab(minute=0, hour=6, day_of_month=1),
            "Relevés CPAM du mois précédent et avis aux CPAM",
            task="billing.monthly_statements",
            beat_entry="monthly-statements",
        ),
        Job(
            "digest",
            "missions.jobs.run_coverage_digest",
            crontab(minute=0, hour=7, day_of_week="mon"),
            "Synthèse hebdomadaire de la couverture pour l'équipe ARS",
            task="missions.coverage_digest",
            beat_entry="coverage-digest",
        ),
        # The outbox relay: every minute, and right after each commit that enqueued mail. That second trigger is
        # the outbox's own (notifications.outbox asks for the task by itself, and notifications imports no other
        # app), so notifications.tasks declares the task; this entry schedules it and lets `run_job relay` run it.
        Job(
            "relay",
            "notifications.jobs.run_relay",
            crontab(minute="*", hour="0-1,3-23"),
            "Envoi des messages en attente (file d'envoi)",
            task="notifications.relay_outbox",
            beat_entry="outbox-relay",
            options={"expires": 55},  # a relay still queued when the next one is due is dropped
            declared_task="notifications.tasks.relay_outbox",
        ),
        Job(
            "planning",
            "planning.jobs.run_plans",
            crontab(minute=30, hour=7),
            "Suivi des propositions de planning ; planning du mois suivant pour les régions qui l'ont programmé",
            task="planning.plans",
            beat_entry="planning",
        ),
        Job(
            "demarches",
            "demarches.jobs.run_sync",
            crontab(minute="*/15", hour="0-1,3-23"),
            "Import des dossiers Démarches Simplifiées modifiés (médecins volontaires)",
            task="demarches.sync",
            beat_entry="demarches-sync",
        ),
        Job(
            "demarches_decisions",
            "demarches.jobs.run_decisions",
            crontab(minute="*/5", hour="0-1,3-23"),
            "Envoi à Démarches Simplifiées des décisions de l'ARS (acceptation, refus)",
            task="demarches.send_decisions",
            beat_entry="demarches-decisions",
        ),
        # The ARS dashboard reads the coverage precomputed by this job (missions.coverage): its figures are at
        # most five minutes old, and the page says when they were counted.
        Job(
            "coverage",
            "missions.jobs.run_coverage_refresh",
            crontab(minute="*/5", hour="0-1,3-23"),
            "Couverture des zones par mois pour le tableau de bord ARS (recalcul)",
            task="missions.coverage_refresh",
            beat_entry="coverage-refresh",
        ),
        # What ARS staff see of doctors reads missions.DoctorRegion, kept on every write of its rule's inputs:
        # this compares it with the rule recomputed from scratch, repairs and logs any drift.
        Job(
            "doctor_regions",
            "missions.jobs.run_doctor_regions_check",
            crontab(minute=45, hour=4),
            "Contrôle des régions des médecins (visibilité ARS) : écarts réparés et signalés",
            task="missions.doctor_regions_check",
            beat_entry="doctor-regions-check",
        ),
        Job(
            "retention",
            "missions.jobs.run_retention",
            crontab(minute=30, hour=4),
            "Purge des requêtes idempotentes et des messages envoyés échus (durées : voir le README)",
            task="missions.retention",
            beat_entry="retention",
        ),
    ]
}


def beat_schedule(jobs: dict[str, Job]) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE) of `jobs`."""
    return {
        job.beat_entry: {
            "task": job.task,
            "schedule": job.schedule,
            **({"options": job.options} if job.options else {}),
        }
        for job in jobs.values()
    }


BEAT_SCHEDULE = beat_schedule(JOBS)
