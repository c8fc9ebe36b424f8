"""The outbox: enqueue writes in the caller's transaction, one row per recipient, once per dedup key, with French
text and HTML; the relay sends after commit, marks sent, retries with backoff and gives up after
OUTBOX_MAX_ATTEMPTS — through real e-mail backends (locmem, and the failing ones of failing_backend.py)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from missions.pack import practical_pack
from missions.rules import MONTHS_FR
from notifications import outbox, relay
from notifications.models import Message
from notifications.outbox import enqueue
from tests import factories as f
from tests.notifications.failing_backend import BROKEN_DOMAIN

pytestmark = pytest.mark.django_db

FAILING = "tests.notifications.failing_backend.Backend"
SELECTIVE = "tests.notifications.failing_backend.SelectiveBackend"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def hello(to, key="test:1", reason="Travaux & « fuite »"):
    """A real kind with a small context: the doctor's rejection notice."""
    doctor = f.DoctorFactory.build(last_name="Lefèvre", rpps="10000000000")
    return enqueue("doctor_rejected", to=to, context={"doctor": doctor, "reason": reason}, dedup_key=key)


# --- enqueue ------------------------------------------------------------------------------------------------------------


def test_one_row_per_distinct_recipient():
    added = hello(["a@exemple.fr", "B@Exemple.fr ", "a@exemple.fr", "", None, "c@exemple.fr"])
    assert added == 3
    rows = list(Message.objects.order_by("recipient"))
    assert [m.recipient for m in rows] == ["a@exemple.fr", "b@exemple.fr", "c@exemple.fr"]
    assert {m.kind for m in rows} == {"doctor_rejected"}
    assert {m.status for m in rows} == {Message.Status.PENDING}
    assert len({m.dedup_key for m in rows}) == 3
    assert all(m.dedup_key.startswith("test:1:") for m in rows)


def test_nobody_to_tell_enqueues_nothing():
    assert hello([]) == 0
    assert hello(["  "]) == 0
    assert not Message.objects.exists()


def test_the_same_key_never_enqueues_twice():
    assert hello(["a@exemple.fr", "b@exemple.fr"]) == 2
    assert hello(["a@exemple.fr", "b@exemple.fr"], reason="autre texte") == 0
    # A recipient added since (a new member of the site) is told; the others are not told again.
    assert hello(["a@exemple.fr", "b@exemple.fr", "new@exemple.fr"]) == 1
    assert Message.objects.count() == 3
    assert all("Travaux" in m.body_text for m in Message.objects.all())
    assert hello(["a@exemple.fr"], key="test:2") == 1


def test_enqueue_is_rolled_back_with_the_callers_transaction():
    hello("kept@exemple.fr", key="kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        hello("lost@exemple.fr", key="lost")
        assert Message.objects.filter(recipient="lost@exemple.fr").exists()
        raise RuntimeError("the transition failed after enqueueing")
    assert list(Message.objects.values_list("recipient", flat=True)) == ["kept@exemple.fr"]
    # The key of the rolled-back message is free again: a retried transition enqueues it.
    assert hello("lost@exemple.fr", key="lost") == 1


@pytest.mark.django_db(transaction=True)
def test_messages_go_out_after_commit_and_never_before(mailoutbox):
    with transaction.atomic():
        hello("committed@exemple.fr", key="c")
        assert mailoutbox == []  # nothing leaves before the commit
    assert [m.to for m in mailoutbox] == [["committed@exemple.fr"]]
    assert Message.objects.get().status == Message.Status.SENT

    with pytest.raises(RuntimeError), transaction.atomic():
        hello("rolledback@exemple.fr", key="r")
        raise RuntimeError
    assert len(mailoutbox) == 1
    assert not Message.objects.filter(recipient="rolledback@exemple.fr").exists()


# --- templates: French, fully rendered, text and HTML ----------------------------------------------------------------------


@pytest.fixture
def engine_context(site, doctor, zone):
    slot = f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=40))
    booking = f.BookingFactory(doctor=doctor, slot=slot)
    return {
        "doctor": doctor,
        "zones": [zone],
        "slot": slot,
        "booking": booking,
        "reason": "Dégât des eaux & « fuite »",
        "by_doctor": True,
        "late_hours": 48,
        "accept_url": "https://exemple.fr/accepter/abc",
        "pack": practical_pack(site),
    }


# Every kind the booking engine sends, with a French phrase its subject must hold.
ENGINE_KINDS = {
    "doctor_registered": "bien été reçu",
    "doctor_registered_ars": "Nouveau dossier de médecin volontaire",
    "doctor_validated": "Votre dossier est validé",
    "doctor_rejected": "n'a pas été retenu",
    "doctor_suspended": "est suspendue",
    "doctor_reinstated": "est rétablie",
    "booking_requested": "Demande de réservation à confirmer",
    "booking_confirmed": "est confirmée",
    "booking_declined": "n'a pas pu être acceptée",
    "booking_cancelled": "Annulation",
    "booking_late_cancellation": "Annulation tardive",
    "slot_closed": "Journée annulée par le lieu d'accueil",
    "slot_offer": "vous propose le",
}


@pytest.mark.parametrize("kind", list(ENGINE_KINDS))
def test_templates_render_in_french(kind, engine_context):
    assert enqueue(kind, to="x@exemple.fr", context=engine_context, dedup_key=f"render:{kind}") == 1
    message = Message.objects.get(kind=kind)
    for body in (message.subject, message.body_text, message.body_html):
        for leftover in ("{{", "}}", "{%", "%}", "None"):
            assert leftover not in body, (kind, leftover, body)
    assert ENGINE_KINDS[kind] in message.subject
    assert "\n" not in message.subject and len(message.subject) <= 300
    assert message.body_text.strip() and message.body_text.endswith("\n")
    html = message.body_html
    assert html.lstrip().startswith("<!DOCTYPE html>") and '<html lang="fr">' in html  # extends base_email.html
    assert "Un médecin près de chez vous" in html
    # Dates are written in French, with the month's French name.
    slot = engine_context["slot"]
    if any(key in kind for key in ("booking", "slot_")):
        assert MONTHS_FR[slot.date.month - 1] in message.body_text
    # Text is raw, HTML is escaped — never the reverse.
    if kind in {"doctor_rejected", "booking_declined", "booking_cancelled", "slot_closed"}:
        assert "Dégât des eaux & « fuite »" in message.body_text
        assert "Dégât des eaux &amp; « fuite »" in html


# --- the relay -------------------------------------------------------------------------------------------------------------------


def test_relay_sends_and_marks_sent(mailoutbox):
    hello(["a@exemple.fr", "b@exemple.fr"])
    assert relay.relay() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@exemple.fr", "b@exemple.fr"]
    email = mailoutbox[0]
    stored = Message.objects.get(recipient=email.to[0])
    assert email.subject == stored.subject
    assert email.body == stored.body_text
    assert email.alternatives[0].content == stored.body_html and email.alternatives[0].mimetype == "text/html"
    assert email.extra_headers["X-Outbox-Id"] == str(stored.pk)
    for message in Message.objects.all():
        assert (message.status, message.attempts, message.last_error) == (Message.Status.SENT, 1, "")
        assert message.sent_at is not None
    assert relay.relay() == 0  # nothing is sent twice
    assert len(mailoutbox) == 2


def test_relay_retries_with_backoff_then_gives_up(settings, mailoutbox):
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 4
    hello("a@exemple.fr")
    now = timezone.now()
    waits = []
    for attempt in range(1, 5):
        assert relay.relay(now=now) == 0
        message = Message.objects.get()
        assert message.attempts == attempt
        assert "ConnectionRefusedError" in message.last_error and "injoignable" in message.last_error
        assert message.claimed_at is None
        if attempt < 4:
            assert message.status == Message.Status.PENDING
            waits.append(message.next_attempt_at - now)
            # Not due again before its backoff is over.
            assert relay.relay(now=message.next_attempt_at - timedelta(seconds=1)) == 0
            assert Message.objects.get().attempts == attempt
            now = message.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]
    message = Message.objects.get()
    assert (message.status, message.next_attempt_at) == (Message.Status.FAILED, None)
    assert relay.relay(now=now + timedelta(days=1)) == 0
    assert Message.objects.get().attempts == 4
    assert mailoutbox == []

    # ARS staff put it back in the queue (« Renvoyer ») once the server is back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.resend([message.pk]) == 1
    assert relay.relay() == 1
    message = Message.objects.get()
    assert (message.status, message.attempts, message.last_error) == (Message.Status.SENT, 1, "")
    assert [m.to for m in mail.outbox] == [["a@exemple.fr"]]


def test_one_failing_recipient_does_not_hold_back_the_others(settings, mailoutbox):
    settings.EMAIL_BACKEND = SELECTIVE
    hello(["a@exemple.fr", f"b{BROKEN_DOMAIN}", "c@exemple.fr"])
    assert relay.relay() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["a@exemple.fr", "c@exemple.fr"]
    broken = Message.objects.get(recipient=f"b{BROKEN_DOMAIN}")
    assert (broken.status, broken.attempts) == (Message.Status.PENDING, 1)
    assert "SMTPRecipientsRefused" in broken.last_error


def test_backoff_grows_over_hours_and_is_capped():
    assert [relay.backoff(n) for n in range(1, 10)] == [
        timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 120, 240, 480, 720)
    ]
    assert relay.backoff(30) == timedelta(hours=12)


def test_a_claim_is_won_once_and_an_abandoned_claim_is_taken_again(mailoutbox):
    hello("a@exemple.fr")
    message = Message.objects.get()
    now = timezone.now()
    assert relay.claim(message.pk, now) is True
    assert relay.claim(message.pk, now) is False  # another worker holds it
    assert relay.relay(now=now + timedelta(minutes=1)) == 0
    assert mailoutbox == []
    # Its worker died: after CLAIM_TIMEOUT the message is taken again and sent.
    assert relay.relay(now=now + relay.CLAIM_TIMEOUT + timedelta(seconds=1)) == 1
    assert len(mailoutbox) == 1


# --- one relay per transaction -----------------------------------------------------------------------------------


def relays_asked(callbacks) -> int:
    return callbacks.count(outbox.ask_for_relay)


def test_one_relay_per_transaction_and_again_after_a_rollback(django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        hello("lost@exemple.fr", key="lost")
        raise RuntimeError
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        hello("a@exemple.fr", key="a")
        hello("b@exemple.fr", key="b")
    assert relays_asked(callbacks) == 1  # the rolled-back transaction's relay went with it: this one asks its own


def test_a_relay_asked_in_a_rolled_back_savepoint_is_asked_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            hello("lost@exemple.fr", key="lost")
            raise RuntimeError
        hello("kept@exemple.fr", key="kept")
    assert relays_asked(callbacks) == 1  # the savepoint took its relay with it: the outer transaction asked again


@pytest.mark.django_db(transaction=True)
def test_each_committed_transaction_relays_its_own_messages(mailoutbox):
    for n in range(2):
        with transaction.atomic():
            hello(f"r{n}@exemple.fr", key=f"r{n}")
            hello(f"s{n}@exemple.fr", key=f"s{n}")
        assert len(mailoutbox) == 2 * (n + 1)
