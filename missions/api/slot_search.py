"""The doctors' slot search in one statement, compiled once per shape of question (issue #20).

The API's busiest list used to cost Django two query builds per request (the page, then its COUNT around the
`remaining` subquery), each from a fresh queryset: the visibility rule of accounts.authority, the filters of
`SlotFilter`, the annotations of `slots_for_api`. Half the search's CPU went there, not to PostgreSQL.

Here the same queryset — the very one the generic path builds, from the same functions — is compiled once for a
*shape* of question: who asks (national, staff, how many regions, sites, CPAMs; doctor or not), which filters are
given (and, for the date range, which bounds; `available` true or false), on which day (`available` compares with
today), on which database. Compiled with a placeholder value in place of each input (a person's regions, the
zone, the dates …), its SQL and its parameters say where each input goes; a request of that shape then binds its
own values and runs one statement: the page, with `COUNT(*) OVER ()` (the count of the whole filtered list,
computed before LIMIT) beside each row.

Before a shape's statement is kept, the real question is compiled too and must give the same SQL and the same
parameters once bound: a rule that branched on a value rather than on the shape would not be kept (the generic
path then answers). What the generic path answers for a question the fast path does not take (an unknown shape,
`page=last`, a page past the end) stays DRF's own.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, QuerySet, Window
from django.http import QueryDict
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from accounts.authority import Scope, visible_by_scope
from missions.filters import SlotFilter
from sites.models import Slot

logger = logging.getLogger(__name__)

# The columns of SlotSerializer, in its order (`slot_answer` writes them out), then the list's total.
COLUMNS = ("pk", "site_id", "site_name", "zone_id", "date", "period", "capacity", "remaining", "status", "note")


def slot_answer(row: tuple) -> dict:
    """A row of the statement as SlotSerializer writes a slot (tests hold the two equal)."""
    return {
        "id": row[0],
        "site": row[1],
        "site_name": row[2],
        "zone": row[3],
        "date": row[4].isoformat(),
        "period": row[5],
        "capacity": row[6],
        "remaining": row[7],
        "status": row[8],
        "note": row[9],
    }


@lru_cache(maxsize=1)
def filter_form() -> type[forms.Form]:
    """SlotFilter's form class, built once: django-filter builds a new class (and deep-copies every filter) for
    each request. Validating with it gives the same cleaned values and the same errors."""
    return SlotFilter(data=QueryDict()).get_form_class()


def listed(scope: Scope, cleaned: dict[str, Any], *, listed_slots: Callable[[QuerySet], QuerySet]) -> QuerySet:
    """The generic path's queryset for this person and these filters (visible, annotated, ordered, filtered as
    DjangoFilterBackend filters it), with the list's total beside each row, as tuples of COLUMNS + total."""
    qs = listed_slots(visible_by_scope(scope, Slot))
    filterset = SlotFilter(data=QueryDict(), queryset=qs)
    for name, value in cleaned.items():
        qs = filterset.filters[name].filter(qs, value)
    return qs.annotate(total=Window(Count("pk"))).values_list(*COLUMNS, "total")


# --- shapes and placeholders ---------------------------------------------------------------------------------


def _inputs(scope: Scope, cleaned: dict[str, Any]) -> tuple[tuple, dict[str, Any]] | None:
    """(the question's shape, its input values by name), or None for a value this module does not template."""
    key: list = [
        scope.national,
        scope.staff,
        scope.user_id is None,
        scope.doctor_id is None,
        len(scope.region_ids),
        len(scope.site_ids),
        len(scope.cpam_ids),
    ]
    values: dict[str, Any] = {"user_id": scope.user_id, "doctor_id": scope.doctor_id}
    for field in ("region_ids", "site_ids", "cpam_ids"):
        values.update({f"{field}.{n}": v for n, v in enumerate(sorted(getattr(scope, field)))})
    for name, value in cleaned.items():
        if value in EMPTY_VALUES:
            key.append((name, None))
        elif isinstance(value, bool):
            key.append((name, value))  # a branch of the filter (available true / false), not a parameter
        elif isinstance(value, slice):
            if value.step is not None:
                return None
            key.append((name, "slice", _kind(value.start), _kind(value.stop)))
            values[f"{name}.start"], values[f"{name}.stop"] = value.start, value.stop
        elif _kind(value) is not None:
            key.append((name, _kind(value)))
            values[name] = value
        else:
            return None
    return tuple(key), values


def _kind(value: Any) -> str | None:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return None
    for kind in (int, str, datetime, date):  # datetime first: it is a date
        if isinstance(value, kind):
            return kind.__name__
    return None


def _rebuilt(scope: Scope, cleaned: dict[str, Any], values: dict[str, Any]) -> tuple[Scope, dict[str, Any]]:
    """`scope` and `cleaned` with each input replaced by `values`' (same names as `_inputs`)."""

    def ids(field: str) -> frozenset:
        return frozenset(values[f"{field}.{n}"] for n in range(len(getattr(scope, field))))

    new_scope = replace(
        scope,
        user_id=values["user_id"],
        doctor_id=values["doctor_id"],
        region_ids=ids("region_ids"),
        site_ids=ids("site_ids"),
        cpam_ids=ids("cpam_ids"),
    )
    new_cleaned = {}
    for name, value in cleaned.items():
        if isinstance(value, slice) and value not in EMPTY_VALUES:
            new_cleaned[name] = slice(values[f"{name}.start"], values[f"{name}.stop"])
        elif name in values:
            new_cleaned[name] = values[name]
        else:
            new_cleaned[name] = value
    return new_scope, new_cleaned


def _placeholders(values: dict[str, Any]) -> dict[str, Any]:
    """A value no real input takes, of the same type, for each input: where it lands in the compiled parameters
    says where the input goes. A date range's bounds are datetimes (django-filter's DateRangeField) that the date
    column turns into dates: their placeholder keeps the real value's time and zone on a day of the year 1111."""
    out: dict[str, Any] = {}
    for n, (name, value) in enumerate(sorted(values.items())):
        day = date(1111, 1, 1) + timedelta(days=n)
        if value is None:
            out[name] = None
        elif isinstance(value, int):
            out[name] = -(2**62) - n
        elif isinstance(value, str):
            out[name] = f"~placeholder-{n}~"
        elif isinstance(value, datetime):
            out[name] = value.replace(year=day.year, month=day.month, day=day.day)
        else:
            out[name] = day
    return out


@dataclass(frozen=True)
class Statement:
    """One shape's SQL and, for each of its parameters, the input it binds (a name) or a constant. No SQL: the
    answer is empty without asking the database (Django's `EmptyResultSet`, e.g. a staff account without region)."""

    sql: str
    params: tuple[tuple[str | None, Any, Callable[[Any], Any] | None], ...]  # (name, constant, adapter)

    def bind(self, values: dict[str, Any]) -> list:
        return [
            const if name is None else (adapt(values[name]) if adapt else values[name])
            for name, const, adapt in self.params
        ]


def _compile(qs: QuerySet) -> tuple[str, tuple]:
    return qs.query.get_compiler(using=qs.db).as_sql()


def _statement(
    scope: Scope, cleaned: dict[str, Any], values: dict[str, Any], listed_slots: Callable[[QuerySet], QuerySet]
) -> Statement | None:
    placeholders = _placeholders(values)
    try:
        sql, params = _compile(listed(*_rebuilt(scope, cleaned, placeholders), listed_slots=listed_slots))
    except EmptyResultSet:  # `qs.none()`: a person who may see nothing
        sql, params = "", ()
    connection = connections[Slot.objects.db]
    date_field = Slot._meta.get_field("date")

    def as_date(value: Any) -> Any:  # what the date column makes of a date or a datetime (the zone's day)
        return date_field.get_db_prep_value(value, connection)

    where: dict[Any, tuple[str, Callable[[Any], Any] | None]] = {}
    for name, value in placeholders.items():
        if value is None:
            continue
        if isinstance(value, date):
            adapted = as_date(value)
            where[(type(adapted), adapted)] = (name, as_date)
        where[(type(value), value)] = (name, None)
    spec = []
    for param in params:
        found = where.get((type(param), param)) if _hashable(param) else None
        spec.append((found[0], None, found[1]) if found else (None, param, None))
    statement = Statement(sql, tuple(spec))
    # The real question, compiled by the ORM, must read the same: otherwise a rule depends on more than the shape.
    try:
        real_sql, real_params = _compile(listed(scope, cleaned, listed_slots=listed_slots))
    except EmptyResultSet:
        real_sql, real_params = "", ()
    if real_sql != sql or list(real_params) != statement.bind(values):
        logger.warning("slot search: the shape %s does not template; the generic path answers it", values.keys())
        return None
    return statement


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


_statements: dict[tuple, Statement | None] = {}
_MAX_SHAPES = 512


def statement_for(
    scope: Scope, cleaned: dict[str, Any], *, listed_slots: Callable[[QuerySet], QuerySet]
) -> tuple[Statement, list] | None:
    """The statement of this question's shape (compiled on its first use, that day, in this process) and its
    parameters; None when the generic path must answer."""
    found = _inputs(scope, cleaned)
    if found is None:
        return None
    key, values = found
    full_key = (key, timezone.localdate(), Slot.objects.db, connections[Slot.objects.db].vendor, listed_slots)
    if full_key not in _statements:
        if len(_statements) >= _MAX_SHAPES:
            _statements.clear()  # a new day: yesterday's shapes go
        _statements[full_key] = _statement(scope, cleaned, values, listed_slots)
    statement = _statements[full_key]
    if statement is None:
        return None
    return statement, statement.bind(values)


def forget_statements() -> None:
    """Tests that change what a rule compiles to (settings, time) start from nothing."""
    _statements.clear()


def page(statement: Statement, params: list, *, offset: int, limit: int) -> list[tuple]:
    """The rows of one page, the list's total as each row's last column."""
    if not statement.sql:
        return []
    with connections[Slot.objects.db].cursor() as cursor:
        cursor.execute(f"{statement.sql} LIMIT %s OFFSET %s", [*params, limit, offset])
        return cursor.fetchall()
