"""Doctors accept a plan's offers while others book the same slots, while the planned doctors book another slot
the same day, while the offers are followed (reconcile) — real parallel transactions on PostgreSQL, each thread on
its own connection, lined up on a barrier (tests/missions/race_scenarios.race). Afterwards: no slot over its
capacity, no doctor twice on a date or over the monthly cap, and every line says what happened to it."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from core.models import TransitionLog
from missions.models import Booking
from missions.services import book_slot
from planning import services
from planning.models import PlanLine
from tests import factories as f
from tests.missions.race_scenarios import ERROR, OK, race
from tests.planning.conftest import FEBRUARY, feb

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SLOTS = 6


@pytest.fixture(autouse=True)
def _postgres_only(on_postgres):
    if not on_postgres:
        pytest.skip("needs PostgreSQL: real parallel transactions and row locks")


def test_accepting_offers_while_others_book_the_same_slots(world):
    slots = [world.slot(i % 2, 2 + i) for i in range(SLOTS)]
    world.zones[0].target_days_per_month = world.zones[1].target_days_per_month = 10
    world.zones[0].save(), world.zones[1].save()
    planned = [world.doctor([i % 2], [2 + i]) for i in range(SLOTS)]
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    assert plan.lines.count() == SLOTS
    services.send_plan(plan, by=world.ars)

    walk_ins = [f.DoctorFactory(zones=world.zones) for _ in range(SLOTS)]
    # the same day elsewhere, in a zone the planned doctor declared (the zone rule of #15)
    elsewhere = [
        f.SlotFactory(site=f.HostSiteFactory(zone=world.zones[i % 2]), date=s.date) for i, s in enumerate(slots)
    ]
    calls = []
    for slot, doctor, walk_in, other in zip(slots, planned, walk_ins, elsewhere, strict=True):
        calls.append(lambda s=slot, d=doctor: book_slot(doctor=d, slot=s, by=d.user))  # accepts the offer
        calls.append(lambda s=slot, d=walk_in: book_slot(doctor=d, slot=s, by=d.user))  # books the same slot
        calls.append(lambda s=other, d=doctor: book_slot(doctor=d, slot=s, by=d.user))  # the same day elsewhere
    calls += [lambda: services.reconcile(region=world.region)] * 2
    outcomes = race(calls)

    assert not [o for o in outcomes if o[0] == ERROR], outcomes
    refusals = Counter(detail for outcome, detail in outcomes if outcome != OK)
    assert set(refusals) <= {"slot_full", "already_booked_that_day"}

    active = Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)
    over_capacity = active.values("slot_id").annotate(n=Count("pk")).filter(n__gt=1)
    twice_a_day = active.values("doctor_id", "date").annotate(n=Count("pk")).filter(n__gt=1)
    over_cap = active.values("doctor_id").annotate(days=Sum("day_fraction")).filter(days__gt=Decimal(2))
    assert (over_capacity.count(), twice_a_day.count(), over_cap.count()) == (0, 0, 0)
    assert active.filter(slot__in=slots).count() == SLOTS  # each slot taken once, by someone

    services.reconcile(region=world.region)
    for line in PlanLine.objects.filter(plan=plan):
        booked = active.filter(doctor_id=line.doctor_id, slot_id=line.slot_id).exists()
        assert line.status == (PlanLine.Status.ACCEPTED if booked else PlanLine.Status.EXPIRED), line.reason
    assert feb(2) <= min(s.date for s in slots)


def test_two_runs_of_the_follow_up_at_once_settle_each_line_once(world):
    """The job and a hand-started run follow the same offers at the same moment: each line is accepted or expired
    once, by one of them, and neither fails on a line the other has just settled."""
    slots = [world.slot(i % 2, 2 + i) for i in range(12)]
    world.zones[0].target_days_per_month = world.zones[1].target_days_per_month = 20
    world.zones[0].save(), world.zones[1].save()
    planned = [world.doctor([i % 2], [2 + i]) for i in range(12)]
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    services.send_plan(plan, by=world.ars)
    for slot, doctor in zip(slots[:6], planned[:6], strict=True):
        book_slot(doctor=doctor, slot=slot, by=doctor.user)  # these accept their offer
    for slot in slots[6:]:
        walk_in = f.DoctorFactory(zones=world.zones)
        book_slot(doctor=walk_in, slot=slot, by=walk_in.user)  # these are taken by others: the offer expires

    outcomes = race([lambda: services.reconcile(region=world.region)] * 4)

    assert outcomes == [[OK, ""]] * 4
    statuses = Counter(PlanLine.objects.filter(plan=plan).values_list("status", flat=True))
    assert statuses == {PlanLine.Status.ACCEPTED: 6, PlanLine.Status.EXPIRED: 6}
    for line in PlanLine.objects.filter(plan=plan):
        assert TransitionLog.objects.of(line).filter(act__in=["accept", "expire"]).count() == 1  # once each
