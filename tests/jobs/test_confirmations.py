"""R6: a booking the site has not confirmed CONFIRM_REMINDER_DAYS before the day — daily reminders to the site,
then one alert to the ARS staff the day before."""

from datetime import timedelta

import pytest

from missions.jobs import run_confirmation_reminders
from missions.models import Booking, Doctor
from tests.jobs.conftest import at, messages, recipients

pytestmark = pytest.mark.django_db

REMIND, ALERT = "booking_confirm_reminder", "booking_unconfirmed_alert"
REQUESTED = Booking.Status.REQUESTED


@pytest.fixture(autouse=True)
def _three_days(settings):
    settings.CONFIRM_REMINDER_DAYS = 3


def test_site_is_reminded_from_three_days_before(make_booking, site_emails, today, now):
    booking = make_booking(today + timedelta(days=3), status=REQUESTED)

    report = run_confirmation_reminders(now=now)

    assert report.claimed == 1
    assert recipients(REMIND) == site_emails
    assert recipients(ALERT) == []
    booking.refresh_from_db()
    assert booking.confirm_reminder_sent_at == now


def test_nothing_four_days_before(make_booking, today, now, site_member):
    make_booking(today + timedelta(days=4), status=REQUESTED)

    assert run_confirmation_reminders(now=now).claimed == 0
    assert messages() == []


def test_reminded_once_a_day_until_the_site_answers(make_booking, site_emails, today, now):
    make_booking(today + timedelta(days=3), status=REQUESTED)
    run_confirmation_reminders(now=now)
    run_confirmation_reminders(now=now + timedelta(hours=5))  # same day: nothing new
    assert len(recipients(REMIND)) == len(site_emails)

    run_confirmation_reminders(now=at(today + timedelta(days=1), 8, 15))  # next morning: a new reminder

    assert len(recipients(REMIND)) == 2 * len(site_emails)


def test_ars_staff_are_alerted_once_the_day_before(make_booking, ars_staff, site_emails, today, now):
    booking = make_booking(today + timedelta(days=1), status=REQUESTED)

    run_confirmation_reminders(now=now)
    run_confirmation_reminders(now=now + timedelta(hours=1))

    assert recipients(ALERT) == [ars_staff.email]
    assert recipients(REMIND) == site_emails  # the site too, that morning
    booking.refresh_from_db()
    assert booking.confirm_alert_sent_at == now


def test_a_missed_alert_goes_out_on_the_day(make_booking, ars_staff, today, now):
    make_booking(today, status=REQUESTED)

    run_confirmation_reminders(now=now)

    assert recipients(ALERT) == [ars_staff.email]
    assert recipients(REMIND) == []  # no « please confirm » for today: ARS staff take over


def test_no_alert_two_days_before(make_booking, ars_staff, today, now, site_member):
    make_booking(today + timedelta(days=2), status=REQUESTED)

    run_confirmation_reminders(now=now)

    assert recipients(ALERT) == []


def test_a_booking_made_today_waits_until_tomorrow(make_booking, today, now, ars_staff):
    """The site has just been told of the request; the reminder would be noise."""
    make_booking(today + timedelta(days=1), status=REQUESTED, booked_on=today)

    assert run_confirmation_reminders(now=now).claimed == 0


@pytest.mark.parametrize(
    "status", [Booking.Status.CONFIRMED, Booking.Status.DECLINED, Booking.Status.CANCELLED, Booking.Status.COMPLETED]
)
def test_an_answered_or_cancelled_booking_is_moot(make_booking, today, now, status, ars_staff):
    make_booking(today + timedelta(days=1), status=status)

    assert run_confirmation_reminders(now=now).claimed == 0
    assert messages() == []


def test_a_past_day_is_moot(make_booking, today, now, ars_staff):
    make_booking(today - timedelta(days=1), status=REQUESTED)

    assert run_confirmation_reminders(now=now).claimed == 0


def test_a_doctor_no_longer_validated_is_moot(make_booking, doctor, today, now, ars_staff):
    make_booking(today + timedelta(days=1), status=REQUESTED)
    Doctor.objects.filter(pk=doctor.pk).update(status=Doctor.Status.SUSPENDED)

    assert run_confirmation_reminders(now=now).claimed == 0


def test_dry_run_writes_nothing(make_booking, today, now, ars_staff, site_emails):
    booking = make_booking(today + timedelta(days=1), status=REQUESTED)

    report = run_confirmation_reminders(now=now, dry_run=True)

    assert (report.claimed, report.messages) == (2, len(site_emails) + 1)
    assert messages() == []
    booking.refresh_from_db()
    assert booking.confirm_reminder_sent_at is None and booking.confirm_alert_sent_at is None
