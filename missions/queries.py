"""Reads that several callers need (web, API, admin, jobs). Each runs a constant number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.authority import visible
from missions.models import Availability, Booking, Doctor
from missions.rules import month_bounds
from sites.models import Slot, Zone

ACTIVE = Booking.ACTIVE_STATUSES
ZERO = Decimal("0")


@dataclass(frozen=True)
class CoverageRow:
    zone: Zone
    month: date
    target_days: Decimal
    requested_days: Decimal
    confirmed_days: Decimal
    completed_days: Decimal
    consultations: int = 0  # attested by the sites on the completed days (what the mission achieves)

    @property
    def booked_days(self) -> Decimal:
        """Days that count toward the target: requested, confirmed or completed."""
        return self.requested_days + self.confirmed_days + self.completed_days

    @property
    def ratio(self) -> Decimal:
        return (self.booked_days / self.target_days) if self.target_days else Decimal("1")


COVERED = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED, Booking.Status.COMPLETED)


def coverage(months: list[date], zones: QuerySet | None = None) -> list[CoverageRow]:
    """Per zone and month: target, requested, confirmed and completed doctor-days, and the consultations attested
    on the completed days. Two queries in all.

    The bookings are summed in one row per zone, one column per month and status (`requested_0`, ...): no
    truncation of each booking's date to its month, no sort on it, and a few hundred rows to read back rather
    than one per zone and month (the ARS dashboard of a large region: 35,000 bookings, 1,500 cells).
    """
    zones = (zones if zones is not None else Zone.objects.filter(active=True)).select_related("department")
    return coverage_of(months, zones, zones.values("pk"))


def coverage_of(months: list[date], zones: Iterable[Zone], zone_ids: Any = None) -> list[CoverageRow]:
    """`coverage` of zones already read (`zones`, in their order; `zone_ids`: a subquery of their ids, or their
    ids are listed): one query, the bookings' sums."""
    months = sorted({m.replace(day=1) for m in months})
    if not months:
        return []
    if zone_ids is None:
        zones = list(zones)
        zone_ids = [zone.pk for zone in zones]
    start, end = months[0], month_bounds(months[-1])[1]
    sums = {
        f"{status}_{index}": Sum("day_fraction", filter=Q(status=status, date__range=month_bounds(month)))
        for index, month in enumerate(months)
        for status in COVERED
    }
    for index, month in enumerate(months):
        sums[f"consultations_{index}"] = Sum(
            "consultations", filter=Q(status=Booking.Status.COMPLETED, date__range=month_bounds(month))
        )
    totals = {
        row["zone_id"]: row
        for row in Booking.objects.filter(zone__in=zone_ids, date__range=(start, end), status__in=ACTIVE)
        .values("zone_id")
        .annotate(**sums)
        .order_by()
    }
    keys = [
        (month, [f"{status}_{index}" for status in COVERED], f"consultations_{index}")
        for index, month in enumerate(months)
    ]
    rows = []
    nothing: dict = {}
    for zone in zones:
        found = totals.get(zone.pk, nothing)
        target = Decimal(zone.target_days_per_month)
        for month, (requested, confirmed, completed), consultations in keys:
            rows.append(
                CoverageRow(
                    zone=zone,
                    month=month,
                    target_days=target,
                    requested_days=found.get(requested) or ZERO,
                    confirmed_days=found.get(confirmed) or ZERO,
                    completed_days=found.get(completed) or ZERO,
                    consultations=found.get(consultations) or 0,
                )
            )
    return rows


def next_months(count: int, today: date | None = None) -> list[date]:
    first = (today or timezone.localdate()).replace(day=1)
    months = []
    for n in range(count):
        year, month = divmod(first.month - 1 + n, 12)
        months.append(date(first.year + year, month + 1, 1))
    return months


def active_bookings_count():
    return Coalesce(
        Subquery(
            Booking.objects.filter(slot=OuterRef("pk"), status__in=ACTIVE)
            .order_by()
            .values("slot")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def slots_with_remaining(qs: QuerySet | None = None) -> QuerySet:
    """Slots annotated with `booked` and `remaining` places (capacity minus active bookings)."""
    qs = Slot.objects.all() if qs is None else qs
    return qs.annotate(booked=active_bookings_count()).annotate(remaining=F("capacity") - F("booked"))


def bookable_now(qs: QuerySet, bookable: bool = True) -> QuerySet:
    """The slots of `qs` a doctor can book now (or, `bookable=False`, the others), as `open_slots` decides: open,
    today or later, at an active site, with a place left. Reuses `qs`'s `remaining` when it has one: the API's slot
    list filtered on `pk IN (open_slots())` before, computing the places left twice per slot."""
    if "remaining" not in qs.query.annotations:
        qs = slots_with_remaining(qs)
    condition = Q(status=Slot.Status.OPEN, date__gte=timezone.localdate(), site__active=True, remaining__gt=0)
    return qs.filter(condition) if bookable else qs.exclude(condition)


def open_slots(
    *,
    zone: Zone | int | None = None,
    site=None,
    date_from: date | None = None,
    date_to: date | None = None,
    period: str | None = None,
) -> QuerySet:
    """Open, bookable (today or later) slots with at least one place left."""
    today = timezone.localdate()
    qs = Slot.objects.filter(status=Slot.Status.OPEN, date__gte=max(date_from or today, today), site__active=True)
    if zone is not None:
        qs = qs.filter(zone=zone)
    if site is not None:
        qs = qs.filter(site=site)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    if period:
        qs = qs.filter(period=period)
    return (
        slots_with_remaining(qs).filter(remaining__gt=0).select_related("site__commune", "zone").order_by("date", "pk")
    )


def bookings_visible_to(user) -> QuerySet:
    """What a person may see (accounts.authority): a doctor their own, a site its own, a CPAM its doctors', ARS
    staff their region's."""
    return visible(user, Booking)


def available_doctors(*, zone: Zone | int, date: date) -> QuerySet:
    """Availabilities that day of validated doctors covering the zone and not already booked that day."""
    zone_id = getattr(zone, "pk", zone)
    busy = Booking.objects.filter(date=date, status__in=ACTIVE).values("doctor_id")
    return (
        Availability.objects.filter(date=date, doctor__status=Doctor.Status.VALIDATED, doctor__zones=zone_id)
        .exclude(doctor_id__in=busy)
        .select_related("doctor")
        .order_by("doctor__last_name", "doctor__first_name", "period")
    )


# --- the volunteer's files: where they wait (issue #15) -----------------------------------------------------------


@dataclass(frozen=True)
class FileStep:
    """A step of the file where a doctor can wait: who waits there (`waiting`), and since when (`since`, a date
    field of Doctor: the oldest one is how long the longest wait has lasted)."""

    key: str
    label: str
    waiting: Q
    since: str


_OPEN = Q(status__in=[Doctor.Status.SUBMITTED, Doctor.Status.VALIDATED])

FILE_STEPS = (
    FileStep("cdom", "Avis du CDOM attendu", _OPEN & Q(cdom_status=Doctor.CdomStatus.PENDING), "submitted_at"),
    FileStep(
        "cdom_refused", "Refusés par le CDOM", _OPEN & Q(cdom_status=Doctor.CdomStatus.REFUSED), "cdom_decided_at"
    ),
    FileStep(
        "insurance",
        "Assurance RCP à déclarer",
        Q(status=Doctor.Status.SUBMITTED, insurance_status=Doctor.InsuranceStatus.MISSING),
        "submitted_at",
    ),
    FileStep(
        "validation",
        "Prêts pour la validation ARS",
        Q(status=Doctor.Status.SUBMITTED, insurance_status=Doctor.InsuranceStatus.DECLARED)
        & ~Q(cdom_status=Doctor.CdomStatus.REFUSED),
        "insurance_declared_at",
    ),
    FileStep(
        "billing_number",
        "Numéro dédié attendu de la CPAM",
        Q(status=Doctor.Status.VALIDATED, billing_number_status=Doctor.BillingNumberStatus.AWAITED),
        "validated_at",
    ),
    FileStep(
        "cps_card",
        "Nouvelle carte CPS attendue",
        Q(status=Doctor.Status.VALIDATED, cps_card_status=Doctor.CpsCardStatus.AWAITED),
        "validated_at",
    ),
)
FILE_STEP_BY_KEY = {step.key: step for step in FILE_STEPS}


@dataclass(frozen=True)
class StuckFiles:
    step: FileStep
    count: int
    oldest: datetime | None

    def waiting_days(self, now: datetime) -> int | None:
        return (now - self.oldest).days if self.oldest else None


def stuck_files(doctors: QuerySet[Doctor]) -> list[StuckFiles]:
    """How many files wait at each step and since when the oldest waits — in one query over `doctors` (the
    doctors a person may see)."""
    aggregates: dict[str, Any] = {}
    for step in FILE_STEPS:
        aggregates[f"{step.key}_count"] = Count("pk", filter=step.waiting)
        aggregates[f"{step.key}_oldest"] = Min(step.since, filter=step.waiting)
    row = doctors.order_by().aggregate(**aggregates)
    return [StuckFiles(step, row[f"{step.key}_count"], row[f"{step.key}_oldest"]) for step in FILE_STEPS]
