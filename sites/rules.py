"""Rules on dates that slots and bookings share (sites is below missions in the import graph: both read them here)."""

from datetime import date, timedelta

from django.conf import settings

from core.errors import Code, RuleViolation


def check_horizon(day: date, today: date, *, past: str, beyond: str) -> None:
    """R4: not in the past, not beyond BOOKING_HORIZON_DAYS. `past` is the French refusal of a past date; `beyond`
    the verb of the refusal of a date too far ahead (« réserver », « publier des créneaux »)."""
    if day < today:
        raise RuleViolation(Code.DATE_IN_PAST, past)
    horizon = today + timedelta(days=settings.BOOKING_HORIZON_DAYS)
    if day > horizon:
        raise RuleViolation(
            Code.BEYOND_HORIZON,
            f"On ne peut {beyond} que jusqu'à {settings.BOOKING_HORIZON_DAYS} jours à l'avance "
            f"(au plus tard le {horizon:%d/%m/%Y}).",
        )
