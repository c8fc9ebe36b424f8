"""Delivery of the outbox: claim a row atomically, send it, record the outcome. Safe to run anywhere, any time.

A message that cannot be sent is retried with growing delays (1, 5, 15, 30 minutes, 1, 2, 4, 8 then 12 hours) and
marked `failed` after `OUTBOX_MAX_ATTEMPTS` attempts (10: about 28 hours); ARS staff see it in the admin and can put
it back in the queue (« Renvoyer »). A transport error (server unreachable, connection lost, timeout, refused
login) ends the run at once: the SMTP server is down for every message, so only the message being tried pays an
attempt and the others wait for the next run untouched — a 15-minute outage fails nothing. A refusal of one message
(its recipient or its content) is that message's alone: the run goes on. A relay killed between the SMTP hand-off and the status update leaves its claim behind: the
message is taken again after CLAIM_TIMEOUT, so delivery is at least once, never silently lost.

This module only delivers: the task that runs it, and asking for that task, are notifications.tasks; putting
messages in the queue (or back in it) is notifications.outbox. outbox → tasks → relay, never back.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.utils import timezone

from notifications.kinds import is_secret
from notifications.models import Message

logger = logging.getLogger(__name__)

# A claim older than this is considered abandoned (its worker died) and may be taken again.
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH_SIZE = 200


# Minutes to wait after the 1st, 2nd… failed attempt; the last one repeats.
BACKOFF_MINUTES = (1, 5, 15, 30, 60, 120, 240, 480, 720)


def backoff(attempts: int) -> timedelta:
    """1, 5, 15, 30 minutes, then 1, 2, 4, 8 and at most 12 hours."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


# Refusals of one message by a server that works: the next message may well go.
MESSAGE_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def is_transport_error(exc: Exception) -> bool:
    """The mail server (or the way to it) is failing, not this message: connection refused or lost, timeout, TLS,
    refused login. smtplib's errors are OSErrors too; those refusing one message are not transport errors."""
    return isinstance(exc, OSError) and not isinstance(exc, MESSAGE_REFUSALS)


def due(now: datetime):
    return (
        Message.objects.filter(status=Message.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
    )


def claim(message_id: int, now: datetime) -> bool:
    """A conditional UPDATE that only one worker can win."""
    return bool(due(now).filter(pk=message_id).update(claimed_at=now))


def send_one(message: Message, connection=None) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"X-Outbox-Id": str(message.pk)},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send(fail_silently=False)


def _record_failure(message: Message, exc: Exception, now: datetime) -> None:
    attempts = message.attempts + 1
    failed = attempts >= settings.OUTBOX_MAX_ATTEMPTS
    Message.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        status=Message.Status.FAILED if failed else Message.Status.PENDING,
        next_attempt_at=None if failed else now + backoff(attempts),
        claimed_at=None,
    )
    log = logger.error if failed else logger.warning
    log("Outbox message %s not sent (attempt %s%s): %s", message.pk, attempts, ", gave up" if failed else "", exc)


def relay(limit: int = BATCH_SIZE, now: datetime | None = None) -> int:
    """Send what is due, over one mail connection; return how many messages went out. Stops at the first
    transport error (see the module's docstring)."""
    return relay_batch(limit, now or timezone.now())[0]


def relay_batch(limit: int, now: datetime) -> tuple[int, bool]:
    """(messages sent, whether the run stopped on a transport error)."""
    sent = 0
    ids = list(due(now).order_by("created_at").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0, False
    connection = get_connection(fail_silently=False)
    try:
        for message_id in ids:
            if not claim(message_id, now):
                continue  # another relay took it
            message = Message.objects.get(pk=message_id)
            try:
                send_one(message, connection)
            except Exception as exc:  # noqa: BLE001 - any error is recorded, retried, then marked failed
                _record_failure(message, exc, now)
                if is_transport_error(exc):
                    logger.warning("Outbox relay stopped: mail server unavailable (%s); next run retries.", exc)
                    return sent, True
                _close_quietly(connection)  # a broken SMTP session is reopened for the next message
                continue
            erased = {"body_text": "", "body_html": ""} if is_secret(message.kind) else {}  # the link is theirs only
            Message.objects.filter(pk=message_id).update(
                status=Message.Status.SENT,
                sent_at=timezone.now(),
                attempts=message.attempts + 1,
                last_error="",
                next_attempt_at=None,
                **erased,
            )
            sent += 1
    finally:
        _close_quietly(connection)
    return sent, False


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - closing a dead SMTP session may fail; there is nothing left to do
        logger.debug("Mail connection close failed", exc_info=True)
