"""Celery tasks of the outbox: one line each, the work is in notifications.relay."""

from celery import shared_task

from notifications import relay


@shared_task(name="notifications.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    return relay.relay_as_task()
