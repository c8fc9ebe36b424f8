"""Enqueue a message in the caller's transaction. Delivery is the relay's job (notifications.relay)."""

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string

from notifications.models import Message

logger = logging.getLogger(__name__)

# Publishing « relay now » to a broker that is down must cost the caller (a web request) well under a second.
RELAY_SOON_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# Set while a relay task is queued and has not started yet (see ask_for_relay).
RELAY_QUEUED_KEY = "notifications:outbox-relay-queued"
# While set, enqueued messages wait in the outbox for the next relay instead of being relayed at commit.
_relay_held: ContextVar[bool] = ContextVar("outbox_relay_held", default=False)
# While set (a job's run), commits ask for no relay; the job asks for one at its end (see deferred_relay).
_relay_deferred: ContextVar[list[bool] | None] = ContextVar("outbox_relay_deferred", default=None)


@contextmanager
def relay_held():
    """Enqueue without relaying at commit (demo data): the messages just sit in the outbox, status pending."""
    token = _relay_held.set(True)
    try:
        yield
    finally:
        _relay_held.reset(token)


def render(kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Subject, text body and HTML body of a message kind, from templates/notifications/<kind>/."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"notifications/{kind}/subject.txt", ctx).split())
    text = render_to_string(f"notifications/{kind}/body.txt", ctx).strip() + "\n"
    html = render_to_string(f"notifications/{kind}/body.html", ctx)
    return subject, text, html


def recipients_of(to: str | Iterable[str]) -> list[str]:
    """The distinct, normalised addresses of `to` (one message each)."""
    recipients = [to] if isinstance(to, str) else list(to)
    return sorted({r.strip().lower() for r in recipients if r and r.strip()})


def enqueue(
    kind: str, *, to: str | Iterable[str], context: Mapping[str, Any], dedup_key: str, new_key: bool = False
) -> int:
    """One message per recipient; a dedup key already used enqueues nothing (a retried transition is silent).

    Call it inside the transaction that changes the state, so the promise and the change commit together.
    One SELECT and one INSERT whatever the number of recipients; returns how many messages were added (0 when the
    key was already used for every recipient: callers such as offer_slot report « already sent » on it).
    `new_key=True` says the key names a row this transaction has just created, so no message can hold it yet:
    the SELECT is skipped (the INSERT still ignores a conflicting key).
    """
    keys = {recipient: f"{dedup_key}:{recipient}"[:255] for recipient in recipients_of(to)}
    if keys and not new_key:
        used = set(Message.objects.filter(dedup_key__in=keys.values()).values_list("dedup_key", flat=True))
        keys = {recipient: key for recipient, key in keys.items() if key not in used}
    recipients = list(keys)
    if not recipients:
        return 0
    subject, text, html = render(kind, context)
    Message.objects.bulk_create(
        [
            Message(
                kind=kind,
                recipient=recipient,
                subject=subject,
                body_text=text,
                body_html=html,
                dedup_key=keys[recipient],
            )
            for recipient in recipients
        ],
        ignore_conflicts=True,  # a concurrent transaction may have used a key since the SELECT: it wins
    )
    _relay_after_commit()
    return len(recipients)


def _relay_after_commit() -> None:
    """Ask for one relay after the current transaction commits (once per transaction, however many messages)."""
    if _relay_held.get():
        return
    deferred = _relay_deferred.get()
    if deferred is not None:
        deferred.append(True)
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is ask_for_relay for entry in connection.run_on_commit):
        return
    transaction.on_commit(ask_for_relay)


@contextmanager
def deferred_relay() -> Iterator[None]:
    """Within this block, commits that enqueue mail ask for no relay; one is asked for at the end, if needed.

    A job that claims a thousand bookings in a thousand small transactions queues one relay task, not a thousand.
    """
    if _relay_deferred.get() is not None:  # nested: the outermost block relays
        yield
        return
    asked: list[bool] = []
    token = _relay_deferred.set(asked)
    try:
        yield
    finally:
        _relay_deferred.reset(token)
        if asked:
            transaction.on_commit(ask_for_relay)  # at once, outside a transaction


def ask_for_relay() -> None:
    """After a commit that enqueued mail (or a relay that left due messages), ask a worker to relay now. If the broker is down the rows wait
    for the periodic relay: nothing is lost and the caller's request still succeeds (in under a second).

    With OUTBOX_RELAY_DEBOUNCE_SECONDS, a relay already queued and not yet started is enough: the flag set here
    is cleared by the task before it reads the outbox (relay_started), so that task reads after this commit and
    sends its messages. One task for a burst of bookings instead of one each."""
    from notifications.tasks import relay_outbox

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
