"""The Monday digest for ARS staff: zones under target over the next 4 weeks, applications awaiting validation,
bookings still unconfirmed; one per region and ISO week."""

from datetime import date, timedelta

import pytest
import time_machine

from missions.jobs import run_coverage_digest
from missions.models import Booking, Doctor
from notifications.models import Message
from tests import factories as f
from tests.jobs.conftest import at, recipients

pytestmark = pytest.mark.django_db


# A fixed Monday whose next four weeks lie in one month: the targets are per month, so a window that crosses a
# month end (as « today » does on some days) would count each month's target apart. The suite runs on any day.
FROZEN_MONDAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(at(FROZEN_MONDAY, 10), tick=False):
        yield


@pytest.fixture
def today():
    return FROZEN_MONDAY


@pytest.fixture
def monday(today):
    assert today.weekday() == 0
    return today


@pytest.fixture
def monday_7am(monday):
    return at(monday, 7)


def digest() -> Message:
    return Message.objects.get(kind="coverage_digest")


def test_ars_staff_of_the_region_get_one_digest(ars_staff, zone, monday_7am):
    other_staff = f.ArsMembershipFactory(region=zone.department.region).user

    report = run_coverage_digest(now=monday_7am)

    assert report.claimed == 1
    assert recipients("coverage_digest") == sorted([ars_staff.email, other_staff.email])


def test_once_per_iso_week(ars_staff, zone, monday, monday_7am):
    run_coverage_digest(now=monday_7am)
    again = run_coverage_digest(now=at(monday + timedelta(days=3), 9))  # run by hand on Thursday
    assert again.claimed == 0 and again.lost == 1
    assert recipients("coverage_digest") == [ars_staff.email]

    next_week = run_coverage_digest(now=at(monday + timedelta(days=7), 7))

    assert next_week.claimed == 1
    assert recipients("coverage_digest") == [ars_staff.email, ars_staff.email]


def test_lists_zones_under_target_and_not_those_at_target(ars_staff, zone, make_booking, monday, monday_7am):
    full = f.ZoneFactory(department=zone.department, target_days_per_month=1)
    for day in {monday + timedelta(days=1), (monday + timedelta(days=27))}:
        make_booking(day, at_site=f.HostSiteFactory(zone=full), doctor=f.DoctorFactory())

    run_coverage_digest(now=monday_7am)

    body = digest().body_text
    assert zone.name in body and full.name not in body
    assert "1 zone sous l'objectif" in digest().subject


def test_counts_applications_awaiting_validation(ars_staff, zone, monday_7am):
    commune = f.CommuneFactory(department=zone.department)
    f.DoctorFactory.create_batch(2, practice_commune=commune, status=Doctor.Status.SUBMITTED, validated_at=None)
    f.DoctorFactory(practice_commune=commune, status=Doctor.Status.REJECTED)

    run_coverage_digest(now=monday_7am)

    assert "2 dossiers à valider" in digest().subject


def test_lists_unconfirmed_bookings_within_the_reminder_window(ars_staff, make_booking, monday, monday_7am, settings):
    settings.CONFIRM_REMINDER_DAYS = 3
    # Names no other text of the digest can hold (random ones sometimes collided: a flaky test).
    soon = make_booking(
        monday + timedelta(days=2), status=Booking.Status.REQUESTED, doctor=f.DoctorFactory(last_name="Aubracq")
    )
    later = make_booking(
        monday + timedelta(days=10), status=Booking.Status.REQUESTED, doctor=f.DoctorFactory(last_name="Vercorsz")
    )
    cancelled = make_booking(
        monday + timedelta(days=1), status=Booking.Status.CANCELLED, doctor=f.DoctorFactory(last_name="Morvanx")
    )

    run_coverage_digest(now=monday_7am)

    body = digest().body_text
    assert soon.doctor.last_name in body
    assert later.doctor.last_name not in body and cancelled.doctor.last_name not in body
    assert "non confirmées par le lieu d'ici 3 jours : 1" in body


def test_a_region_without_active_zones_gets_none(ars_staff, zone, monday_7am):
    zone.active = False
    zone.save()

    assert run_coverage_digest(now=monday_7am).claimed == 0


def test_queries_do_not_grow_with_bookings(
    ars_staff, zone, make_booking, monday, monday_7am, django_assert_max_num_queries
):
    for n in range(6):
        make_booking(monday + timedelta(days=n), status=Booking.Status.REQUESTED, doctor=f.DoctorFactory())

    with django_assert_max_num_queries(12):
        run_coverage_digest(now=monday_7am, dry_run=True)


def test_dry_run_writes_nothing(ars_staff, zone, monday_7am):
    report = run_coverage_digest(now=monday_7am, dry_run=True)

    assert (report.claimed, report.messages) == (1, 1)
    assert not Message.objects.exists()
