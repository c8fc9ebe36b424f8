"""The flat rate in force on a date, and money arithmetic: Decimal only, rounded half-up to the cent."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from billing.models import FlatRate
from core.errors import RuleViolation

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
        """Same rule as `FlatRate.objects.in_force_on`: the latest period started by `day` and not ended."""
        for valid_from, valid_to, amount in self.periods:
            if valid_from <= day and (valid_to is None or valid_to >= day):
                return amount
        return None

    def rate_for(self, day: date) -> Decimal:
        rate = self.on(day)
        if rate is None:
            raise RuleViolation(
                "no_flat_rate",
                f"Aucun forfait n'est en vigueur le {day:%d/%m/%Y} : l'ARS doit le renseigner "
                "(console d'administration, « Forfaits ») avant de générer le relevé.",
            )
        return rate


def amount_for(rate: Decimal, day_fraction: Decimal) -> Decimal:
    """R7: rate in force on the date of service × day fraction, to the cent."""
    return to_cents(rate * day_fraction)
