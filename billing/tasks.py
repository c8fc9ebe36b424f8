"""The statement exports' task (found by Celery's autodiscovery): one line that runs billing.exports.background."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from billing.exports import background


@shared_task(
    name="billing.build_statement_export",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=5,
)
def build_statement_export(export_id: int) -> str:
    return background.run_export(export_id)
