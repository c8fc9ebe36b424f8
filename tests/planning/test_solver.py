"""The solvers on small hand-made problems whose optimum is known (each test says why), plus properties of the
optimiser against the greedy baseline on generated problems (no database: planning.solver is pure)."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planning.solver import OpenSlot, Problem, Volunteer, ZoneNeed, candidate_pairs, covers, greedy, optimise

D1, D2, D3 = date(2027, 2, 3), date(2027, 2, 4), date(2027, 2, 5)
FULL = frozenset({"full_day"})


def volunteer(pk, zones, days, *, cap=4, rank=0, busy=(), department=0, siren="", periods=FULL):
    return Volunteer(
        id=pk,
        cap_units=cap,
        zone_ids=frozenset(zones),
        availability={d: periods for d in days},
        busy_dates=frozenset(busy),
        practice_department_id=department,
        practice_region_id=1 if department else 0,
        practice_epci_siren=siren,
        rank=rank,
    )


def filled(problem, solution) -> int:
    return sum(solution.covered_units(problem).values())


def test_the_optimiser_beats_first_come_when_the_first_doctor_could_go_elsewhere():
    """Dr 1 (first to declare) covers zones A and B, Dr 2 only A, both free on D1; one slot in each zone that day.
    First come gives A's slot to Dr 1, and B's to nobody (Dr 1 is taken that day, Dr 2 does not cover B): 1 day.
    The optimum sends Dr 2 to A and Dr 1 to B: 2 days."""
    problem = Problem(
        zones=[ZoneNeed(1, 16, 0), ZoneNeed(2, 16, 0)],
        slots=[OpenSlot(10, 1, D1, "full_day", 2, 1), OpenSlot(11, 2, D1, "full_day", 2, 1)],
        doctors=[volunteer(100, [1, 2], [D1], rank=0), volunteer(101, [1], [D1], rank=1)],
    )
    assert greedy(problem).assignments == [(100, 10)]
    assert sorted(optimise(problem).assignments) == [(100, 11), (101, 10)]


def test_least_covered_zone_first():
    """One doctor, one free day, a slot that day in zone A (6 of 8 days booked) and in zone B (none booked): the
    half-days count the same, so the tie goes to the least-covered zone, B."""
    problem = Problem(
        zones=[ZoneNeed(1, 16, 12), ZoneNeed(2, 16, 0)],
        slots=[OpenSlot(10, 1, D1, "full_day", 2, 1), OpenSlot(11, 2, D1, "full_day", 2, 1)],
        doctors=[volunteer(100, [1, 2], [D1])],
    )
    assert optimise(problem).assignments == [(100, 11)]


def test_coverage_comes_before_priority():
    """Dr 1 is free on D1 only; zone A (well covered) has a full day on D1, zone B (uncovered) only a morning on D1.
    Sending Dr 1 to B fills 1 half-day, to A 2: the count wins over priority (stage 1 is lexicographic)."""
    problem = Problem(
        zones=[ZoneNeed(1, 16, 12), ZoneNeed(2, 16, 0)],
        slots=[OpenSlot(10, 1, D1, "full_day", 2, 1), OpenSlot(11, 2, D1, "morning", 1, 1)],
        doctors=[volunteer(100, [1, 2], [D1])],
    )
    assert optimise(problem).assignments == [(100, 10)]


def test_load_is_spread_fairly():
    """A zone needs 2 days; slots on D1 and D2; two doctors free both days. First come gives both days to Dr 1
    (allowed: 2 days a month); fairness gives one day each (the fair share is 1 day)."""
    problem = Problem(
        zones=[ZoneNeed(1, 4, 0)],
        slots=[OpenSlot(10, 1, D1, "full_day", 2, 1), OpenSlot(11, 1, D2, "full_day", 2, 1)],
        doctors=[volunteer(100, [1], [D1, D2], rank=0), volunteer(101, [1], [D1, D2], rank=1)],
    )
    assert greedy(problem).assignments == [(100, 10), (100, 11)]
    result = optimise(problem).assignments
    assert len(result) == 2 and {d for d, _ in result} == {100, 101}


def test_nearer_zone_first():
    """Two uncovered zones, one slot each on D1; the doctor practises in zone B's department: B is nearer."""
    problem = Problem(
        zones=[ZoneNeed(1, 16, 0, department_id=7), ZoneNeed(2, 16, 0, department_id=8)],
        slots=[OpenSlot(10, 1, D1, "full_day", 2, 1), OpenSlot(11, 2, D1, "full_day", 2, 1)],
        doctors=[volunteer(100, [1, 2], [D1], department=8)],
        department_region={7: 1, 8: 1},
    )
    assert optimise(problem).assignments == [(100, 11)]


def test_no_more_than_needed():
    """A zone needs half a day; three doctors and three slots: one proposal, not three."""
    problem = Problem(
        zones=[ZoneNeed(1, 16, 15)],
        slots=[OpenSlot(10 + i, 1, D1, "morning", 1, 1) for i in range(3)],
        doctors=[volunteer(100 + i, [1], [D1], periods=frozenset({"morning"})) for i in range(3)],
    )
    assert len(optimise(problem).assignments) == 1


def test_rules_prune_the_pairs():
    """Cap left (a full day needs 2 half-days), a busy day, a half-day availability for a full-day slot, a slot
    already offered to that doctor, a zone not declared, a full slot: none makes a candidate pair."""
    slot = OpenSlot(10, 1, D1, "full_day", 2, 1)
    problem = Problem(
        zones=[ZoneNeed(1, 16, 0)],
        slots=[slot, OpenSlot(11, 1, D1, "full_day", 2, 0)],
        doctors=[
            volunteer(100, [1], [D1], cap=1),
            volunteer(101, [1], [D1], busy=[D1]),
            volunteer(102, [1], [D1], periods=frozenset({"morning"})),
            volunteer(103, [1], [D1]),
            volunteer(104, [2], [D1]),
            volunteer(105, [1], [D1]),
        ],
        already_offered={(10, 103)},
    )
    assert [(p.doctor, p.slot) for p in candidate_pairs(problem)] == [(105, 10)]
    assert covers("full_day", "morning") and not covers("morning", "full_day")


# --- properties ---------------------------------------------------------------------------------------------------

DAYS = [D1 + timedelta(days=i) for i in range(6)]


@st.composite
def problems(draw):
    zones = [
        ZoneNeed(z, draw(st.integers(0, 8)), draw(st.integers(0, 6))) for z in range(1, draw(st.integers(1, 3)) + 1)
    ]
    slots = []
    for i in range(draw(st.integers(0, 8))):
        period = draw(st.sampled_from(["full_day", "morning", "afternoon"]))
        slots.append(
            OpenSlot(
                100 + i,
                draw(st.sampled_from([z.id for z in zones])),
                draw(st.sampled_from(DAYS)),
                period,
                2 if period == "full_day" else 1,
                draw(st.integers(0, 2)),
            )
        )
    doctors = []
    for i in range(draw(st.integers(0, 5))):
        days = draw(st.lists(st.sampled_from(DAYS), max_size=4, unique=True))
        doctors.append(
            Volunteer(
                id=1000 + i,
                cap_units=draw(st.integers(0, 4)),
                zone_ids=frozenset(draw(st.lists(st.sampled_from([z.id for z in zones]), max_size=3))),
                availability={
                    d: frozenset(draw(st.sets(st.sampled_from(["full_day", "morning", "afternoon"]), min_size=1)))
                    for d in days
                },
                busy_dates=frozenset(draw(st.lists(st.sampled_from(DAYS), max_size=2))),
                rank=i,
            )
        )
    return Problem(zones=zones, slots=slots, doctors=doctors)


def check_rules(problem, solution):
    slots = {s.id: s for s in problem.slots}
    doctors = {d.id: d for d in problem.doctors}
    taken: dict[int, int] = {}
    load: dict[int, int] = {}
    days: set = set()
    for doctor_id, slot_id in solution.assignments:
        slot, doctor = slots[slot_id], doctors[doctor_id]
        assert slot.zone_id in doctor.zone_ids
        assert slot.date not in doctor.busy_dates and (doctor_id, slot.date) not in days
        assert any(covers(p, slot.period) for p in doctor.availability[slot.date])
        days.add((doctor_id, slot.date))
        taken[slot_id] = taken.get(slot_id, 0) + 1
        load[doctor_id] = load.get(doctor_id, 0) + slot.units
        assert taken[slot_id] <= slot.places
        assert load[doctor_id] <= doctor.cap_units


@settings(max_examples=60)
@given(problems())
def test_no_solution_breaks_a_rule_and_the_optimiser_fills_at_least_as_much_as_greedy(problem):
    first_come, best = greedy(problem), optimise(problem, time_limit=2)
    check_rules(problem, first_come)
    check_rules(problem, best)
    assert filled(problem, best) >= filled(problem, first_come)
