"""Search that ignores accents, case and hyphens: « Guerin » finds « Guérin », « Montlucon » « Montluçon »,
« clermont ferrand » « Clermont-Ferrand », « Saint-Etienne » « Saint-Étienne ».

One folding, written twice: `fold()` in Python (the searched words; SQLite calls it as the SQL function `fold`,
registered on each connection) and the `__fold` transform in SQL (PostgreSQL: the `unaccent` extension, created by
core's migration 0002). Use it as `Model.objects.filter(name__fold__contains=fold(term))`; the admin's search goes
through it for every search field (config/admin_authority.py).
"""

import re
import unicodedata
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import CharField, TextField, Transform
from django.dispatch import receiver

# Letters that unaccent spells out and Unicode decomposition leaves alone.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
# Hyphens, apostrophes and runs of spaces all count as one space.
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’]+")
_SQL_SEPARATORS = "[[:space:]'’‐‑–—-]+"


def fold(text: str | None) -> str | None:
    """Lower case, without accents, hyphens and apostrophes as spaces, spaces collapsed (not stripped: the SQL
    side does not strip either, and a `contains` on a folded term must find the folded column)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare).lower()


def fold_term(term: str) -> str:
    """A searched term, folded and stripped."""
    return (fold(term) or "").strip()


class Fold(Transform):
    lookup_name = "fold"
    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.lhs)
        return f"fold({sql})", list(params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.lhs)
        return (
            f"lower(regexp_replace(unaccent({sql}::text), %s, ' ', 'g'))",
            [*params, _SQL_SEPARATORS],
        )


CharField.register_lookup(Fold)
TextField.register_lookup(Fold)


@receiver(connection_created)
def _register_sqlite_fold(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("fold", 1, fold, deterministic=True)
