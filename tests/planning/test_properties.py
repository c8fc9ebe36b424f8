"""No proposal ever breaks a rule: on generated worlds (slots, capacities, availability, existing bookings, offers
out, suspended doctors), every line of a plan is booked through missions.services.book_slot — the very checks a
doctor's acceptance meets (R1–R4, capacity, one a day) — and none is refused; each also matches an availability
of its doctor that day and a zone they declared."""

from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import RuleViolation
from missions.models import Availability
from missions.services import book_slot
from planning import services
from planning.models import Solver
from planning.solver import covers
from tests import factories as f
from tests.planning.conftest import FEBRUARY, feb

pytestmark = pytest.mark.django_db

PERIODS = ["full_day", "morning", "afternoon"]


class Rollback(Exception):
    pass


worlds = st.fixed_dictionaries(
    {
        "targets": st.lists(st.integers(0, 3), min_size=1, max_size=3),
        "slots": st.lists(
            st.tuples(st.integers(0, 2), st.integers(2, 8), st.sampled_from(PERIODS), st.integers(1, 2)), max_size=7
        ),
        "doctors": st.lists(
            st.tuples(
                st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),  # zones declared
                st.lists(st.tuples(st.integers(2, 8), st.sampled_from(PERIODS)), max_size=4),  # availability
                st.sampled_from(["validated", "validated", "validated", "suspended"]),
                st.lists(st.integers(2, 8), max_size=2, unique=True),  # days already booked (their own slots)
            ),
            max_size=5,
        ),
        "solver": st.sampled_from([Solver.CP_SAT, Solver.GREEDY]),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=worlds)
def test_every_proposal_passes_the_booking_rules(world, spec):
    try:
        with transaction.atomic():
            check(world, spec)
            raise Rollback
    except Rollback:
        pass


def check(world, spec) -> None:
    department = world.zones[0].department
    zones = [f.ZoneFactory(department=department, target_days_per_month=t) for t in spec["targets"]]
    sites = [f.HostSiteFactory(zone=z) for z in zones]
    published = {}  # one open slot per site, date and period (sites.Slot's constraint)
    for zone_index, day, period, capacity in spec["slots"]:
        published[(zone_index % len(zones), day, period)] = capacity
    for (zone_index, day, period), capacity in published.items():
        f.SlotFactory(site=sites[zone_index], date=feb(day), period=period, capacity=capacity)
    for zone_indexes, free, status, booked in spec["doctors"]:
        doctor = f.DoctorFactory(zones=[zones[i % len(zones)] for i in zone_indexes])
        for day, period in free:
            Availability.objects.get_or_create(doctor=doctor, date=feb(day), period=period)
        own_site = f.HostSiteFactory(zone=zones[zone_indexes[0] % len(zones)])  # a zone they declared (#15)
        for day in booked:  # existing bookings count (capacity, one a day, the monthly cap)
            book_slot(doctor=doctor, slot=f.SlotFactory(site=own_site, date=feb(day)), by=doctor.user)
        if status == "suspended":
            doctor.status = status
            doctor.save()
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars, solver=spec["solver"])
    for line in plan.lines.select_related("doctor__user", "slot"):
        slot, doctor = line.slot, line.doctor
        assert doctor.zones.filter(pk=slot.zone_id).exists()
        periods = Availability.objects.filter(doctor=doctor, date=slot.date).values_list("period", flat=True)
        assert any(covers(p, slot.period) for p in periods)
        try:
            book_slot(doctor=doctor, slot=slot, by=doctor.user)
        except RuleViolation as exc:  # pragma: no cover - the failure this test exists to catch
            raise AssertionError(f"proposal {doctor} → {slot} refused: {exc.code} {exc.message}") from exc
    assert all(line.slot.date >= date(2027, 2, 1) for line in plan.lines.all())
