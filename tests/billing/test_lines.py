"""The columns of a statement line are declared once (billing.lines): the model, the API and the exports agree."""

from billing import lines
from billing.api import StatementLineSerializer
from billing.exports.columns import COLUMNS
from billing.models import StatementLine


def test_the_declaration_names_every_field_of_a_line_but_its_statement_and_creation_time():
    model = {f.name for f in StatementLine._meta.concrete_fields} - {"statement", "created_at"}
    assert set(lines.FIELDS) == model
    assert len(lines.FIELDS) == len(set(lines.FIELDS))


def test_the_api_and_the_exports_read_the_declared_fields():
    assert StatementLineSerializer.Meta.fields == list(lines.FIELDS)
    assert {c.field for c in COLUMNS if c.field} <= set(lines.FIELDS)
    assert list(StatementLine._meta.ordering) == list(lines.READING_ORDER)
