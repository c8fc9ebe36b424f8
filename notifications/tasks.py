"""The outbox relay's Celery task, and how it is asked for.

notifications.outbox asks for it after each commit that enqueued mail (and beat runs it every minute: its
schedule is in operations/jobs.py, which refers to this task). The task is declared here, not derived by
operations like the other jobs' tasks, because notifications imports no other app: outbox → tasks → relay.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from notifications import relay

logger = logging.getLogger(__name__)

# Publishing « relay now » to a broker that is down must cost the caller (a web request) well under a second.
RELAY_SOON_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# Set while a relay task is queued and has not started yet (see ask_for_relay).
RELAY_QUEUED_KEY = "notifications:outbox-relay-queued"


@shared_task(name="notifications.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    return relay_as_task()


def relay_as_task() -> int:
    """The relay task: clear the « relay queued » flag first (see ask_for_relay), relay a batch, and if
    messages are still due (a backlog larger than a batch, or committed meanwhile) queue the next run at once."""
    relay_started()
    sent, transport_failed = relay.relay_batch(relay.BATCH_SIZE, timezone.now())
    # Not after a transport failure: the next periodic run tries again (in eager mode, asking now would walk the
    # whole backlog within this call, one failed attempt per message).
    if not transport_failed and relay.due(timezone.now()).exists():
        ask_for_relay()
    return sent


def ask_for_relay() -> None:
    """After a commit that enqueued mail (or a relay that left due messages), ask a worker to relay now. If the broker is down the rows wait
    for the periodic relay: nothing is lost and the caller's request still succeeds (in under a second).

    With OUTBOX_RELAY_DEBOUNCE_SECONDS, a relay already queued and not yet started is enough: the flag set here
    is cleared by the task before it reads the outbox (relay_started), so that task reads after this commit and
    sends its messages. One task for a burst of bookings instead of one each."""
    debounce = settings.OUTBOX_RELAY_DEBOUNCE_SECONDS
    if debounce and not _flag_relay_queued(debounce):
        return
    try:
        relay_outbox.apply_async(retry=True, retry_policy=RELAY_SOON_RETRY_POLICY, expires=300)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the business transaction
        logger.warning("Outbox relay could not be queued; pending messages will go out on the next periodic run.")
        if debounce:
            relay_started()  # nothing is queued after all: the next commit must try again


def _flag_relay_queued(ttl: int) -> bool:
    """Set the « a relay is queued » flag; False if it was already set. A cache outage never blocks a relay."""
    try:
        return bool(cache.add(RELAY_QUEUED_KEY, True, timeout=ttl))
    except Exception:  # noqa: BLE001 - without the cache, queue a relay every time, as without debouncing
        return True


def relay_started() -> None:
    """Called by the relay task before it reads the outbox: later commits must queue a relay of their own."""
    try:
        cache.delete(RELAY_QUEUED_KEY)
    except Exception:  # noqa: BLE001 - the flag expires on its own
        logger.warning("Outbox relay flag could not be cleared; it expires by itself.")
