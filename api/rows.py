"""Rows read by SQL composed once, turned into model instances as the ORM turns them (issue #20).

A hot read whose text never changes (the API token on every call, the booking's locked reads) need not be composed
by the ORM on every request: the SQL is written once from the model's own field list, and each row becomes an
instance through Django's `from_db` with the fields' own database converters (so SQLite's dates and decimals read
as the ORM reads them). Callers cache related instances as `select_related` caches them
(`instance._state.fields_cache[name]`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class Columns:
    """The concrete columns of a model under a table alias, and how to turn a slice of a row into an instance."""

    def __init__(self, model: type[models.Model], alias: str, db: BaseDatabaseWrapper):
        qn = db.ops.quote_name
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.sql = ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)
        self.converters: list[tuple[int, list[_Converter], Any]] = []
        for i, f in enumerate(self.fields):
            expression = f.get_col(alias)
            found = db.ops.get_db_converters(expression) + f.get_db_converters(db)  # type: ignore[attr-defined]
            if found:
                self.converters.append((i, found, expression))

    def __len__(self) -> int:
        return len(self.fields)

    def load(self, values: Sequence[Any], db: BaseDatabaseWrapper) -> Any:
        row = list(values)
        for i, converters, expression in self.converters:
            value = row[i]
            for convert in converters:
                value = convert(value, expression, db)
            row[i] = value
        return self.model.from_db(db.alias, self.names, row)
