"""Reads of a plan for its review (the page and the API): zones × days, and the lines with their slot and doctor."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from planning.models import Plan, PlanLine
from planning.problem import UNITS
from sites.models import Zone

LIVE = (PlanLine.Status.PROPOSED, PlanLine.Status.SENT, PlanLine.Status.ACCEPTED)


def days(units: int) -> Decimal:
    return Decimal(units) / 2


@dataclass
class ZoneRow:
    zone: Zone
    target: Decimal
    booked: Decimal
    proposed: Decimal
    short: Decimal
    cells: list[list[PlanLine]] = field(default_factory=list)  # one per column (day) of the table


@dataclass
class Review:
    plan: Plan
    columns: list[date]
    rows: list[ZoneRow]
    lines: list[PlanLine]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            "target": sum((r.target for r in self.rows), Decimal(0)),
            "booked": sum((min(r.booked, r.target) for r in self.rows), Decimal(0)),
            "proposed": sum((r.proposed for r in self.rows), Decimal(0)),
            "short": sum((r.short for r in self.rows), Decimal(0)),
        }


def plan_lines(plan: Plan) -> QuerySet:
    return plan.lines.select_related("doctor", "slot__site__commune", "slot__zone").order_by(
        "slot__date", "slot__period", "slot__zone__name", "pk"
    )


def review(plan: Plan) -> Review:
    """The zones of the plan's region (those with a target, a proposal or a shortfall), with what the plan
    proposes now — after the review's removals and swaps — day by day. Three queries."""
    lines = list(plan_lines(plan))
    live = [line for line in lines if line.status in LIVE]
    columns = sorted({line.slot.date for line in live})
    index = {day: i for i, day in enumerate(columns)}
    proposed: dict[int, int] = defaultdict(int)
    cells: dict[int, list[list[PlanLine]]] = defaultdict(lambda: [[] for _ in columns])
    for line in live:
        proposed[line.slot.zone_id] += UNITS[line.slot.period]
        cells[line.slot.zone_id][index[line.slot.date]].append(line)
    stored = {z["zone"]: z for z in plan.figures.get("zones", [])}
    rows = []
    for zone in Zone.objects.filter(pk__in=stored.keys()).order_by("department__code", "name"):
        figures = stored[zone.pk]
        target, booked = figures["target_units"], figures["booked_units"]
        if not target and not proposed[zone.pk]:
            continue
        rows.append(
            ZoneRow(
                zone=zone,
                target=days(target),
                booked=days(booked),
                proposed=days(proposed[zone.pk]),
                short=days(max(0, target - booked - proposed[zone.pk])),
                cells=cells[zone.pk] if zone.pk in cells else [[] for _ in columns],
            )
        )
    rows.sort(key=lambda r: (-(r.short / r.target if r.target else 0), r.zone.name))
    return Review(plan=plan, columns=columns, rows=rows, lines=lines)
