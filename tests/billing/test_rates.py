"""« The rate in force on a date » has one definition (billing.rates.RateTable): Python and SQL agree on every
boundary."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import DateField, Value

from billing.models import FlatRate
from billing.rates import RateTable

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def table(db) -> RateTable:
    FlatRate.objects.all().delete()
    FlatRate.objects.create(amount=Decimal("100.00"), valid_from=D(2024, 1, 1), valid_to=D(2024, 6, 30))
    # (a gap: no rate from 2024-07-01 to 2024-12-31)
    FlatRate.objects.create(amount=Decimal("150.00"), valid_from=D(2025, 1, 1), valid_to=D(2025, 8, 31))
    FlatRate.objects.create(amount=Decimal("200.00"), valid_from=D(2025, 9, 1))
    return RateTable.load()


def sql_rate(table: RateTable, day: datetime.date) -> Decimal | None:
    rows = FlatRate.objects.annotate(day=Value(day, output_field=DateField())).annotate(rate=table.in_force("day"))
    return rows.values_list("rate", flat=True).first()


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (D(2023, 12, 31), None),
        (D(2024, 1, 1), Decimal("100.00")),
        (D(2024, 6, 30), Decimal("100.00")),
        (D(2024, 7, 1), None),
        (D(2024, 12, 31), None),
        (D(2025, 1, 1), Decimal("150.00")),
        (D(2025, 8, 31), Decimal("150.00")),
        (D(2025, 9, 1), Decimal("200.00")),
        (D(2040, 1, 1), Decimal("200.00")),
    ],
)
def test_python_and_sql_give_the_rate_in_force(table, day, rate):
    assert table.on(day) == rate
    assert sql_rate(table, day) == rate
