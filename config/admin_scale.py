"""Admin changelists that stay fast at national scale (DESIGN.md §8: 1,000,000 slots, 720,000 bookings a year).

The date hierarchy above a changelist asks for the distinct years (or months) that hold rows: Django answers
with `SELECT DISTINCT date_trunc(...)` over every row of the list, 170 ms for the bookings and close to a second
for the slots. `ProbedDatesAdminMixin` gives the same answer from the date index: the first and last date, then
one indexed `EXISTS` per year (or month) between them: a handful of probes instead of a scan.
"""

from datetime import date
from typing import Literal

from django.db.models import Max, Min, QuerySet


def _periods(first: date, last: date, kind: str) -> list[tuple[date, date]]:
    """The years or months from `first` to `last`, each as (first day, last day)."""
    periods = []
    if kind == "year":
        for year in range(first.year, last.year + 1):
            periods.append((date(year, 1, 1), date(year, 12, 31)))
        return periods
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = date(year + (month == 12), month % 12 + 1, 1)
        periods.append((date(year, month, 1), date.fromordinal(following.toordinal() - 1)))
        year, month = following.year, following.month
    return periods


class ProbedDatesQuerySet(QuerySet):
    """`dates(field, "year" | "month")` answered by probing each period; days, and date-time fields, as Django does
    (a day list is asked for within one month only)."""

    def dates(
        self, field_name: str, kind: Literal["year", "month", "week", "day"], order: Literal["ASC", "DESC"] = "ASC"
    ):
        field = self.model._meta.get_field(field_name) if "__" not in field_name else None
        if kind not in ("year", "month") or field is None or field.get_internal_type() != "DateField":
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        found = [
            start
            for start, end in _periods(bounds["first"], bounds["last"], kind)
            if self.filter(**{f"{field_name}__range": (start, end)}).exists()
        ]
        return found[::-1] if order == "DESC" else found


class ProbedDatesAdminMixin:
    """For a ModelAdmin whose `date_hierarchy` is a DateField: its changelist's queryset probes the dates."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        probed = qs._chain()
        probed.__class__ = _probed_class(type(qs))
        return probed


_CLASSES: dict[type, type] = {}


def _probed_class(cls: type) -> type:
    """The queryset class of the model's manager (custom methods kept), with the probing `dates`."""
    if issubclass(cls, ProbedDatesQuerySet):
        return cls
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"ProbedDates{cls.__name__}", (ProbedDatesQuerySet, cls), {})
    return _CLASSES[cls]
