"""Celery tasks of missions: one line each, the work is in missions.jobs (plain, testable functions).

A database outage retries the task with a backoff; running a job again is always safe (each item is claimed).
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from missions import jobs

RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 60, "max_retries": 5}


@shared_task(name="missions.reminders", ignore_result=True, **RETRY)
def reminders() -> dict:
    return jobs.run_reminders().as_dict()


@shared_task(name="missions.confirmation_reminders", ignore_result=True, **RETRY)
def confirmation_reminders() -> dict:
    return jobs.run_confirmation_reminders().as_dict()


@shared_task(name="missions.attestation_reminders", ignore_result=True, **RETRY)
def attestation_reminders() -> dict:
    return jobs.run_attestation_reminders().as_dict()


@shared_task(name="missions.cps_followup", ignore_result=True, **RETRY)
def cps_followup() -> dict:
    return jobs.run_cps_followup().as_dict()


@shared_task(name="missions.coverage_digest", ignore_result=True, **RETRY)
def coverage_digest() -> dict:
    return jobs.run_coverage_digest().as_dict()


@shared_task(name="missions.retention", ignore_result=True, **RETRY)
def retention() -> dict:
    return jobs.run_retention().as_dict()
