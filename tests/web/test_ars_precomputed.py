"""The ARS dashboard's coverage, precomputed by the `coverage` job (missions.coverage, issue #20): the rows equal a
live recount after each refresh, the page says when they were counted, a zone without rows is counted live, and
the zone tables are paged (totals and chart still count every zone)."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from missions.coverage import dashboard_window
from missions.models import Booking, ZoneMonth
from missions.queries import coverage
from missions.views.ars import ZONES_PER_PAGE
from operations.jobs import JOBS
from tests import factories as f

pytestmark = pytest.mark.django_db

# 3 December 2026, 14:05 in Paris (UTC+1 in winter).
NOW = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
NEXT_MONTH_DAY = date(2027, 1, 12)
PAST_DAY = date(2026, 11, 20)


def figures(zones) -> dict:
    """Per (zone, month) of the dashboard's window: the stored row, and the live recount."""
    months = dashboard_window(NOW.date())
    live = {
        (row.zone.pk, row.month): (row.requested_days, row.confirmed_days, row.completed_days, row.consultations)
        for row in coverage(months, zones=zones)
    }
    stored = {
        (row.zone_id, row.month): (row.requested_days, row.confirmed_days, row.completed_days, row.consultations)
        for row in ZoneMonth.objects.filter(zone__in=zones, month__in=months)
    }
    return {"stored": stored, "live": live}


def book(site, day, status, period="full_day"):
    return f.BookingFactory(slot=f.SlotFactory(site=site, date=day, period=period), status=status)


@time_machine.travel(NOW, tick=False)
def test_after_each_refresh_the_stored_coverage_equals_a_recount(zone, site):
    other = f.HostSiteFactory(zone=f.ZoneFactory(department=zone.department))
    book(site, NEXT_MONTH_DAY, Booking.Status.REQUESTED)
    book(site, NEXT_MONTH_DAY, Booking.Status.CONFIRMED, period="morning")
    book(other, NEXT_MONTH_DAY + timedelta(days=1), Booking.Status.CONFIRMED)
    book(site, PAST_DAY, Booking.Status.COMPLETED)  # 10 consultations
    book(site, PAST_DAY + timedelta(days=1), Booking.Status.CANCELLED)  # counts for nothing
    book(other, PAST_DAY, Booking.Status.DECLINED)
    zones = type(zone).objects.filter(pk__in=[zone.pk, other.zone_id])

    report = JOBS["coverage"].run(now=NOW)

    months = dashboard_window(NOW.date())
    assert report.claimed == ZoneMonth.objects.count() == 2 * len(months) == 2 * 11
    first = figures(zones)
    assert first["stored"] == first["live"]
    assert first["stored"][(zone.pk, date(2027, 1, 1))] == (Decimal("1"), Decimal("0.5"), Decimal("0"), 0)
    assert first["stored"][(zone.pk, date(2026, 11, 1))] == (Decimal("0"), Decimal("0"), Decimal("1"), 10)

    # Bookings move on; the stored figures wait for the next run, which writes the recount again.
    Booking.objects.filter(zone=zone, status=Booking.Status.REQUESTED).update(status=Booking.Status.CANCELLED)
    book(other, NEXT_MONTH_DAY + timedelta(days=2), Booking.Status.REQUESTED)
    stale = figures(zones)
    assert stale["stored"] == first["stored"] and stale["live"] != first["live"]

    JOBS["coverage"].run(now=NOW + timedelta(minutes=5))

    again = figures(zones)
    assert again["stored"] == again["live"] != first["live"]
    assert set(ZoneMonth.objects.values_list("refreshed_at", flat=True)) == {NOW + timedelta(minutes=5)}


def test_a_dry_run_writes_nothing(zone, site):
    book(site, NEXT_MONTH_DAY, Booking.Status.REQUESTED)
    JOBS["coverage"].run(now=NOW, dry_run=True)
    assert not ZoneMonth.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_shows_the_precomputed_figures_and_when_they_were_counted(ars_client, zone, site):
    book(site, NEXT_MONTH_DAY, Booking.Status.CONFIRMED)
    JOBS["coverage"].run(now=NOW)
    book(site, NEXT_MONTH_DAY + timedelta(days=1), Booking.Status.CONFIRMED)  # after the count: not shown yet

    html = ars_client.get("/ars/").content.decode()

    assert "Chiffres au 3 décembre 2026 à 14 h 05" in html
    row = re.search(rf"<th scope=\"row\">{re.escape(zone.name)}.*?</tr>", html, flags=re.S).group(0)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
    assert cells[1].startswith("1 / 8")  # January 2027: the one booking counted at 14:05

    JOBS["coverage"].run(now=NOW)
    html = ars_client.get("/ars/").content.decode()
    row = re.search(rf"<th scope=\"row\">{re.escape(zone.name)}.*?</tr>", html, flags=re.S).group(0)
    assert re.sub(r"<[^>]+>", " ", re.findall(r"<td>(.*?)</td>", row, flags=re.S)[1]).split()[:3] == ["2", "/", "8"]


@time_machine.travel(NOW, tick=False)
def test_a_zone_not_counted_yet_makes_the_page_count_live(ars_client, zone, site):
    JOBS["coverage"].run(now=NOW)
    newcomer = f.HostSiteFactory(zone=f.ZoneFactory(department=zone.department, name="Zone nouvelle"))
    book(newcomer, NEXT_MONTH_DAY, Booking.Status.REQUESTED)

    html = ars_client.get("/ars/").content.decode()

    row = re.search(r"<th scope=\"row\">Zone nouvelle.*?</tr>", html, flags=re.S).group(0)
    assert re.sub(r"<[^>]+>", " ", re.findall(r"<td>(.*?)</td>", row, flags=re.S)[1]).split()[:3] == ["1", "/", "8"]
    assert not ZoneMonth.objects.filter(zone=newcomer.zone).exists()  # a GET writes nothing: the job will


@time_machine.travel(NOW, tick=False)
def test_with_the_rows_counted_the_dashboard_keeps_its_thirteen_queries(ars_client, zone, site):
    book(site, NEXT_MONTH_DAY, Booking.Status.CONFIRMED)
    JOBS["coverage"].run(now=NOW)
    with CaptureQueriesContext(connection) as few:
        assert ars_client.get("/ars/").status_code == 200
    for _ in range(12):
        book(f.HostSiteFactory(zone=f.ZoneFactory(department=zone.department)), NEXT_MONTH_DAY, "requested")
    JOBS["coverage"].run(now=NOW)
    with CaptureQueriesContext(connection) as many:
        assert ars_client.get("/ars/").status_code == 200
    assert len(few) == len(many) <= 13, [q["sql"] for q in many.captured_queries]
    assert not any("missions_booking" in q["sql"] and "SUM(" in q["sql"] for q in many.captured_queries)


@time_machine.travel(NOW, tick=False)
def test_the_zone_tables_are_paged_and_the_totals_count_every_zone(ars_client, zone, site):
    for n in range(ZONES_PER_PAGE + 4):
        extra = f.ZoneFactory(department=zone.department, name=f"Zone {n:03d}")
        book(f.HostSiteFactory(zone=extra), NEXT_MONTH_DAY, Booking.Status.CONFIRMED)
    JOBS["coverage"].run(now=NOW)
    zones = ZONES_PER_PAGE + 5

    first = ars_client.get("/ars/").content.decode()
    second = ars_client.get("/ars/?page=2").content.decode()

    def zone_rows(html: str) -> list[str]:
        table = html.split("Couverture par zone et par mois", 1)[1].split("</table>", 1)[0]
        return re.findall(r'<th scope="row">([^<]*)<br>', table)

    assert len(zone_rows(first)) == ZONES_PER_PAGE and len(zone_rows(second)) == 5
    assert set(zone_rows(first)).isdisjoint(zone_rows(second))
    assert f"zones 1 à {ZONES_PER_PAGE} sur {zones}" in first and f"zones {ZONES_PER_PAGE + 1} à {zones}" in second
    assert 'href="?page=2#couverture"' in first and 'href="?page=1#couverture"' in second
    # January's total is every zone's: 54 confirmed days, on either page.
    for html in (first, second):
        january = re.search(r"<th scope=\"row\">Janvier 2027</th>(.*?)</tr>", html, flags=re.S).group(1)
        assert re.findall(r"<td>([^<]*)</td>", january)[:3] == [str(8 * zones), "0", str(zones - 1)]
