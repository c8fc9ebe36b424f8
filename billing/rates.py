"""The flat rate in force on a date, and money arithmetic: Decimal only, rounded half-up to the cent.

« The rate in force on a date » is defined here, once (`RateTable`): the rate of the latest period that started on
or before the date and has not ended before it (`valid_to` is inclusive; none means open). Python asks `on(day)`;
a query asks `in_force(date_path)`, an SQL CASE generated from the same loaded periods, in the same order, with the
same bounds (`_covering`), so both give the same answer for every date (tests/billing/test_rates.py).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, Q, Value, When

from billing.models import FlatRate
from core.errors import Code, RuleViolation

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """Round an amount to the cent, half-up (0.005 → 0.01), as an accountant would."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateTable:
    """Every flat rate, loaded once (a handful of rows), so that a statement of any size costs one query."""

    periods: tuple[tuple[date, date | None, Decimal], ...]  # (valid_from, valid_to, amount), latest first

    @classmethod
    def load(cls) -> "RateTable":
        rows = FlatRate.objects.order_by("-valid_from").values_list("valid_from", "valid_to", "amount")
        return cls(periods=tuple(rows))

    def on(self, day: date) -> Decimal | None:
        """The rate in force on `day`: that of the latest period started by then and not ended. None when none."""
        for valid_from, valid_to, amount in self.periods:
            if _covering(valid_from, valid_to, day):
                return amount
        return None

    def in_force(self, date_path: str) -> Case:
        """`on()` as SQL, for the date at `date_path` of each row: a CASE over the loaded periods (a handful), in the
        same order, rather than a subquery per row. NULL when none."""
        whens = [
            When(_covering(valid_from, valid_to, date_path), then=Value(amount))
            for valid_from, valid_to, amount in self.periods
        ]
        return Case(*whens, default=Value(None), output_field=DecimalField(max_digits=8, decimal_places=2))

    def rate_for(self, day: date) -> Decimal:
        rate = self.on(day)
        if rate is None:
            raise RuleViolation(
                Code.NO_FLAT_RATE,
                f"Aucun forfait n'est en vigueur le {day:%d/%m/%Y} : l'ARS doit le renseigner "
                "(console d'administration, « Forfaits ») avant de générer le relevé.",
            )
        return rate


def amount_for(rate: Decimal, day_fraction: Decimal) -> Decimal:
    """R7: rate in force on the date of service × day fraction, to the cent."""
    return to_cents(rate * day_fraction)


def _covering(valid_from: date, valid_to: date | None, day):
    """Does the period [valid_from, valid_to] (inclusive; open when valid_to is None) cover `day`?

    The one statement of the bounds: `day` a date gives a bool, `day` a field path gives the same test as a Q."""
    if isinstance(day, str):
        covered = Q(**{f"{day}__gte": valid_from})
        return covered if valid_to is None else covered & Q(**{f"{day}__lte": valid_to})
    return valid_from <= day and (valid_to is None or day <= valid_to)
