"""SMTP down for a quarter of an hour: nothing is lost, nothing fails for good. A relay run stops at the first
transport error (one attempt spent, not one per message), retries with growing delays over hours, and sends
everything once the server is back. The server is a closed port; the clock is moved with time-machine."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from notifications import relay, tasks
from notifications.models import Message
from notifications.outbox import enqueue
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2


def pending_messages(count: int) -> None:
    doctor = f.DoctorFactory.build(last_name="Lefèvre", rpps="10000000000")
    for i in range(count):
        enqueue(
            "doctor_rejected",
            to=f"personne-{i}@exemple.fr",
            context={"doctor": doctor, "reason": "essai"},
            dedup_key=f"outage:{i}",
        )


def test_a_relay_run_stops_at_the_first_transport_error(smtp_down):
    with time_machine.travel(START, tick=False):
        pending_messages(5)
        assert tasks.relay_as_task() == 0  # the task: it must not chain runs over the whole backlog either
    attempts = sorted(Message.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 0, 0, 1]
    tried = Message.objects.get(attempts=1)
    assert tried.status == Message.Status.PENDING
    assert "Connection" in tried.last_error


def test_fifteen_minutes_without_smtp_fail_nothing(smtp_down, settings):
    with time_machine.travel(START, tick=False) as clock:
        pending_messages(30)
        for _minute in range(16):  # beat runs the relay every minute
            tasks.relay_as_task()
            clock.shift(timedelta(minutes=1))
        assert not Message.objects.filter(status=Message.Status.FAILED).exists()
        assert Message.objects.filter(attempts=0).count() >= 30 - 16

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
        for _minute in range(120):
            tasks.relay_as_task()
            clock.shift(timedelta(minutes=1))
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.SENT}
    assert len(mail.outbox) == 30


def test_a_message_fails_for_good_only_after_a_day_of_retries(smtp_down, settings):
    assert sum((relay.backoff(n) for n in range(1, settings.OUTBOX_MAX_ATTEMPTS)), timedelta()) >= timedelta(hours=24)
    with time_machine.travel(START, tick=False) as clock:
        pending_messages(1)
        message = Message.objects.get()
        while message.status == Message.Status.PENDING:
            relay.relay()
            message.refresh_from_db()
            if message.next_attempt_at:
                clock.move_to(message.next_attempt_at)
        assert message.attempts == settings.OUTBOX_MAX_ATTEMPTS
        assert datetime.now(UTC) - START >= timedelta(hours=24)
