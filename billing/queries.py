"""Reads that several callers need (web, API, admin, receivers, the doctor's space). Constant query counts."""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from accounts.authority import cpam_ids, is_ars_staff, may, visible
from billing.lines import READING_ORDER
from billing.models import Cpam, CpamMembership, Statement, StatementLine
from billing.rates import RateTable, amount_for
from missions.models import Booking, Doctor

ZERO = Decimal("0")

# R8, kept as the setting FLAT_RATE_PAYER: whose department's CPAM pays the flat rate of a booking.
PAYER_DEPARTMENT_LOOKUPS = {
    "doctor": "doctor__practice_department",  # the CPAM de rattachement (main practice), the rule today
    "site": "slot__site__commune__department",  # the CPAM of the host site's commune
}


def payer_department_lookup() -> str:
    """The one place that reads FLAT_RATE_PAYER: the Booking lookup to the paying CPAM's department."""
    try:
        return PAYER_DEPARTMENT_LOOKUPS[settings.FLAT_RATE_PAYER]
    except KeyError as exc:
        raise ImproperlyConfigured(
            f"FLAT_RATE_PAYER must be one of {sorted(PAYER_DEPARTMENT_LOOKUPS)}, got {settings.FLAT_RATE_PAYER!r}"
        ) from exc


def payer_cpam_for(booking: Booking) -> Cpam | None:
    """The CPAM that pays this booking's flat rate (None when that department has no CPAM on file yet)."""
    department = Booking.objects.filter(pk=booking.pk).values(f"{payer_department_lookup()}_id")
    return Cpam.objects.filter(department_id__in=department).first()


def cpam_recipients(cpam: Cpam) -> list[str]:
    """The CPAM's mission address and its agents' addresses."""
    emails = list(CpamMembership.objects.filter(cpam=cpam, user__is_active=True).values_list("user__email", flat=True))
    if cpam.email:
        emails.append(cpam.email)
    return emails


def cpam_of_department(department_id: int) -> Cpam | None:
    return Cpam.objects.filter(department_id=department_id).first()


def statements_visible_to(user) -> QuerySet:
    """The statements a person may see (accounts.authority): ARS staff their region's, drafts included; a CPAM
    agent the issued and paid statements of their CPAM."""
    return visible(user, Statement).select_related("cpam__department__region")


def cpams_of(user) -> QuerySet:
    """The CPAMs a person works for (ARS staff: those of their region)."""
    return visible(user, Cpam).select_related("department")


def doctors_awaiting_billing_number(user, *, recorded: bool = False) -> QuerySet:
    """Validated doctors without a dedicated number whom the person may record one for: those of their CPAM de
    rattachement for a CPAM agent, those of their region for ARS staff. `recorded`: those who have one (validated
    or suspended), to check or correct it, latest recorded first."""
    if recorded:
        qs = visible(user, Doctor).filter(
            status__in=(Doctor.Status.VALIDATED, Doctor.Status.SUSPENDED), billing_number__gt=""
        )
        if not is_ars_staff(user):
            qs = qs.filter(practice_department__cpam__in=cpam_ids(user))
        return qs.select_related("practice_commune", "practice_department").order_by(
            F("billing_number_recorded_at").desc(nulls_last=True), "last_name", "pk"
        )
    qs = visible(user, Doctor).filter(status=Doctor.Status.VALIDATED, billing_number="")
    if not is_ars_staff(user):
        qs = qs.filter(practice_department__cpam__in=cpam_ids(user))
    return qs.select_related("practice_commune", "practice_department").order_by("validated_at", "last_name", "pk")


def can_record_billing_number(user, doctor: Doctor) -> bool:
    """ARS staff of the doctor's region, or an agent of their CPAM de rattachement (R8)."""
    return may(user, "doctor.billing_number", doctor)


@dataclass(frozen=True)
class DoctorTotal:
    rpps: str
    last_name: str
    first_name: str
    billing_number: str
    line_count: int
    days: Decimal
    amount: Decimal

    @property
    def name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


def statement_doctor_totals(statement: Statement) -> list[DoctorTotal]:
    """Per doctor (by RPPS), the days and amount of the statement, summed as Decimal from the snapshot lines."""
    totals: OrderedDict[str, dict] = OrderedDict()
    rows = statement.lines.order_by(*READING_ORDER)
    for rpps, last, first, number, days, amount in rows.values_list(
        "doctor_rpps",
        "doctor_last_name",
        "doctor_first_name",
        "doctor_billing_number",
        "day_fraction",
        "amount",
    ).iterator(chunk_size=2000):
        entry = totals.setdefault(
            rpps, {"last_name": last, "first_name": first, "billing_number": number, "n": 0, "days": ZERO, "amt": ZERO}
        )
        entry["n"] += 1
        entry["days"] += days
        entry["amt"] += amount
        entry["billing_number"] = entry["billing_number"] or number
    return [
        DoctorTotal(
            rpps=rpps,
            last_name=e["last_name"],
            first_name=e["first_name"],
            billing_number=e["billing_number"],
            line_count=e["n"],
            days=e["days"],
            amount=e["amt"],
        )
        for rpps, e in totals.items()
    ]


@dataclass(frozen=True)
class EarnedDay:
    """One attested day of a doctor and where its flat rate stands: not on a statement yet, on one, or paid."""

    day: date
    period: str
    site_name: str
    day_fraction: Decimal
    amount: Decimal
    consultations: int | None
    statement_month: date | None  # the statement whose live line states the day
    paid_on: date | None  # that statement's payment, Paris date

    @property
    def payment_text(self) -> str:
        """« payé le 12 décembre 2025 », « sur le relevé de novembre 2025 » (« d'octobre 2025 ») or « à déclarer »."""
        if self.paid_on is not None:
            return f"payé le {date_format(self.paid_on, 'j F Y')}"
        if self.statement_month is not None:
            month = date_format(self.statement_month, "F Y")
            of = "d'" if month[0] in "aeiouâéè" else "de "
            return f"sur le relevé {of}{month}"
        return "à déclarer"


def doctor_earned_days(doctor: Doctor) -> list[EarnedDay]:
    """The doctor's attested days, newest first, each with the statement that states it (its live line: kind
    `line`, not reversed) and that statement's payment. Two queries (the rates, the days)."""
    rates = RateTable.load()
    live = (
        StatementLine.objects.filter(booking=OuterRef("pk"), kind=StatementLine.Kind.LINE)
        .filter(~Exists(StatementLine.objects.filter(reverses=OuterRef("pk"))))
        .order_by("-sequence")
    )
    days = (
        Booking.objects.filter(doctor=doctor, status=Booking.Status.COMPLETED)
        .annotate(
            statement_month=Subquery(live.values("statement__month")[:1]),
            paid_at=Subquery(live.values("statement__paid_at")[:1]),
        )
        .order_by("-date", "-pk")
        .values_list(
            "date", "period", "slot__site__name", "day_fraction", "consultations", "statement_month", "paid_at"
        )
    )
    result = []
    for day, period, site_name, fraction, consultations, month, paid_at in days:
        rate = rates.on(day)
        result.append(
            EarnedDay(
                day=day,
                period=period,
                site_name=site_name,
                day_fraction=fraction,
                amount=amount_for(rate, fraction) if rate is not None else ZERO,
                consultations=consultations,
                statement_month=month,
                paid_on=timezone.localtime(paid_at).date() if paid_at is not None else None,
            )
        )
    return result


class MonthEarnings(NamedTuple):
    month: date
    days: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EarningsSummary:
    months: list[MonthEarnings]  # oldest first
    total_days: Decimal
    total_amount: Decimal
    days: list[EarnedDay] = field(default_factory=list)  # newest first, each with where its payment stands


def doctor_earnings(doctor: Doctor) -> EarningsSummary:
    """A doctor's flat-rate earnings: completed days × the rate in force on each date, per month, and each day with
    where its payment stands. Two queries.

    What the work earned (R7), whether or not it has been stated yet; a day with no rate in force earns 0.
    """
    days = doctor_earned_days(doctor)
    by_month: dict[date, list[Decimal]] = {}
    for day in days:
        month = by_month.setdefault(day.day.replace(day=1), [ZERO, ZERO])
        month[0] += day.day_fraction
        month[1] += day.amount
    months = [MonthEarnings(m, d, a) for m, (d, a) in sorted(by_month.items())]
    return EarningsSummary(
        months=months,
        total_days=sum((m.days for m in months), ZERO),
        total_amount=sum((m.amount for m in months), ZERO),
        days=days,
    )
