"""Reads that several callers need (web, API, admin, receivers, the doctor's space). Constant query counts."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, QuerySet

from accounts.authority import cpam_ids, is_ars_staff, may, visible
from billing.lines import READING_ORDER
from billing.models import Cpam, CpamMembership, Statement
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


class MonthEarnings(NamedTuple):
    month: date
    days: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EarningsSummary:
    months: list[MonthEarnings]  # oldest first
    total_days: Decimal
    total_amount: Decimal


def doctor_earnings(doctor: Doctor) -> EarningsSummary:
    """A doctor's flat-rate earnings: completed days × the rate in force on each date, per month. Two queries.

    What the work earned (R7), whether or not it has been stated yet; a day with no rate in force earns 0.
    """
    rates = RateTable.load()
    by_month: dict[date, list[Decimal]] = {}
    days = Booking.objects.filter(doctor=doctor, status=Booking.Status.COMPLETED).order_by("date")
    for day, fraction in days.values_list("date", "day_fraction"):
        rate = rates.on(day)
        month = by_month.setdefault(day.replace(day=1), [ZERO, ZERO])
        month[0] += fraction
        month[1] += amount_for(rate, fraction) if rate is not None else ZERO
    months = [MonthEarnings(m, d, a) for m, (d, a) in sorted(by_month.items())]
    return EarningsSummary(
        months=months,
        total_days=sum((m.days for m in months), ZERO),
        total_amount=sum((m.amount for m in months), ZERO),
    )
