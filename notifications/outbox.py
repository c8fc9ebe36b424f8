"""Enqueue a message in the caller's transaction, and ask for one relay once it commits. Delivery is the relay's
job (notifications.relay), run by its task (notifications.tasks)."""

import logging
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from config.site_url import site_url
from notifications.models import Message
from notifications.tasks import ask_for_relay

logger = logging.getLogger(__name__)

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
    ctx = {"site_url": site_url(), **context}
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
    _insert(kind, subject, text, html, [(recipient, keys[recipient]) for recipient in recipients])
    _relay_after_commit()
    return len(recipients)


_COLUMNS = ("kind", "recipient", "subject", "body_text", "body_html", "dedup_key", "status", "attempts", "last_error")


def _insert(kind: str, subject: str, text: str, html: str, rows: list[tuple[str, str]]) -> None:
    """One INSERT of the messages, a key already used skipped (a concurrent transaction may have used it since the
    SELECT: it wins). What `bulk_create(ignore_conflicts=True)` sent, without composing it through the ORM on every
    booking (#20's profile: a tenth of the booking's CPU went to the outbox's two statements)."""
    connection = transaction.get_connection()
    qn = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = ", ".join(qn(c) for c in (*_COLUMNS, "created_at"))
    one = "(" + ", ".join(["%s"] * (len(_COLUMNS) + 1)) + ")"
    params: list[Any] = []
    for recipient, key in rows:
        params += [kind, recipient, subject, text, html, key, Message.Status.PENDING.value, 0, "", now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(Message._meta.db_table)} ({columns}) VALUES {', '.join([one] * len(rows))} "
            "ON CONFLICT DO NOTHING",
            params,
        )


class _RelayAsked:
    """Registered with `on_commit` just before `ask_for_relay`, so that one transaction asks for one relay.

    Django keeps both callbacks while the transaction (or the savepoint they were registered in) lives, and drops
    both together on a rollback: while this object is alive and not yet called, the current transaction already
    has its relay. Called at commit (before ask_for_relay), it is spent: the next transaction asks again. Only
    public API: no reading of the connection's list of callbacks."""

    __slots__ = ("__weakref__", "spent")

    def __init__(self) -> None:
        self.spent = False

    def __call__(self) -> None:
        self.spent = True


# Per database connection (each thread has its own): the _RelayAsked of its current transaction, if any.
_relay_asked: "weakref.WeakKeyDictionary[Any, weakref.ref[_RelayAsked]]" = weakref.WeakKeyDictionary()


def _relay_after_commit() -> None:
    """Ask for one relay after the current transaction commits (once per transaction, however many messages).
    Outside a transaction, `on_commit` runs at once: each autocommitted enqueue asks for its own relay."""
    if _relay_held.get():
        return
    deferred = _relay_deferred.get()
    if deferred is not None:
        deferred.append(True)
        return
    connection = transaction.get_connection()
    ref = _relay_asked.get(connection)
    asked = ref() if ref is not None else None
    if asked is not None and not asked.spent:
        return
    asked = _RelayAsked()
    _relay_asked[connection] = weakref.ref(asked)
    transaction.on_commit(asked)
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


def resend(message_ids: Iterable[int]) -> int:
    """Put failed (or sent) messages back in the queue, from the admin's « Renvoyer » action; relay soon."""
    with transaction.atomic():
        count = (
            Message.objects.filter(pk__in=list(message_ids))
            .exclude(status=Message.Status.PENDING)
            .update(status=Message.Status.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, last_error="")
        )
        if count:
            _relay_after_commit()
    return count
