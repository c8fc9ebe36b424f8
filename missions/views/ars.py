"""The ARS dashboard: coverage of the zones for the next six months, and what needs attention. Work is done in
the admin; this page links there. Everything on it is the agent's region(s) (accounts.authority; superusers:
national); a staff account without a region is told so by `ars_space` and sees nothing."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import MONTHS as MONTHS_NAMES
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from accounts.audit import record_bulk_read
from accounts.authority import ars_zones, visible
from directory.check import RppsCheck, check_many
from missions.coverage import DASHBOARD_MONTHS, Figures, dashboard_window, precomputed, previous_months
from missions.models import Booking, Doctor
from missions.queries import CoverageRow, next_months, stuck_files
from missions.views.access import ars_space

MONTHS = DASHBOARD_MONTHS
LATE_CANCELLATIONS_DAYS = 30
LIST_LIMIT = 50
# The zones × months tables show this many zones a page (the month totals and the chart count every zone): a large
# region has 258 zones, and 3,100 cells made two thirds of the page's CPU (bench/README.md, issue #20).
ZONES_PER_PAGE = 50
CHART_WIDTH, CHART_HEIGHT = 720, 280
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 48, 40, 16
DOCTOR_COLUMNS = ("first_name", "last_name")
BOOKING_COLUMNS = ("date", "doctor__first_name", "doctor__last_name", "slot__site__name")


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


TENTH = Decimal("0.1")


def french_days(value: Decimal) -> str:
    """A number of days as the template filter `floatformat:"-1"` writes it in French (4, 4,5), without the
    template engine's cost: the matrix has one cell per zone and month, 1,500 in a large region."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(TENTH, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def coverage_cell_html(row: CoverageRow) -> str:
    """One cell of the matrix: booked / target days in a badge of its status, then the detail by status."""
    badge, label = coverage_status(row.booked_days, row.target_days)
    return (
        "<td>"
        f'<p class="fr-badge fr-badge--sm fr-badge--{badge} fr-mb-1v">'
        f"{french_days(row.booked_days)} / {french_days(row.target_days)}"
        f'<span class="fr-sr-only"> — {escape(label)}</span></p>'
        f'<br><span class="fr-text--xs">{french_days(row.requested_days)} dem. · '
        f"{french_days(row.confirmed_days)} conf. · {french_days(row.completed_days)} eff.</span>"
        "</td>"
    )


def coverage_matrix_html(rows: list[CoverageRow]) -> SafeString:
    """The body of the zones × months table, built here rather than in the template: at national scale the
    template engine spent ~200 ms of CPU per page on it (seven variables and five filters per cell)."""
    lines: dict[int, list[str]] = {}
    for row in rows:
        cells = lines.get(row.zone.pk)
        if cells is None:
            zone = row.zone
            cells = lines[zone.pk] = [
                f'<tr><th scope="row">{escape(zone.name)}<br>'
                f'<span class="fr-text--xs">{escape(zone.department.code)}</span></th>'
            ]
        cells.append(coverage_cell_html(row))
    return mark_safe("\n".join("".join(cells) + "</tr>" for cells in lines.values()))  # noqa: S308 - escaped above


def achievement_matrix_html(rows: list[CoverageRow]) -> SafeString:
    """What the mission achieves, zones × past months: the consultations attested and the days worked (built
    here like the coverage matrix, for the same reason)."""
    lines: dict[int, list[str]] = {}
    for row in rows:
        cells = lines.get(row.zone.pk)
        if cells is None:
            zone = row.zone
            cells = lines[zone.pk] = [
                f'<tr><th scope="row">{escape(zone.name)}<br>'
                f'<span class="fr-text--xs">{escape(zone.department.code)}</span></th>'
            ]
        cells.append(
            f"<td>{row.consultations}"
            f'<br><span class="fr-text--xs">{french_days(row.completed_days)} j. eff.</span></td>'
        )
    return mark_safe("\n".join("".join(cells) + "</tr>" for cells in lines.values()))  # noqa: S308 - escaped above


@dataclass
class MonthAchieved:
    month: date
    consultations: int = 0
    completed: Decimal = Decimal("0")


def achievements(rows: list[CoverageRow], per_month: dict[date, Figures]) -> dict:
    """The dashboard's « ce que la mission apporte »: consultations attested per zone and month (`rows`: a page of
    zones), and per month (`per_month`: every zone)."""
    months = list(per_month)
    return {
        "achieved_labels": [date_format(m, "F Y") for m in months],
        "achieved_matrix": achievement_matrix_html(rows),
        "achieved_totals": [MonthAchieved(m, figures[3], figures[2]) for m, figures in per_month.items()],
    }


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


def _percent(value: Decimal, top: Decimal) -> Decimal:
    return round(value * 100 / top, 1)


def _chart(totals: list[MonthTotal]) -> dict:
    """Geometry of a server-side SVG bar chart: per month, the target (outlined) beside the booked days stacked
    completed / confirmed / requested. No script, no CDN; the table below it is its text alternative.

    On a phone the months are a list instead, each with its figures in words and a horizontal bar: the booked days
    stacked over the target's track, in percent of the largest figure (`bars["row"]`)."""
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
        row, start = [], Decimal("0")
        for kind in ("completed", "confirmed", "requested"):
            value = getattr(total, kind)
            row.append({"kind": kind, "x": _percent(start, top), "w": _percent(value, top)})
            start += value
        total.bars = {
            "target": {"x": x, "y": round(base - target_h, 1), "h": round(target_h, 1)},
            "stack": stack,
            "label_x": x + bar_w + 3,
            "booked_y": round(y - 4, 1),
            "row": {"target": _percent(total.target, top), "parts": row},
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


class _FrenchDates:
    """Dates written as the template's `date` filter writes them with the formats the dashboard uses (« jeudi 3
    décembre 2026 », « 3 décembre 2026 », « 3 décembre 2026 à 09:05 »), a date-time in local time as the filter
    converts it: the names of the months and days translated once a request, not once a date (the lists' 150 rows
    made 220 calls of `date_format`, a tenth of the page's CPU)."""

    def __init__(self) -> None:
        self.months = {number: str(name) for number, name in MONTHS_NAMES.items()}
        self.weekdays = {number: str(name) for number, name in WEEKDAYS.items()}

    def long(self, day: date) -> str:  # "l j F Y"
        return f"{self.weekdays[day.weekday()]} {self.short(day)}"

    def short(self, day: date) -> str:  # "j F Y"
        return f"{day.day} {self.months[day.month]} {day.year}"

    def at(self, moment: datetime) -> str:  # "j F Y à H:i", local time
        local = timezone.localtime(moment)
        return f"{self.short(local)} à {local:%H:%M}"


def _doctor_cell(doctor: Doctor) -> str:
    return f"Dr {escape(doctor.full_name)}"


def awaiting_rows_html(checked: list[tuple[Doctor, RppsCheck]], admin_doctors: str | None) -> SafeString:
    """The applications' rows (each with its RPPS check and the links to examine, validate or refuse it), built
    here rather than by the template engine, for the reason of the matrix: 50 rows of 17 variables each."""
    dates = _FrenchDates()
    lines = []
    for doctor, rpps_check in checked:
        name = escape(doctor.full_name)
        problems = "".join(f'<br><span class="fr-text--xs">{escape(problem)}</span>' for problem in rpps_check.problems)
        links = ""
        if admin_doctors:
            base = f"{escape(admin_doctors)}{doctor.pk}"
            links = (
                f'<a class="fr-link" href="{base}/change/" aria-label="Examiner le dossier du Dr {name}">Examiner</a>'
                '<ul class="fr-btns-group fr-btns-group--sm fr-btns-group--inline fr-mt-1w">'
                f'<li><a class="fr-btn fr-btn--sm" href="{base}/dossier/valider/"'
                f' aria-label="Valider le dossier du Dr {name}">Valider</a></li>'
                f'<li><a class="fr-btn fr-btn--sm fr-btn--secondary" href="{base}/dossier/refuser/"'
                f' aria-label="Refuser le dossier du Dr {name}">Refuser</a></li>'
                "</ul>"
            )
        submitted = dates.short(timezone.localtime(doctor.submitted_at)) if doctor.submitted_at else ""
        lines.append(
            "<tr>"
            f'<td>Dr {name}<br><span class="fr-text--xs">{escape(doctor.specialty)}</span></td>'
            f"<td>{escape(doctor.rpps)}</td>"
            f'<td class="rpps-check"><p class="fr-badge fr-badge--sm fr-badge--{escape(rpps_check.badge)}">'
            f"{escape(rpps_check.headline)}</p>{problems}</td>"
            f"<td>{escape(doctor.practice_commune.name)}</td>"
            f"<td>{submitted}</td>"
            f"<td>{links}</td>"
            "</tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 - every value escaped above


def _booking_link(admin_bookings: str | None, booking: Booking, label: str) -> str:
    """« Voir »: the booking's admin page, for staff who may open it (`admin_bookings` is None otherwise); `label`
    is already escaped."""
    if not admin_bookings:
        return ""
    return f'<a class="fr-link" href="{escape(admin_bookings)}{booking.pk}/change/" aria-label="{label}">Voir</a>'


def unconfirmed_rows_html(bookings: list[Booking], admin_bookings: str | None) -> SafeString:
    """The unconfirmed bookings' rows (date, site, doctor, link), built here like the applications'."""
    dates = _FrenchDates()
    lines = []
    for booking in bookings:
        doctor = _doctor_cell(booking.doctor)
        link = _booking_link(admin_bookings, booking, f"Voir la réservation du {doctor} le {dates.short(booking.date)}")
        lines.append(
            f"<tr><td>{dates.long(booking.date)}</td><td>{escape(booking.slot.site.name)}</td>"
            f"<td>{doctor}</td><td>{link}</td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 - every value escaped above


def late_rows_html(bookings: list[Booking], admin_bookings: str | None) -> SafeString:
    """The late cancellations' rows (date, site, doctor, when cancelled, why, link), built here likewise."""
    dates = _FrenchDates()
    lines = []
    for booking in bookings:
        doctor = _doctor_cell(booking.doctor)
        link = _booking_link(admin_bookings, booking, f"Voir la réservation annulée du {doctor}")
        cancelled = dates.at(booking.cancelled_at) if booking.cancelled_at else ""
        lines.append(
            f"<tr><td>{dates.long(booking.date)}</td><td>{escape(booking.slot.site.name)}</td>"
            f"<td>{doctor}</td><td>{cancelled}</td><td>{escape(booking.reason)}</td><td>{link}</td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 - every value escaped above


@ars_space
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    months = next_months(MONTHS, today)
    # accounts.authority: the agent's region(s), a superuser every region (ars_space turned away a staff account
    # without a region: it sees nothing).
    zones = ars_zones(request.user).filter(active=True)
    doctors = visible(request.user, Doctor)
    bookings = visible(request.user, Booking)

    # One read of the precomputed coverage (missions.coverage: the job's last count, at most a few minutes old)
    # for the months ahead and the months past (what the mission achieved).
    past = previous_months(MONTHS, today)
    counted = precomputed(dashboard_window(today), zones)
    zone_page = Paginator(counted.zones, ZONES_PER_PAGE).get_page(request.GET.get("page"))
    page_zones = list(zone_page.object_list)
    rows = counted.rows(page_zones, months)
    target = sum((Decimal(zone.target_days_per_month) for zone in counted.zones), Decimal(0))
    totals = {m: MonthTotal(m, target, *figures[:3]) for m, figures in counted.per_month(months).items()}
    month_totals = [totals[m] for m in months]
    chart = _chart(month_totals)

    # Only the columns the lists show: three lists of 50 rows, each row four objects wide.
    awaiting = (
        doctors.filter(status=Doctor.Status.SUBMITTED)
        .select_related("practice_commune")
        .only(*DOCTOR_COLUMNS, "rpps", "specialty", "submitted_at", "practice_commune__name")
        .order_by("submitted_at")
    )
    unconfirmed = (
        bookings.filter(
            status=Booking.Status.REQUESTED,
            date__range=(today, today + timedelta(days=settings.CONFIRM_REMINDER_DAYS)),
        )
        .select_related("doctor", "slot__site")
        .only(*BOOKING_COLUMNS)
        .order_by("date", "pk")
    )
    late = (
        bookings.filter(
            late_cancellation=True,
            cancelled_at__gte=timezone.now() - timedelta(days=LATE_CANCELLATIONS_DAYS),
        )
        .select_related("doctor", "slot__site")
        .only(*BOOKING_COLUMNS, "cancelled_at", "reason")
        .order_by("-cancelled_at")
    )
    # The volunteers' files, step by step: how many wait there and for how long (issue #15), linking to the list.
    now = timezone.now()
    admin_doctors = _admin_changelist("doctor")
    file_steps = [
        {
            "key": stuck.step.key,
            "label": stuck.step.label,
            "count": stuck.count,
            "oldest": stuck.oldest,
            "days": stuck.waiting_days(now),
            "url": f"{admin_doctors}?etape={stuck.step.key}" if admin_doctors else None,
        }
        for stuck in stuck_files(doctors)
    ]
    listed = {"awaiting": awaiting, "unconfirmed": unconfirmed, "late": late}
    shown = {name: list(rows[:LIST_LIMIT]) for name, rows in listed.items()}
    # The page names doctors (applications, and the doctors of the bookings listed): one row in the access log.
    record_bulk_read(request, object_type="missions.doctor", count=sum(len(rows) for rows in shown.values()))
    # Each application beside what the RPPS directory says of it (two queries for the 50 of them).
    checks = check_many(shown["awaiting"])
    admin_bookings = _admin_changelist("booking")
    return render(
        request,
        "ars/dashboard.html",
        {
            "months": months,
            "month_labels": [date_format(m, "F Y") for m in months],
            "matrix": coverage_matrix_html(rows),
            "zone_page": zone_page,
            "zone_count": zone_page.paginator.count,
            "counted_at": counted.refreshed_at,
            "month_totals": month_totals,
            "chart": chart,
            **shown,
            "awaiting_rows": awaiting_rows_html(
                [(doctor, checks[doctor.rpps]) for doctor in shown["awaiting"]], admin_doctors
            ),
            "unconfirmed_rows": unconfirmed_rows_html(shown["unconfirmed"], admin_bookings),
            "late_rows": late_rows_html(shown["late"], admin_bookings),
            "confirm_days": settings.CONFIRM_REMINDER_DAYS,
            "late_days": LATE_CANCELLATIONS_DAYS,
            "admin_doctors": admin_doctors,
            "file_steps": file_steps,
            **achievements(counted.rows(page_zones, past), counted.per_month(past)),
        },
    )
