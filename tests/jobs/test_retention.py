"""The retention job: recorded idempotent responses, bodies of sent messages and old sent messages are purged
after their periods (settings); pending and failed messages are kept; running it twice changes nothing more."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from api.models import IdempotentRequest
from missions.jobs import run_retention
from notifications.models import Message
from operations.jobs import JOBS
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 4, 30, tzinfo=UTC)


def message(key, status, sent_days_ago=None, created_days_ago=0):
    row = Message.objects.create(
        kind="doctor_rejected",
        recipient=f"{key}@exemple.fr",
        subject="Objet",
        body_text="Texte personnel",
        body_html="<p>Texte personnel</p>",
        dedup_key=key,
        status=status,
        sent_at=None if sent_days_ago is None else NOW - timedelta(days=sent_days_ago),
    )
    Message.objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=created_days_ago))
    return row


def idempotent(user, key, days_ago):
    row = IdempotentRequest.objects.create(
        user=user, key=key, scope="bookings", body_hash="x" * 64, response_status=201, response_body={}
    )
    IdempotentRequest.objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=days_ago))


def test_what_is_purged_and_what_is_kept(settings):
    user = f.UserFactory()
    idempotent(user, "old", days_ago=8)
    idempotent(user, "recent", days_ago=6)
    message("sent-recent", Message.Status.SENT, sent_days_ago=10)
    message("sent-month", Message.Status.SENT, sent_days_ago=31)
    message("sent-year", Message.Status.SENT, sent_days_ago=366)
    message("failed-old", Message.Status.FAILED, created_days_ago=400)
    message("pending-old", Message.Status.PENDING, created_days_ago=400)

    with time_machine.travel(NOW, tick=False):
        dry = JOBS["retention"].run(dry_run=True)
        assert dry.claimed == 3 and IdempotentRequest.objects.count() == 2  # a dry run writes nothing
        report = run_retention()

    assert report.claimed == 3
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    kept = {m.dedup_key: m for m in Message.objects.all()}
    assert set(kept) == {"sent-recent", "sent-month", "failed-old", "pending-old"}
    assert (kept["sent-month"].body_text, kept["sent-month"].body_html) == ("", "")
    assert kept["sent-month"].subject == "Objet"  # what was sent, to whom and when stays
    for key in ("sent-recent", "failed-old", "pending-old"):
        assert kept[key].body_text == "Texte personnel"

    with time_machine.travel(NOW, tick=False):
        assert run_retention().claimed == 0  # idempotent


def test_periods_are_settings(settings):
    settings.IDEMPOTENCY_RETENTION_DAYS = 1
    settings.OUTBOX_SENT_BODY_RETENTION_DAYS = 5
    user = f.UserFactory()
    idempotent(user, "two-days", days_ago=2)
    message("sent-week", Message.Status.SENT, sent_days_ago=7)
    with time_machine.travel(NOW, tick=False):
        assert run_retention().claimed == 2
    assert not IdempotentRequest.objects.exists()
    assert Message.objects.get().body_text == ""
