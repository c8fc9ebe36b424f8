"""The columns of a statement export, in one place: CSV, XLSX and PDF take their headers and values from here.

Columns are only ever appended at the end, never reordered or removed: CPAM agents' spreadsheets and scripts
read them by position.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from billing.lines import READING_ORDER
from billing.models import Statement, StatementLine

TEXT, DATE, MONEY, NUMBER, INTEGER = "text", "date", "money", "number", "integer"

# A spreadsheet runs a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

KIND_LABELS = dict(StatementLine.Kind.choices)


def neutralise(text: str) -> str:
    """Make a text cell inert in a spreadsheet: a leading quote before =, +, -, @ (and tab, CR)."""
    return f"'{text}" if text and text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    # The StatementLine field read (None for values taken from the statement itself).
    field: str | None
    width: int = 14  # XLSX column width, in characters
    pdf_width: float = 0  # PDF column width in millimetres; 0 = not in the PDF (too wide for a page)
    value: Callable[[Any, Statement], Any] | None = None

    def read(self, row: dict, statement: Statement) -> Any:
        if self.value is not None:
            return self.value(row.get(self.field) if self.field else None, statement)
        return row[self.field]


COLUMNS: tuple[Column, ...] = (
    Column("Référence du relevé", TEXT, None, 16, value=lambda _, s: s.reference),
    Column("Type de ligne", TEXT, "kind", 12, 17, value=lambda kind, _: KIND_LABELS.get(kind, kind)),
    Column("Nom", TEXT, "doctor_last_name", 20, 30),
    Column("Prénom", TEXT, "doctor_first_name", 16, 22),
    Column("RPPS", TEXT, "doctor_rpps", 14, 20),
    Column("N° Assurance Maladie dédié", TEXT, "doctor_billing_number", 16, 24),
    Column("Date de la mission", DATE, "date", 12, 18),
    Column("Période", TEXT, "period_label", 11, 17),
    Column("Lieu d'accueil", TEXT, "site_name", 30, 27),
    Column("FINESS du lieu", TEXT, "site_finess", 12, 18),
    Column("Commune du lieu", TEXT, "site_commune", 20),
    Column("Zone", TEXT, "zone_name", 24),
    Column("Fraction de journée", NUMBER, "day_fraction", 10, 19),
    Column("Forfait journalier (€)", MONEY, "rate", 12, 18),
    Column("Montant (€)", MONEY, "amount", 12, 20),
    Column("Motif", TEXT, "note", 40),
    Column("Identifiant de ligne", INTEGER, "id", 10),
    # Appended (issue 15): what the day achieved. The PDF's site column gave up the 23 mm it takes.
    Column("Consultations attestées", INTEGER, "consultations", 14, 23),
)

FIELDS: tuple[str, ...] = tuple(dict.fromkeys(c.field for c in COLUMNS if c.field))
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
AMOUNT_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.field == "amount")
DAYS_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.field == "day_fraction")


def line_rows(statement: Statement, chunk_size: int = 2000) -> Iterator[dict]:
    """The statement's lines as dicts, in reading order, fetched in chunks (memory stays flat)."""
    return _ordered_lines(statement).values(*FIELDS).iterator(chunk_size=chunk_size)


def line_values(statement: Statement, chunk_size: int = 5000) -> Iterator[tuple]:
    """The same lines as tuples of FIELDS (index them with FIELD_INDEX): no dict built per line."""
    return _ordered_lines(statement).values_list(*FIELDS).iterator(chunk_size=chunk_size)


def _ordered_lines(statement: Statement):
    return statement.lines.order_by(*READING_ORDER)


FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}


# --- French renderings, for CSV and PDF ---------------------------------------------------------------------------


def french_number(value: Decimal, places: int | None = 2, grouping: str = "") -> str:
    """200 → « 200,00 »; -1234.5 → « -1 234,50 » with grouping=" "; places=None keeps 0,5 as « 0,5 »."""
    value = Decimal(value)
    text = f"{value:f}" if places is None else f"{value:.{places}f}"
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, decimals = text.partition(".")
    if grouping:
        groups: list[str] = []
        while len(whole) > 3:
            whole, groups = whole[:-3], [whole[-3:], *groups]
        whole = grouping.join([whole, *groups])
    return sign + whole + ("," + decimals if decimals else "")


def french_text(column: Column, value: Any, spreadsheet: bool = True) -> str:
    """A cell as text, French-style: dates dd/mm/yyyy, decimal comma; formulas neutralised for a spreadsheet."""
    if value is None:
        return ""
    if column.kind == DATE:
        return f"{value:%d/%m/%Y}" if isinstance(value, date) else str(value)
    if column.kind == MONEY:
        return french_number(value, 2)
    if column.kind == NUMBER:
        return french_number(value, None)
    if column.kind == INTEGER:
        return str(value)
    return neutralise(str(value)) if spreadsheet else str(value)


def _column_text(column: Column, statement: Statement, spreadsheet: bool) -> Callable[[Any], str]:
    """`french_text(column, column.read(row, statement), spreadsheet)` as a function of the column's raw value."""
    if column.field is None:  # a value of the statement itself: the same on every line
        text = french_text(column, column.read({}, statement), spreadsheet)
        return lambda _: text
    if (value := column.value) is not None:
        return lambda raw: french_text(column, value(raw, statement), spreadsheet)
    if column.kind in (DATE, MONEY, NUMBER):
        # Worked out once per distinct value: dates, rates, amounts and fractions repeat across lines. Equal
        # values render alike (Decimal("1.00") and Decimal("1") give « 1 » and « 1,00 » either way).
        return cache(lambda raw: french_text(column, raw, spreadsheet))
    if column.kind == INTEGER:
        return lambda raw: "" if raw is None else str(raw)
    if spreadsheet:
        return lambda raw: "" if raw is None else neutralise(str(raw))
    return lambda raw: "" if raw is None else str(raw)


def row_texts(
    statement: Statement, columns: tuple[Column, ...] = COLUMNS, spreadsheet: bool = True
) -> Callable[[tuple], list[str]]:
    """A function from a `line_values` tuple to the French texts of `columns`, the same as `french_text` gives,
    with what does not change from line to line worked out once."""
    plan = [(FIELD_INDEX[c.field] if c.field else 0, _column_text(c, statement, spreadsheet)) for c in columns]

    def texts(row: tuple) -> list[str]:
        return [render(row[index]) for index, render in plan]

    return texts
