"""The coverage of the zones, month by month, precomputed for the ARS dashboard (issue #20).

The dashboard shows, for every active zone of a region, the six months ahead and the six months past: at national
scale its largest region (258 zones) summed 70,000 bookings of eleven months on every page. It now reads `ZoneMonth` rows: one per
zone and month, written here by `refresh` from the live recount (`missions.queries.coverage`, the same function
the coverage API and the zones' admin still call on every request), so a row is exactly that recount at its
`refreshed_at`.

Who refreshes: the `coverage` job (operations.jobs, every five minutes: the whole country, the dashboard's
window). A zone or a month that has no row yet (a new zone, a fresh install, the first minutes of a month) is
counted live by the dashboard, as before, until the job writes it. Not the booking services: a booking's transaction stays as short as
it is (no write beside it, no lock taken with it), and the dashboard says how fresh its figures are.

This module both reads and writes (PATTERNS.md puts writes in services.py): it keeps the booking services,
where the booking transaction lives, free of a concern that is the dashboard's alone.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from missions.models import ZoneMonth
from missions.queries import CoverageRow, coverage, coverage_of, next_months
from sites.models import Zone

DASHBOARD_MONTHS = 6  # ahead (this month included), and as many past (this month included)


def previous_months(count: int, today: date) -> list[date]:
    """The `count` months ending with the current one, oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def dashboard_window(today: date) -> list[date]:
    """The months the ARS dashboard shows: six past (this one included) and six ahead (this one included)."""
    return sorted({*previous_months(DASHBOARD_MONTHS, today), *next_months(DASHBOARD_MONTHS, today)})


def refresh(months: list[date], zones: QuerySet[Zone] | None = None, now: datetime | None = None) -> int:
    """Recount the coverage of `zones` (default: every active zone) in `months` and write it, one `ZoneMonth` per
    zone and month (zeros included: a missing row means « never counted », not « nothing booked »). One aggregate
    query and one upsert in a transaction: a reader sees the old figures or the new ones, never half of them.
    Returns the number of rows written."""
    now = now or timezone.now()
    rows = coverage(months, zones=zones)
    with transaction.atomic():
        ZoneMonth.objects.bulk_create(
            [
                ZoneMonth(
                    zone_id=row.zone.pk,
                    month=row.month,
                    requested_days=row.requested_days,
                    confirmed_days=row.confirmed_days,
                    completed_days=row.completed_days,
                    consultations=row.consultations,
                    refreshed_at=now,
                )
                for row in rows
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["zone", "month"],
            update_fields=["requested_days", "confirmed_days", "completed_days", "consultations", "refreshed_at"],
        )
    return len(rows)


Figures = tuple[Decimal, Decimal, Decimal, int]  # requested, confirmed, completed days; consultations


@dataclass(frozen=True)
class Precomputed:
    """The coverage of a set of zones: `zones` (their order: department, name), `figures` per (zone id, month)."""

    zones: list[Zone]
    figures: dict[tuple[int, date], Figures]
    refreshed_at: datetime | None  # the oldest row's: every figure is at least that fresh

    def rows(self, zones: list[Zone], months: list[date]) -> list[CoverageRow]:
        """The cells of `zones` (a page of them) in `months`, zone by zone."""
        rows = []
        for zone in zones:
            target = Decimal(zone.target_days_per_month)
            for month in months:
                requested, confirmed, completed, consultations = self.figures[(zone.pk, month)]
                rows.append(CoverageRow(zone, month, target, requested, confirmed, completed, consultations))
        return rows

    def per_month(self, months: list[date]) -> dict[date, Figures]:
        """Every zone's figures added up, per month of `months`."""
        sums: dict[date, Figures] = {month: (Decimal(0), Decimal(0), Decimal(0), 0) for month in months}
        for (_, month), (requested, confirmed, completed, consultations) in self.figures.items():
            total = sums.get(month)
            if total is not None:
                sums[month] = (
                    total[0] + requested,
                    total[1] + confirmed,
                    total[2] + completed,
                    total[3] + consultations,
                )
        return sums


def precomputed(months: list[date], zones: QuerySet[Zone]) -> Precomputed:
    """The coverage of `zones` in `months` as last refreshed: two queries (the zones, each with how many of the
    months it has rows for and since when; then their rows, as tuples). When a zone or a month has no row yet (a
    new zone, a fresh install, a new month before the job ran), the whole table is counted live instead
    (`coverage_of`: the same two queries), and its date is now; the job writes the rows."""
    months = sorted({m.replace(day=1) for m in months})
    mine = ZoneMonth.objects.filter(zone=OuterRef("pk"), month__in=months).order_by().values("zone")
    zone_list: list[Any] = list(
        zones.select_related("department").annotate(
            counted=Coalesce(Subquery(mine.annotate(n=Count("pk")).values("n")), 0),
            counted_at=Subquery(mine.annotate(at=Min("refreshed_at")).values("at")),
        )
    )
    if not zone_list or not months:
        return Precomputed(zone_list, {}, None)
    if any(zone.counted < len(months) for zone in zone_list):
        live = coverage_of(months, zone_list)
        figures = {
            (row.zone.pk, row.month): (row.requested_days, row.confirmed_days, row.completed_days, row.consultations)
            for row in live
        }
        return Precomputed(zone_list, figures, timezone.now())
    rows = ZoneMonth.objects.filter(zone__in=[zone.pk for zone in zone_list], month__in=months).values_list(
        "zone_id", "month", "requested_days", "confirmed_days", "completed_days", "consultations"
    )
    figures = {(row[0], row[1]): (row[2], row[3], row[4], row[5]) for row in rows}
    return Precomputed(zone_list, figures, min(zone.counted_at for zone in zone_list))
