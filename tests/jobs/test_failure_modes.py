"""Failure modes: Redis down, SMTP failing, a worker dying mid-task. Nothing is lost, nothing is sent twice."""

import html
import logging
import socket
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from config.celery import app
from missions.jobs import run_reminders
from missions.models import Booking
from missions.services import book_slot
from notifications import relay
from notifications.models import Message
from notifications.outbox import ask_for_relay, deferred_relay, enqueue
from operations.tasks import TASKS


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_broker_connections() -> None:
    """Forget the broker connection pools the app holds, so the next publish connects to the broker URL afresh.
    (They stay open in kombu's registry, keyed by URL, for when the URL is restored.)"""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(monkeypatch):
    """The app publishes for real (not eagerly) to a Redis that is not there."""
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", dead)  # Celery reads the environment before its configuration
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = dead
    app.conf.task_always_eager = False
    reset_broker_connections()
    yield
    monkeypatch.undo()
    app.conf.broker_url, app.conf.task_always_eager = saved
    reset_broker_connections()


@pytest.mark.django_db(transaction=True)
def test_redis_down_booking_succeeds_and_its_mail_waits_for_the_relay(
    redis_down, doctor, slot, site_member, mailoutbox, caplog
):
    caplog.set_level(logging.WARNING, logger="notifications.outbox")
    started = time.monotonic()

    booking = book_slot(doctor=doctor, slot=slot, by=doctor.user)  # commits: the relay is asked for, and fails

    assert time.monotonic() - started < 3, "a dead broker must not hold the request"
    assert "could not be queued" in caplog.text
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.REQUESTED
    waiting = Message.objects.filter(kind="booking_requested")
    assert sorted(waiting.values_list("recipient", flat=True)) == sorted([site_member.email, slot.site.contact_email])
    assert set(waiting.values_list("status", flat=True)) == {Message.Status.PENDING}
    assert mailoutbox == []

    assert relay.relay() == 2  # the periodic relay, once Redis is back

    assert sorted(m.to[0] for m in mailoutbox) == sorted([site_member.email, slot.site.contact_email])
    assert set(waiting.values_list("status", flat=True)) == {Message.Status.SENT}


@pytest.mark.django_db
def test_smtp_failing_retries_with_backoff_then_fails_then_admin_resends(
    make_booking, today, now, settings, admin_client
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    settings.OUTBOX_MAX_ATTEMPTS = 3
    make_booking(today + timedelta(days=7), status=Booking.Status.REQUESTED)
    run_reminders(now=now)
    message = Message.objects.get()

    assert relay.relay(now=now) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == ("pending", 1, now + timedelta(minutes=1))
    assert "Connection" in message.last_error and message.claimed_at is None

    relay.relay(now=now + timedelta(seconds=30))  # backing off: not tried
    message.refresh_from_db()
    assert message.attempts == 1

    relay.relay(now=now + timedelta(minutes=1))
    message.refresh_from_db()
    assert (message.attempts, message.next_attempt_at) == (2, now + timedelta(minutes=6))

    relay.relay(now=now + timedelta(minutes=6))
    relay.relay(now=now + timedelta(days=1))
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", 3, None)

    listing = admin_client.get("/admin/notifications/message/?status__exact=failed")
    assert message.recipient in listing.content.decode()
    assert "Renvoyer les messages sélectionnés" in listing.content.decode()
    response = admin_client.post(
        "/admin/notifications/message/", {"action": "resend", "_selected_action": [message.pk]}, follow=True
    )
    assert "1 message remis en file d'envoi" in html.unescape(response.content.decode())
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    assert relay.relay() == 1
    assert [m.to for m in mail.outbox] == [[message.recipient]]


@pytest.mark.django_db
def test_backoff_grows_up_to_twelve_hours():
    assert [relay.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 5, 15, 30)]
    assert relay.backoff(20) == timedelta(hours=12)


@pytest.mark.django_db
def test_a_task_redelivered_after_its_worker_died_sends_no_duplicate(make_booking, doctor, site_emails, today):
    """acks_late: a worker killed after the task's work but before its ack gets the task again from the broker.
    Here the task body runs twice, as it does on redelivery (the real SIGKILL is in test_worker.py)."""
    make_booking(today + timedelta(days=7))

    TASKS["reminders"].apply()  # the first delivery: claims and enqueues, then the worker dies before acking
    TASKS["reminders"].apply()  # the redelivery
    relay.relay()
    relay.relay()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([doctor.user.email, *site_emails])


@pytest.mark.django_db
def test_one_relay_is_asked_per_transaction_and_per_job_run(doctor, django_capture_on_commit_callbacks):
    context = {"doctor": doctor, "days_since": 21, "ars_contact_email": "ars@exemple.fr"}
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        enqueue("cps_followup", to="a@exemple.fr", context=context, dedup_key="t:1")
        enqueue("cps_followup", to=["b@exemple.fr", "c@exemple.fr"], context=context, dedup_key="t:2")
    assert callbacks.count(ask_for_relay) == 1

    with django_capture_on_commit_callbacks() as callbacks, deferred_relay():
        for n in range(3):
            with transaction.atomic():
                enqueue("cps_followup", to="d@exemple.fr", context=context, dedup_key=f"u:{n}")
    assert callbacks.count(ask_for_relay) == 1
