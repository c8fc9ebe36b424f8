"""`manage.py outbox_status`: what monitoring checks (exit status 1 when mail is stuck or failed)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import Message

pytestmark = pytest.mark.django_db


def message(n: int, **fields) -> Message:
    return Message.objects.create(
        kind="test", recipient=f"p{n}@exemple.fr", subject="Objet", body_text="Texte", dedup_key=f"k{n}", **fields
    )


def status(*args) -> str:
    out = StringIO()
    call_command("outbox_status", *args, stdout=out)
    return out.getvalue()


def test_healthy_when_nothing_waits_long():
    message(1)  # just enqueued
    message(2, status=Message.Status.SENT, sent_at=timezone.now())

    assert "En attente : 1" in status() and "envoyés en 24 h : 1" in status()


def test_a_message_waiting_too_long_means_the_relay_is_not_running():
    Message.objects.filter(pk=message(1).pk).update(created_at=timezone.now() - timedelta(minutes=30))

    with pytest.raises(CommandError, match="le relais ne tourne pas"):
        status("--max-age", "10")


def test_a_message_backing_off_is_not_stuck():
    stale = message(1, next_attempt_at=timezone.now() + timedelta(minutes=8), attempts=4)
    Message.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    assert "En attente : 1" in status()


def test_failed_messages_are_reported():
    message(1, status=Message.Status.FAILED, attempts=5)

    with pytest.raises(CommandError, match="1 message en échec"):
        status()
