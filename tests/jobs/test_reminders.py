"""D-7 and D-1 reminders: when they go, to whom, once, and never for a day that no longer happens."""

from datetime import timedelta

import pytest

from missions.jobs import run_reminders
from missions.models import Booking, Doctor
from notifications.models import Message
from tests.jobs.conftest import at, messages, recipients

pytestmark = pytest.mark.django_db

D7, D1 = "booking_reminder_doctor", "booking_reminder_site"


def test_confirmed_day_in_seven_days_reminds_doctor_and_site(make_booking, doctor, site_emails, today, now):
    booking = make_booking(today + timedelta(days=7))

    report = run_reminders(now=now)

    assert (report.claimed, report.messages) == (1, 1 + len(site_emails))
    assert recipients("booking_reminder_doctor") == [doctor.user.email]
    assert recipients("booking_reminder_site") == site_emails
    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at == now and booking.reminder_d1_sent_at is None
    body = Message.objects.get(kind=D7).body_text
    assert "dans 7 jours" in body and booking.slot.site.name in body


def test_tomorrow_reminds_doctor_and_site(make_booking, doctor, site_emails, today, now):
    booking = make_booking(today + timedelta(days=1))

    run_reminders(now=now)

    assert recipients(D7) == [doctor.user.email] and recipients(D1) == site_emails
    assert "demain" in Message.objects.get(kind=D7).body_text
    booking.refresh_from_db()
    assert booking.reminder_d1_sent_at == now


@pytest.mark.parametrize("days_ahead", [0, 8, 9, 30])
def test_no_reminder_on_other_days(make_booking, today, now, days_ahead, site_member):
    make_booking(today + timedelta(days=days_ahead))

    assert run_reminders(now=now).claimed == 0
    assert messages() == []


def test_a_missed_d7_reminder_is_caught_up_later_if_booked_before_its_d7(make_booking, doctor, today, now, site_member):
    """Workers were down on D-7: the reminder goes out at D-5, since the booking existed at D-7."""
    day = today + timedelta(days=5)
    make_booking(day, booked_on=day - timedelta(days=8))

    assert run_reminders(now=now).claimed == 1
    assert recipients(D7) == [doctor.user.email]


@pytest.mark.parametrize("booked_days_before", [7, 5])
def test_a_booking_made_within_seven_days_gets_no_d7_reminder(make_booking, today, now, booked_days_before):
    day = today + timedelta(days=5) if booked_days_before == 5 else today + timedelta(days=7)
    make_booking(day, booked_on=day - timedelta(days=booked_days_before))

    assert run_reminders(now=now).claimed == 0


def test_a_booking_made_today_for_tomorrow_gets_no_d1_reminder(make_booking, today, now):
    make_booking(today + timedelta(days=1), booked_on=today)

    assert run_reminders(now=now).claimed == 0


def test_unconfirmed_booking_reminds_the_doctor_only(make_booking, doctor, today, now, site_member):
    """The site of an unconfirmed booking gets the confirmation reminders instead (R6)."""
    make_booking(today + timedelta(days=7), status=Booking.Status.REQUESTED)

    run_reminders(now=now)

    assert messages() == [(D7, doctor.user.email)]
    assert "pas encore confirmé" in Message.objects.get().body_text


def test_running_twice_sends_nothing_twice(make_booking, today, now, site_member):
    make_booking(today + timedelta(days=7))
    make_booking(today + timedelta(days=1))
    first = run_reminders(now=now)
    outbox = messages()

    second = run_reminders(now=now + timedelta(hours=3))  # a restart, a retried task, a second beat: same day

    assert first.claimed == 2 and second.claimed == 0 and second.messages == 0
    assert messages() == outbox


def test_after_d7_the_same_booking_gets_its_d1(make_booking, doctor, today, now, site_member):
    booking = make_booking(today + timedelta(days=7))
    run_reminders(now=now)

    run_reminders(now=at(today + timedelta(days=6)))

    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at and booking.reminder_d1_sent_at
    assert recipients(D7) == [doctor.user.email, doctor.user.email]
    assert Message.objects.filter(dedup_key__contains="reminder-d1").count() == 3


@pytest.mark.parametrize(
    "status", [Booking.Status.CANCELLED, Booking.Status.DECLINED, Booking.Status.COMPLETED, Booking.Status.NO_SHOW]
)
def test_a_day_that_no_longer_happens_gets_no_reminder(make_booking, today, now, status):
    booking = make_booking(today + timedelta(days=1), status=status)

    assert run_reminders(now=now).claimed == 0
    assert messages() == []
    booking.refresh_from_db()
    assert booking.reminder_d1_sent_at is None


@pytest.mark.parametrize("doctor_status", [Doctor.Status.SUSPENDED, Doctor.Status.WITHDRAWN])
def test_a_doctor_no_longer_validated_gets_no_reminder(make_booking, doctor, today, now, doctor_status):
    make_booking(today + timedelta(days=7))
    Doctor.objects.filter(pk=doctor.pk).update(status=doctor_status)

    assert run_reminders(now=now).claimed == 0


def test_dry_run_reports_and_writes_nothing(make_booking, today, now, site_emails):
    booking = make_booking(today + timedelta(days=7))

    report = run_reminders(now=now, dry_run=True)

    assert (report.claimed, report.messages) == (1, 1 + len(site_emails))
    assert "J-7" in report.lines[0] and "simulation" in report.summary()
    assert messages() == []
    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at is None
