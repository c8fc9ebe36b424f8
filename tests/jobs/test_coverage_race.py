"""Two runs of the `coverage` job at once (beat's and one by hand) on PostgreSQL: both upsert every zone and month
in the same order, so neither deadlocks nor fails, and the rows are the recount."""

import threading

import pytest
from django.db import connection

from missions.coverage import dashboard_window
from missions.models import Booking, ZoneMonth
from missions.queries import coverage
from operations.jobs import JOBS
from tests import factories as f
from tests.jobs.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_refreshes_at_once_both_finish_and_leave_the_recount(zone):
    today = f.SlotFactory().date
    for _ in range(6):
        site = f.HostSiteFactory(zone=f.ZoneFactory(department=zone.department))
        f.BookingFactory(slot=f.SlotFactory(site=site, date=today), status=Booking.Status.CONFIRMED)
    barrier, errors, reports = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait(timeout=30)
            reports.append(JOBS["coverage"].run(now=at(today)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    months = dashboard_window(today)
    live = {
        (row.zone.pk, row.month): (row.requested_days, row.confirmed_days, row.completed_days, row.consultations)
        for row in coverage(months)
    }
    stored = {
        (row.zone_id, row.month): (row.requested_days, row.confirmed_days, row.completed_days, row.consultations)
        for row in ZoneMonth.objects.all()
    }
    assert len(reports) == 2 and stored == live and len(stored) == 8 * len(months)
