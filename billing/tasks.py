"""Celery tasks of billing: one line each, the work is in billing.jobs."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from billing import jobs


@shared_task(
    name="billing.monthly_statements",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=60,
    max_retries=5,
)
def monthly_statements() -> dict:
    return jobs.run_monthly_statements().as_dict()
