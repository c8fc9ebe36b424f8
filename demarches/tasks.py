"""The webhook's task: read one dossier again, outside the request (DS waits 10 s at most for our answer)."""

from celery import shared_task

from demarches import services
from demarches.client import DsUnavailable


@shared_task(
    name="demarches.sync_dossier", ignore_result=True, autoretry_for=(DsUnavailable,), retry_backoff=60, max_retries=5
)
def sync_dossier(number: int) -> str:
    return services.sync_dossier(number)
