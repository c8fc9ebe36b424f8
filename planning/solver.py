"""The planning problem and its two solvers: an optimiser (OR-Tools CP-SAT) and the « first come » greedy baseline.

Pure Python on plain data (planning.problem reads it from the database): the tests and the benchmark give it
hand-made or generated problems.

Units are half-days: a full-day slot is 2 units, a morning or an afternoon 1; a zone's target of 8 days is 16.

**Constraints** (every rule the booking obeys, missions.services.book_slot, plus what a proposal adds):
- a pair (doctor, slot) exists only when the doctor is validated, declared the slot's zone, declared an
  availability that day for that period (a full-day availability covers a morning or an afternoon, not the
  reverse), has no active booking nor pending offer that day (R2), has room left under the monthly cap for it (R1),
  was never offered this slot before, and the slot is open, at an active site, bookable today (R4) with a place
  left (R3) once its active bookings and pending offers are counted (planning.problem prunes the rest);
- each slot takes at most its free places (R3);
- each doctor takes at most one slot a day (R2) and at most their remaining units in the month (R1);
- a zone is never proposed more than one half-day beyond what it still needs (a full day may fill its last half).

**Objective**, lexicographic, solved in two stages:
1. *Coverage, least-covered zones first* — maximise Σ over the zones' missing half-days filled of (M + p), where
   p = 100 × (1 − the zone's coverage ratio before that half-day) and M = 100 × (half-days needed) + 1, so that
   one more half-day up to a target always outweighs any change of priority (the count is maximised first), and
   among plans filling as many, the half-days of the least-covered zones win.
2. *Fairness, then preferences* — with stage 1's value held, minimise W × Σ (each doctor's load above the fair
   share) + Σ over the proposals of (1 + distance cost), where the fair share is ⌈half-days needed ÷ doctors who
   could go⌉, W is larger than any sum of distance costs (fairness first), the 1 per proposal drops useless ones,
   and the distance cost estimates how far a doctor travels: 0 when the zone is in the department of their main
   practice, 2 in another department of the same region, 4 farther; +3 when the zone is that of their own main
   practice (R10: allowed, but a warning to the ARS). The reference data has no coordinates (communes.csv: INSEE
   code, department, EPCI, population), hence the estimate by department.

The greedy baseline takes the slots by date and period, and gives each free place to the first doctor who
declared an availability that fits, while the zone still needs days: what happens when offers go out « first
come, first served ».

A region is split into independent parts (doctors and zones linked by candidate pairs) solved one by one; the
greedy solution is given to CP-SAT as a hint, and a part whose model ends without a solution falls back to it.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

PERIOD_ORDER = {"full_day": 0, "morning": 1, "afternoon": 2}


def covers(availability_period: str, slot_period: str) -> bool:
    """A full-day availability covers any slot of that day; a half-day one only a slot of that half."""
    return availability_period == "full_day" or availability_period == slot_period


@dataclass(frozen=True)
class ZoneNeed:
    id: int
    target_units: int  # half-days
    booked_units: int  # active bookings and pending offers of the month, half-days
    department_id: int = 0
    siren: str = ""

    @property
    def need_units(self) -> int:
        return max(0, self.target_units - self.booked_units)


@dataclass(frozen=True)
class OpenSlot:
    id: int
    zone_id: int
    date: date
    period: str
    units: int  # 2 a full day, 1 a half-day
    places: int  # capacity minus active bookings minus pending offers


@dataclass(frozen=True)
class Volunteer:
    id: int
    cap_units: int  # half-days left under the monthly cap (active bookings and pending offers counted)
    zone_ids: frozenset[int]
    availability: dict[date, frozenset[str]]  # date -> periods declared
    busy_dates: frozenset[date] = frozenset()  # an active booking or a pending offer that day
    practice_department_id: int = 0
    practice_region_id: int = 0
    practice_epci_siren: str = ""
    rank: int = 0  # « first come »: the order of the doctor's first availability of the month


@dataclass
class Problem:
    zones: list[ZoneNeed]
    slots: list[OpenSlot]
    doctors: list[Volunteer]
    region_id: int = 0
    already_offered: set[tuple[int, int]] = field(default_factory=set)  # (slot, doctor) ever offered
    department_region: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Pair:
    doctor: int
    slot: int
    cost: int  # distance estimate (module docstring)


@dataclass
class Solution:
    solver: str
    assignments: list[tuple[int, int]]  # (doctor, slot)
    seconds: float = 0.0
    status: str = ""
    pairs: int = 0
    parts: int = 0

    def covered_units(self, problem: Problem) -> dict[int, int]:
        """Half-days proposed per zone (only up to what the zone needs)."""
        slots = {s.id: s for s in problem.slots}
        need = {z.id: z.need_units for z in problem.zones}
        proposed: dict[int, int] = defaultdict(int)
        for _, slot_id in self.assignments:
            slot = slots[slot_id]
            proposed[slot.zone_id] += slot.units
        return {zone: min(units, need.get(zone, 0)) for zone, units in proposed.items()}


def distance_cost(doctor: Volunteer, zone: ZoneNeed, department_region: dict[int, int]) -> int:
    if zone.department_id and zone.department_id == doctor.practice_department_id:
        cost = 0
    elif doctor.practice_region_id and department_region.get(zone.department_id) == doctor.practice_region_id:
        cost = 2
    else:
        cost = 4
    if zone.siren and zone.siren == doctor.practice_epci_siren:
        cost += 3
    return cost


def candidate_pairs(problem: Problem) -> list[Pair]:
    """Every (doctor, slot) a proposal may pair, pruned early: zones that need nothing, full slots, doctors at
    their cap or busy that day, periods their availability does not cover, offers already made."""
    zones = {z.id: z for z in problem.zones if z.need_units > 0}
    by_zone_date: dict[tuple[int, date], list[OpenSlot]] = defaultdict(list)
    for slot in problem.slots:
        if slot.places > 0 and slot.zone_id in zones:
            by_zone_date[(slot.zone_id, slot.date)].append(slot)
    pairs = []
    for doctor in problem.doctors:
        if doctor.cap_units <= 0:
            continue
        for day, periods in doctor.availability.items():
            if day in doctor.busy_dates:
                continue
            for zone_id in doctor.zone_ids:
                for slot in by_zone_date.get((zone_id, day), ()):
                    if slot.units > doctor.cap_units or (slot.id, doctor.id) in problem.already_offered:
                        continue
                    if any(covers(p, slot.period) for p in periods):
                        pairs.append(
                            Pair(doctor.id, slot.id, distance_cost(doctor, zones[zone_id], problem.department_region))
                        )
    return pairs


def greedy(problem: Problem, pairs: list[Pair] | None = None) -> Solution:
    """« First come »: slots by date and period, each free place to the first doctor (by their first declared
    availability) who fits, while the zone still needs days."""
    started = time.perf_counter()
    pairs = candidate_pairs(problem) if pairs is None else pairs
    return Solution("greedy", _greedy(problem, pairs), seconds=time.perf_counter() - started, pairs=len(pairs))


def _greedy(problem: Problem, pairs: Iterable[Pair]) -> list[tuple[int, int]]:
    doctors = {d.id: d for d in problem.doctors}
    slots = {s.id: s for s in problem.slots}
    need = {z.id: z.need_units for z in problem.zones}
    by_slot: dict[int, list[int]] = defaultdict(list)
    for pair in pairs:
        by_slot[pair.slot].append(pair.doctor)
    cap = {d.id: d.cap_units for d in problem.doctors}
    days_taken: set[tuple[int, date]] = set()
    chosen = []
    order = sorted(by_slot, key=lambda s: (slots[s].date, PERIOD_ORDER.get(slots[s].period, 9), s))
    for slot_id in order:
        slot = slots[slot_id]
        places = slot.places
        for doctor_id in sorted(by_slot[slot_id], key=lambda d: (doctors[d].rank, d)):
            if places <= 0 or need[slot.zone_id] <= 0:
                break
            if cap[doctor_id] < slot.units or (doctor_id, slot.date) in days_taken:
                continue
            chosen.append((doctor_id, slot_id))
            cap[doctor_id] -= slot.units
            days_taken.add((doctor_id, slot.date))
            need[slot.zone_id] -= slot.units
            places -= 1
    return chosen


def _filled(problem: Problem, assignments: list[tuple[int, int]]) -> int:
    return sum(Solution("", assignments).covered_units(problem).values())


def _parts(pairs: list[Pair], slots: dict[int, OpenSlot]) -> list[list[Pair]]:
    """Independent sub-problems: doctors and zones linked by candidate pairs (union-find)."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        a, b = find(("d", pair.doctor)), find(("z", slots[pair.slot].zone_id))
        if a != b:
            parent[a] = b
    groups: dict[tuple[str, int], list[Pair]] = defaultdict(list)
    for pair in pairs:
        groups[find(("d", pair.doctor))].append(pair)
    return list(groups.values())


def optimise(problem: Problem, *, time_limit: float = 8.0, workers: int = 1) -> Solution:
    """The CP-SAT plan (module docstring: constraints and objective). `time_limit` is for the whole region, shared
    among its parts by size."""
    started = time.perf_counter()
    pairs = candidate_pairs(problem)
    slots = {s.id: s for s in problem.slots}
    parts = _parts(pairs, slots)
    chosen: list[tuple[int, int]] = []
    statuses = set()
    for part in parts:
        budget = max(0.5, time_limit * len(part) / max(1, len(pairs)))
        found, status = _solve_part(problem, part, time_limit=budget, workers=workers)
        fallback = _greedy(problem, part)
        if _filled(problem, found) < _filled(problem, fallback):  # a time limit hit before the hint was used
            found, status = fallback, "GREEDY"
        chosen.extend(found)
        statuses.add(status)
    status = "OPTIMAL" if statuses <= {"OPTIMAL"} else "FEASIBLE"
    return Solution(
        "cp_sat", chosen, seconds=time.perf_counter() - started, status=status, pairs=len(pairs), parts=len(parts)
    )


def _solve_part(
    problem: Problem, pairs: list[Pair], *, time_limit: float, workers: int
) -> tuple[list[tuple[int, int]], str]:
    from ortools.sat.python import cp_model

    hint = set(_greedy(problem, pairs))
    slots = {s.id: s for s in problem.slots}
    doctors = {d.id: d for d in problem.doctors}
    zones = {z.id: z for z in problem.zones}

    model = cp_model.CpModel()
    x = {(p.doctor, p.slot): model.new_bool_var(f"x{p.doctor}_{p.slot}") for p in pairs}
    for key, var in x.items():
        model.add_hint(var, key in hint)

    by_slot: dict[int, list] = defaultdict(list)
    by_doctor_day: dict[tuple[int, date], list] = defaultdict(list)
    load: dict[int, list] = defaultdict(list)
    by_zone: dict[int, list] = defaultdict(list)
    for (doctor_id, slot_id), var in x.items():
        slot = slots[slot_id]
        by_slot[slot_id].append(var)
        by_doctor_day[(doctor_id, slot.date)].append(var)
        load[doctor_id].append(slot.units * var)
        by_zone[slot.zone_id].append(slot.units * var)
    for slot_id, vars_ in by_slot.items():
        if len(vars_) > slots[slot_id].places:
            model.add(sum(vars_) <= slots[slot_id].places)  # R3
    for vars_ in by_doctor_day.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)  # R2
    for doctor_id, terms in load.items():
        model.add(sum(terms) <= doctors[doctor_id].cap_units)  # R1

    # Stage 1: half-days filled up to each zone's target, least-covered zones first.
    need_total = sum(zones[z].need_units for z in by_zone)
    big = 100 * need_total + 1
    filled_terms = []
    for zone_id, terms in by_zone.items():
        zone = zones[zone_id]
        covered = sum(terms)
        model.add(covered <= zone.need_units + 1)
        steps = [model.new_bool_var(f"u{zone_id}_{j}") for j in range(zone.need_units)]
        model.add(sum(steps) <= covered)
        for j, step in enumerate(steps):
            ratio = (zone.booked_units + j) / zone.target_units if zone.target_units else 1.0
            filled_terms.append((big + round(100 * max(0.0, 1.0 - ratio))) * step)
    coverage = sum(filled_terms)
    model.maximize(coverage)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = time_limit / 2
    first = solver.solve(model)
    if first not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return sorted(hint), "GREEDY"
    best = round(solver.objective_value)
    exact = first == cp_model.OPTIMAL

    # Stage 2: stage 1's value held; fairness first, then one unit per proposal plus its distance cost.
    model.add(coverage >= best)
    model.clear_hints()
    for var in x.values():
        model.add_hint(var, bool(solver.value(var)))
    doctors_in = len(load)
    share = max(1, math.ceil(need_total / max(1, doctors_in)))
    costs = {(p.doctor, p.slot): 1 + p.cost for p in pairs}
    weight = sum(costs.values()) + 1
    excess = []
    for doctor_id, terms in load.items():
        over = model.new_int_var(0, max(0, doctors[doctor_id].cap_units), f"e{doctor_id}")
        model.add(over >= sum(terms) - share)
        excess.append(over)
    model.minimize(weight * sum(excess) + sum(costs[key] * var for key, var in x.items()))
    second = solver.solve(model)
    if second not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return sorted(hint), "GREEDY"
    chosen = sorted(key for key, var in x.items() if solver.value(var))
    return chosen, "OPTIMAL" if exact and second == cp_model.OPTIMAL else "FEASIBLE"
