"""The small pure checks of the booking rules (the lifecycles are acts: missions.lifecycles)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from core.errors import RuleViolation
from sites.models import Period
from sites.rules import check_horizon

PARIS = ZoneInfo("Europe/Paris")

# When a period starts, in Paris local time: the reference for late cancellations (R5) and calendars.
PERIOD_HOURS: dict[str, tuple[time, time]] = {  # keyed by Period (a str)
    Period.FULL_DAY: (time(8, 0), time(18, 0)),
    Period.MORNING: (time(8, 0), time(12, 30)),
    Period.AFTERNOON: (time(13, 30), time(18, 0)),
}


def period_start(day: date, period: str) -> datetime:
    return datetime.combine(day, PERIOD_HOURS[period][0], tzinfo=PARIS)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the calendar month of `day`."""
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def check_booking_date(day: date, today: date) -> None:
    """R4: not in the past, not beyond the horizon (the rule sites.rules holds for slots and bookings alike)."""
    check_horizon(day, today, past="Ce créneau est passé : il ne peut plus être réservé.", beyond="réserver")


def check_availability_date(day: date, today: date) -> None:
    """An availability is declared for a day to come, within the horizon in which it could be booked."""
    check_horizon(
        day,
        today,
        past="Cette date est passée : déclarez une disponibilité à venir.",
        beyond="déclarer une disponibilité",
    )


def check_monthly_cap(already: Decimal, adding: Decimal, day: date) -> None:
    """R1: at most MAX_DAYS_PER_MONTH days per calendar month, a half-day counting 0.5."""
    cap = settings.MAX_DAYS_PER_MONTH
    if already + adding > cap:
        raise RuleViolation(
            "monthly_cap_reached",
            f"Vous avez déjà {format_days(already)} réservé(s) en {MONTHS_FR[day.month - 1]} {day.year} : "
            f"la mission est limitée à {format_days(cap)} par mois.",
        )


MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def plural_s(count: int | Decimal) -> str:
    """The « s » of a French plural: from 2 on (« 0 ligne », « 1,5 jour », « 2 jours »)."""
    return "s" if count >= 2 else ""


def format_days(days: Decimal) -> str:
    """1 → « 1 jour », 1.5 → « 1,5 jour », 2 → « 2 jours » (French usage: plural from 2)."""
    days = Decimal(days).normalize()
    text = f"{days:f}".replace(".", ",")
    return f"{text} jour{plural_s(days)}"


def is_late(day: date, period: str, now: datetime) -> bool:
    """R5: a doctor may cancel up to LATE_CANCEL_HOURS before the period starts; any later is late (exactly
    LATE_CANCEL_HOURS before is still in time).

    Counted in real hours (in UTC): subtracting hours from a Paris wall-clock time is off by one across a
    daylight-saving change."""
    return now > period_start(day, period).astimezone(UTC) - timedelta(hours=settings.LATE_CANCEL_HOURS)
