"""The ARS dashboard: coverage of the zones for the next six months, and what needs attention. Work is done in
the admin; this page links there."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from missions.models import Booking, Doctor
from missions.queries import CoverageRow, coverage, next_months
from missions.views.access import ars_space
from sites.models import Zone

MONTHS = 6
LATE_CANCELLATIONS_DAYS = 30
LIST_LIMIT = 50
CHART_WIDTH, CHART_HEIGHT = 720, 280
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 48, 40, 16


def coverage_status(booked: Decimal, target: Decimal) -> tuple[str, str]:
    """DSFR badge class and label: under half of the target, under the target, target reached."""
    if not target:
        return "info", "Sans objectif"
    ratio = booked / target
    if ratio < Decimal("0.5"):
        return "error", "Très insuffisant"
    if ratio < 1:
        return "warning", "Insuffisant"
    return "success", "Objectif atteint"


@dataclass
class Cell:
    row: CoverageRow
    badge: str = ""
    label: str = ""

    def __post_init__(self):
        self.badge, self.label = coverage_status(self.row.booked_days, self.row.target_days)


@dataclass
class MonthTotal:
    month: date
    target: Decimal = Decimal("0")
    requested: Decimal = Decimal("0")
    confirmed: Decimal = Decimal("0")
    completed: Decimal = Decimal("0")
    bars: dict = field(default_factory=dict)

    @property
    def booked(self) -> Decimal:
        return self.requested + self.confirmed + self.completed

    @property
    def badge(self) -> str:
        return coverage_status(self.booked, self.target)[0]

    @property
    def label(self) -> str:
        return coverage_status(self.booked, self.target)[1]


def _chart(totals: list[MonthTotal]) -> dict:
    """Geometry of a server-side SVG bar chart: per month, the target (outlined) beside the booked days stacked
    completed / confirmed / requested. No script, no CDN; the table below it is its text alternative."""
    plot_h = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    top = max([max(t.target, t.booked) for t in totals] + [Decimal("1")])
    scale = Decimal(plot_h) / top
    slot_w = (CHART_WIDTH - CHART_LEFT) // max(len(totals), 1)
    bar_w = min(36, slot_w // 3)
    base = CHART_HEIGHT - CHART_BOTTOM
    for index, total in enumerate(totals):
        x = CHART_LEFT + index * slot_w + (slot_w - 2 * bar_w - 6) // 2
        y = Decimal(base)
        stack = []
        for kind in ("completed", "confirmed", "requested"):
            height = getattr(total, kind) * scale
            y -= height
            stack.append({"kind": kind, "x": x + bar_w + 6, "y": round(y, 1), "h": round(height, 1)})
        target_h = total.target * scale
        total.bars = {
            "target": {"x": x, "y": round(base - target_h, 1), "h": round(target_h, 1)},
            "stack": stack,
            "label_x": x + bar_w + 3,
            "booked_y": round(y - 4, 1),
        }
    ticks = []
    for n in range(5):
        value = top * n / 4
        ticks.append({"y": round(base - value * scale, 1), "label": f"{value:.0f}"})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": base,
        "bar_w": bar_w,
        "ticks": ticks,
        "label_y": base + 18,
    }


def _admin_changelist(model: str) -> str | None:
    try:
        return reverse(f"admin:missions_{model}_changelist")
    except NoReverseMatch:
        return None


@ars_space
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    months = next_months(MONTHS, today)
    region_ids = list(request.user.ars_memberships.values_list("region_id", flat=True))
    zones = Zone.objects.filter(active=True)
    doctors = Doctor.objects.all()
    bookings = Booking.objects.all()
    if region_ids:  # ARS staff work for their region(s); a national account without region sees everything
        zones = zones.filter(department__region_id__in=region_ids)
        doctors = doctors.filter(practice_department__region_id__in=region_ids)
        bookings = bookings.filter(zone__department__region_id__in=region_ids)

    rows = coverage(months, zones=zones)
    matrix: dict[int, dict] = {}
    totals = {m: MonthTotal(month=m) for m in months}
    for row in rows:
        line = matrix.setdefault(row.zone.pk, {"zone": row.zone, "cells": []})
        line["cells"].append(Cell(row))
        total = totals[row.month]
        total.target += row.target_days
        total.requested += row.requested_days
        total.confirmed += row.confirmed_days
        total.completed += row.completed_days
    month_totals = [totals[m] for m in months]
    chart = _chart(month_totals)

    awaiting = (
        doctors.filter(status=Doctor.Status.SUBMITTED).select_related("practice_commune").order_by("submitted_at")
    )
    unconfirmed = (
        bookings.filter(
            status=Booking.Status.REQUESTED,
            date__range=(today, today + timedelta(days=settings.CONFIRM_REMINDER_DAYS)),
        )
        .select_related("doctor", "slot__site")
        .order_by("date", "pk")
    )
    late = (
        bookings.filter(
            late_cancellation=True,
            cancelled_at__gte=timezone.now() - timedelta(days=LATE_CANCELLATIONS_DAYS),
        )
        .select_related("doctor", "slot__site")
        .order_by("-cancelled_at")
    )
    return render(
        request,
        "ars/dashboard.html",
        {
            "months": months,
            "month_labels": [date_format(m, "F Y") for m in months],
            "matrix": list(matrix.values()),
            "month_totals": month_totals,
            "chart": chart,
            "awaiting": list(awaiting[:LIST_LIMIT]),
            "unconfirmed": list(unconfirmed[:LIST_LIMIT]),
            "late": list(late[:LIST_LIMIT]),
            "confirm_days": settings.CONFIRM_REMINDER_DAYS,
            "late_days": LATE_CANCELLATIONS_DAYS,
            "admin_doctors": _admin_changelist("doctor"),
            "admin_bookings": _admin_changelist("booking"),
        },
    )
