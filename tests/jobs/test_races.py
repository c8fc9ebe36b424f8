"""Two runs of the same job at once (two workers, or a worker and `run_job` by hand) send nothing twice.

Real threads, each with its own PostgreSQL connection, lined up on a barrier. For jobs that stamp a row, every
item is won by exactly one run; for those whose claim is the message's dedup key (statements, digest), the
outbox holds each message once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from billing.jobs import previous_month
from missions.models import Booking
from notifications.models import Message
from operations.jobs import JOBS
from tests import factories as f
from tests.jobs.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEMS = 8


def bookings(zone, day, status, **fields):
    """ITEMS bookings on `day`, each of its own doctor at its own site (heard of through its contact address)."""
    for _ in range(ITEMS):
        site = f.HostSiteFactory(zone=zone)
        f.BookingFactory(slot=f.SlotFactory(site=site, date=day), status=status, **fields)
    Booking.objects.update(requested_at=at(day - timedelta(days=30)))


def setup_reminders(zone, today, **_):
    bookings(zone, today + timedelta(days=7), Booking.Status.CONFIRMED)
    return ITEMS, ITEMS * 2  # the doctor, the site


def setup_confirmations(zone, today, **_):
    bookings(zone, today + timedelta(days=3), Booking.Status.REQUESTED)
    return ITEMS, ITEMS


def setup_attestations(zone, today, **_):
    bookings(zone, today - timedelta(days=1), Booking.Status.CONFIRMED)
    return ITEMS, ITEMS


def setup_cps(zone, today, **_):
    commune = f.CommuneFactory(department=zone.department)
    f.DoctorFactory.create_batch(ITEMS, practice_commune=commune, validated_at=at(today - timedelta(days=30)))
    return ITEMS, ITEMS * 2  # the doctor, the ARS staff member


def setup_statements(zone, today, **_):
    f.FlatRateFactory()
    day = previous_month(today) + timedelta(days=3)
    for _ in range(3):  # three CPAMs with a day to pay each
        doctor = f.DoctorFactory()
        f.CpamFactory(department=doctor.practice_department)
        f.BookingFactory(
            doctor=doctor,
            slot=f.SlotFactory(site=f.HostSiteFactory(zone=zone), date=day),
            status=Booking.Status.COMPLETED,
            consultations=5,
        )
    return None, 3


def setup_digest(zone, **_):
    f.ArsMembershipFactory(region=zone.department.region)
    return None, 2


SETUPS = {
    "reminders": setup_reminders,
    "confirmations": setup_confirmations,
    "attestations": setup_attestations,
    "cps": setup_cps,
    "statements": setup_statements,
    "digest": setup_digest,
}


def run_at_once(job: str, now, runs: int = 2):
    barrier = threading.Barrier(runs)
    reports, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            reports.append(JOBS[job].run(now=now))
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return reports


@pytest.mark.parametrize("job", sorted(SETUPS))
def test_two_runs_at_once_send_nothing_twice(job, ars_staff, zone):
    today = timezone.localdate()
    items, expected_messages = SETUPS[job](zone=zone, today=today)

    reports = run_at_once(job, now=at(today))

    assert all(report.errors == 0 for report in reports)
    if items is not None:
        assert sum(report.claimed for report in reports) == items, "each item is won by exactly one run"
        assert sum(report.lost for report in reports) <= items
    assert Message.objects.count() == expected_messages
