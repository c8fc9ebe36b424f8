"""After a confirmed day: one reminder to the site to attest it, then after 7 days an alert to ARS staff."""

from datetime import timedelta

import pytest

from missions.jobs import run_attestation_reminders
from missions.models import Booking
from tests.jobs.conftest import messages, recipients

pytestmark = pytest.mark.django_db

REMIND, OVERDUE = "attestation_reminder", "attestation_overdue"


def test_the_day_after_the_site_is_asked_to_attest(make_booking, site_emails, ars_staff, today, now):
    booking = make_booking(today - timedelta(days=1))

    report = run_attestation_reminders(now=now)

    assert report.claimed == 1
    assert recipients(REMIND) == site_emails and recipients(OVERDUE) == []
    booking.refresh_from_db()
    assert booking.attest_reminder_sent_at == now and booking.attest_escalated_at is None


def test_not_on_the_day_itself(make_booking, today, now, site_member):
    make_booking(today)

    assert run_attestation_reminders(now=now).claimed == 0


def test_six_days_after_no_escalation_yet(make_booking, ars_staff, today, now, site_member):
    booking = make_booking(today - timedelta(days=6))
    Booking.objects.filter(pk=booking.pk).update(attest_reminder_sent_at=now - timedelta(days=5))

    assert run_attestation_reminders(now=now).claimed == 0


def test_seven_days_after_ars_staff_are_alerted(make_booking, ars_staff, today, now, site_member):
    booking = make_booking(today - timedelta(days=7))
    Booking.objects.filter(pk=booking.pk).update(attest_reminder_sent_at=now - timedelta(days=6))

    run_attestation_reminders(now=now)

    assert messages() == [(OVERDUE, ars_staff.email)]
    booking.refresh_from_db()
    assert booking.attest_escalated_at == now


def test_each_is_sent_once(make_booking, ars_staff, site_emails, today, now):
    make_booking(today - timedelta(days=10))  # both due (the jobs were not running when the reminder was due)

    first = run_attestation_reminders(now=now)
    second = run_attestation_reminders(now=now + timedelta(days=1))

    assert first.claimed == 2 and second.claimed == 0
    assert recipients(REMIND) == site_emails and recipients(OVERDUE) == [ars_staff.email]


@pytest.mark.parametrize(
    "status", [Booking.Status.COMPLETED, Booking.Status.NO_SHOW, Booking.Status.CANCELLED, Booking.Status.DECLINED]
)
def test_an_attested_or_cancelled_day_is_moot(make_booking, ars_staff, today, now, status, site_member):
    make_booking(today - timedelta(days=8), status=status, consultations=None)

    assert run_attestation_reminders(now=now).claimed == 0
    assert messages() == []


def test_dry_run_writes_nothing(make_booking, ars_staff, today, now, site_emails):
    booking = make_booking(today - timedelta(days=8))

    report = run_attestation_reminders(now=now, dry_run=True)

    assert (report.claimed, report.messages) == (2, len(site_emails) + 1)
    assert messages() == []
    booking.refresh_from_db()
    assert booking.attest_reminder_sent_at is None
