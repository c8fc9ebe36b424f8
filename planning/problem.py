"""The planning problem of one region and month, read from the database in a constant number of queries
(planning.solver states the rules it encodes).

What a plan may still propose is what is left once the bookings (requested, confirmed, completed) *and the offers
still out* (sent plan lines, neither accepted, declined nor expired) are counted: an offer out holds a place of
its slot, a day of its doctor and its half-days in its zone until the doctor answers or it expires. Running a plan
again therefore proposes only for what is still short, and never the same slot to the same doctor twice (every
missions.SlotOffer, whoever made it, is excluded).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from missions.models import Availability, Booking, Doctor, SlotOffer
from missions.rules import month_bounds
from planning.models import PlanLine
from planning.solver import OpenSlot, Problem, Volunteer, ZoneNeed
from sites.models import Department, Region, Slot, Zone

ACTIVE = Booking.ACTIVE_STATUSES
UNITS = {"full_day": 2, "morning": 1, "afternoon": 1}


def units_of(fraction: Decimal | float) -> int:
    return int(Decimal(fraction) * 2)


def window(month: date, today: date | None = None) -> tuple[date, date] | None:
    """The dates of `month` a plan may still propose: from today (R4: not in the past) to the booking horizon."""
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    start, end = max(first, today), min(last, today + timedelta(days=settings.BOOKING_HORIZON_DAYS))
    return (start, end) if start <= end else None


def read_problem(region: Region, month: date) -> Problem:
    """The problem of `region` for `month`, as the database holds it now."""
    month = month.replace(day=1)
    first, last = month_bounds(month)
    dates = window(month)
    zones_qs = Zone.objects.filter(active=True, department__region=region)
    zone_rows = list(zones_qs.values_list("pk", "target_days_per_month", "department_id", "siren"))
    zone_ids = [z[0] for z in zone_rows]
    problem = Problem(zones=[], slots=[], doctors=[], region_id=region.pk)
    if not zone_rows:
        return problem
    problem.department_region = dict(Department.objects.values_list("pk", "region_id"))

    booked: dict[int, int] = defaultdict(int)
    for zone_id, fraction in Booking.objects.filter(
        zone_id__in=zone_ids, date__range=(first, last), status__in=ACTIVE
    ).values_list("zone_id", "day_fraction"):
        booked[zone_id] += units_of(fraction)
    pending = PlanLine.objects.filter(status__in=PlanLine.PENDING, slot__date__range=(first, last))
    pending_rows = list(pending.values_list("slot_id", "slot__zone_id", "slot__period", "doctor_id", "slot__date"))
    pending_by_slot: dict[int, int] = defaultdict(int)
    for slot_id, zone_id, period, _, _ in pending_rows:
        pending_by_slot[slot_id] += 1
        booked[zone_id] += UNITS[period]
    problem.zones = [
        ZoneNeed(id=pk, target_units=2 * target, booked_units=booked[pk], department_id=dep, siren=siren)
        for pk, target, dep, siren in zone_rows
    ]
    if dates is None:
        return problem
    short = [z.id for z in problem.zones if z.need_units > 0]

    slots = (
        Slot.objects.filter(zone_id__in=short, date__range=dates, status=Slot.Status.OPEN, site__active=True)
        .annotate(taken=Count("bookings", filter=Q(bookings__status__in=ACTIVE)))
        .values_list("pk", "zone_id", "date", "period", "capacity", "taken")
    )
    for pk, zone_id, day, period, capacity, taken in slots:
        places = capacity - taken - pending_by_slot.get(pk, 0)
        if places > 0:
            problem.slots.append(OpenSlot(pk, zone_id, day, period, UNITS[period], places))
    if not problem.slots:
        return problem
    slot_dates = {s.date for s in problem.slots}

    covering = Doctor.zones.through.objects.filter(zone_id__in=short).values("doctor_id")
    availability: dict[int, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for doctor_id, day, period in Availability.objects.filter(
        doctor_id__in=covering, doctor__status=Doctor.Status.VALIDATED, date__in=slot_dates
    ).values_list("doctor_id", "date", "period"):
        availability[doctor_id][day].add(period)
    if not availability:
        return problem
    ids = list(availability)
    doctor_zones: dict[int, set[int]] = defaultdict(set)
    for doctor_id, zone_id in Doctor.zones.through.objects.filter(doctor_id__in=ids, zone_id__in=short).values_list(
        "doctor_id", "zone_id"
    ):
        doctor_zones[doctor_id].add(zone_id)
    used: dict[int, int] = defaultdict(int)
    busy: dict[int, set[date]] = defaultdict(set)
    for doctor_id, day, fraction in Booking.objects.filter(
        doctor_id__in=ids, date__range=(first, last), status__in=ACTIVE
    ).values_list("doctor_id", "date", "day_fraction"):
        used[doctor_id] += units_of(fraction)
        busy[doctor_id].add(day)
    for _, _, period, doctor_id, day in pending_rows:
        used[doctor_id] += UNITS[period]
        busy[doctor_id].add(day)
    rank = dict(
        Availability.objects.filter(doctor_id__in=ids, date__range=(first, last))
        .values("doctor_id")
        .annotate(first=Min("pk"))
        .values_list("doctor_id", "first")
    )
    cap = int(Decimal(settings.MAX_DAYS_PER_MONTH) * 2)
    for pk, department_id, region_id, siren in Doctor.objects.filter(pk__in=ids).values_list(
        "pk", "practice_department_id", "practice_department__region_id", "practice_commune__epci__siren"
    ):
        problem.doctors.append(
            Volunteer(
                id=pk,
                cap_units=cap - used[pk],
                zone_ids=frozenset(doctor_zones[pk]),
                availability={day: frozenset(periods) for day, periods in availability[pk].items()},
                busy_dates=frozenset(busy[pk]),
                practice_department_id=department_id,
                practice_region_id=region_id,
                practice_epci_siren=siren or "",
                rank=rank.get(pk, 0),
            )
        )
    slot_ids = [s.id for s in problem.slots]
    problem.already_offered = set(
        SlotOffer.objects.filter(slot_id__in=slot_ids, doctor_id__in=ids).values_list("slot_id", "doctor_id")
    )
    return problem
