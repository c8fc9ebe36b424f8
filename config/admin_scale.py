"""Admin changelists that stay fast at national scale (DESIGN.md §8: 1,000,000 slots, 720,000 bookings a year).

The date hierarchy above a changelist asks for the distinct years (or months) that hold rows: Django answers
with `SELECT DISTINCT date_trunc(...)` over every row of the list, 170 ms for the bookings and close to a second
for the slots. `ProbedDatesAdminMixin` gives the same answer from the date index: the first and last date, then
one indexed `EXISTS` per year (or month) between them: a handful of probes instead of a scan.

Above the list, Django asks twice: the first and last dates (`aggregate(first=Min, last=Max)`), then the years or
months. The bounds are kept on the changelist's queryset and not read again. For a date-time field (the doctors'
submission date) there is no index to probe — the list is the region's doctors, a subquery — and both questions
are answered by one query: the months that hold rows, each with its first and last value.

Before either, the paginator counts the list. Counting, and the bounds, read every row of the list (an ARS agent's
bookings: 94,000 entries of the zone-and-date index; the region's doctors: the subquery that says who they are), so
the count asks for the bounds in the same pass (issue #20, round 3): one scan of the list where there were two.
"""

from datetime import date
from typing import Literal

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncMonth


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
    """`dates(field, "year" | "month")` answered by probing each period; days as Django does (a day list is asked
    for within one month only). `datetimes(field, "year" | "month")` and the bounds from one query (see above).
    `hierarchy_field` (the admin's `date_hierarchy`): `count()` also reads its bounds (or its months)."""

    hierarchy_field: str | None = None

    def count(self) -> int:
        field_name = self.hierarchy_field
        if field_name is None or "__" in field_name or self._result_cache is not None or self.query.is_sliced:
            return super().count()
        memo = self.__dict__.setdefault("_count_memo", {})
        if "count" not in memo:
            field = self.model._meta.get_field(field_name)
            if field.get_internal_type() == "DateTimeField":
                memo["count"] = self._months_of(field_name)["count"]
            else:
                row = super().aggregate(n=Count("*"), first=Min(field_name), last=Max(field_name))
                self.__dict__.setdefault("_bounds_memo", {})[field_name] = {"first": row["first"], "last": row["last"]}
                memo["count"] = row["n"]
        return memo["count"]

    def _bounds_of(self, kwargs: dict) -> str | None:
        """The field whose first and last values `aggregate(first=Min(f), last=Max(f))` asks for, if that is all."""
        first, last = kwargs.get("first"), kwargs.get("last")
        if set(kwargs) != {"first", "last"} or not isinstance(first, Min) or not isinstance(last, Max):
            return None
        names = [getattr(expr.source_expressions[0], "name", None) for expr in (first, last)]
        return names[0] if names[0] == names[1] and isinstance(names[0], str) else None

    def aggregate(self, *args, **kwargs):
        field_name = None if args else self._bounds_of(kwargs)
        if field_name is None:
            return super().aggregate(*args, **kwargs)
        memo = self.__dict__.setdefault("_bounds_memo", {})
        if field_name not in memo:
            field = self.model._meta.get_field(field_name) if "__" not in field_name else None
            if field is not None and field.get_internal_type() == "DateTimeField":
                memo[field_name] = self._months_of(field_name)["bounds"]
            else:
                memo[field_name] = super().aggregate(first=Min(field_name), last=Max(field_name))
        return dict(memo[field_name])

    def _months_of(self, field_name: str) -> dict:
        """The months (local time) that hold a value of `field_name`, with the first and last value: one query,
        kept on this queryset."""
        memo = self.__dict__.setdefault("_months_memo", {})
        if field_name not in memo:
            rows = list(
                self.order_by()
                .annotate(_month=TruncMonth(field_name))
                .values_list("_month")
                .annotate(first=Min(field_name), last=Max(field_name), n=Count("*"))
                .order_by("_month")
            )
            count = sum(row[3] for row in rows)  # the rows without a date too
            rows = [row for row in rows if row[0] is not None]
            memo[field_name] = {
                "count": count,
                "months": [row[0] for row in rows],
                "bounds": {
                    "first": min((row[1] for row in rows), default=None),
                    "last": max((row[2] for row in rows), default=None),
                },
            }
        return memo[field_name]

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month") or tzinfo is not None or "__" in field_name:
            return super().datetimes(field_name, kind, order, tzinfo)
        months = self._months_of(field_name)["months"]
        found = months if kind == "month" else list(dict.fromkeys(m.replace(month=1) for m in months))
        return found[::-1] if order == "DESC" else found

    def dates(
        self, field_name: str, kind: Literal["year", "month", "week", "day"], order: Literal["ASC", "DESC"] = "ASC"
    ):
        field = self.model._meta.get_field(field_name) if "__" not in field_name else None
        if kind not in ("year", "month") or field is None or field.get_internal_type() != "DateField":
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))  # kept: asked already above the list
        if bounds["first"] is None:
            return []
        found = [
            start
            for start, end in _periods(bounds["first"], bounds["last"], kind)
            if self.filter(**{f"{field_name}__range": (start, end)}).exists()
        ]
        return found[::-1] if order == "DESC" else found


class ProbedDatesAdminMixin:
    """For a ModelAdmin with a `date_hierarchy`: its changelist's queryset probes the dates (a DateField), or reads
    the months once (a DateTimeField)."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        probed = qs._chain()
        probed.__class__ = _probed_class(type(qs), getattr(self, "date_hierarchy", None))
        return probed


_CLASSES: dict[tuple[type, str | None], type] = {}


def _probed_class(cls: type, hierarchy_field: str | None = None) -> type:
    """The queryset class of the model's manager (custom methods kept), with the probing `dates` (and the count
    that reads the bounds of `hierarchy_field`)."""
    if issubclass(cls, ProbedDatesQuerySet) and cls.hierarchy_field == hierarchy_field:
        return cls
    base = (
        next(c for c in cls.__mro__ if not issubclass(c, ProbedDatesQuerySet))
        if issubclass(cls, ProbedDatesQuerySet)
        else cls
    )
    key = (base, hierarchy_field)
    if key not in _CLASSES:
        _CLASSES[key] = type(
            f"ProbedDates{base.__name__}", (ProbedDatesQuerySet, base), {"hierarchy_field": hierarchy_field}
        )
    return _CLASSES[key]
