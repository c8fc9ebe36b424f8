"""R9: an issued statement never changes — refused by the service, the models, and (PostgreSQL) the database."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import Statement, StatementLine
from billing.services import generate_statement, issue_statement, mark_statement_paid
from core.errors import RuleViolation
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def issued(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


def test_a_line_of_an_issued_statement_cannot_be_saved_or_deleted(issued):
    line = issued.lines.first()
    line.amount = Decimal("1.00")
    with pytest.raises(RuleViolation) as refused:
        line.save()
    assert refused.value.code == "statement_issued"
    with pytest.raises(RuleViolation):
        line.delete()
    assert issued.lines.get(pk=line.pk).amount != Decimal("1.00")


def test_no_line_can_be_added_to_an_issued_statement(issued):
    template = issued.lines.first()
    template.pk = None
    template.sequence = 9
    with pytest.raises(RuleViolation):
        template.save()
    assert issued.lines.count() == 2


def test_an_issued_statement_cannot_be_edited_or_deleted(issued):
    issued = Statement.objects.get(pk=issued.pk)
    issued.total_amount = Decimal("0")
    with pytest.raises(RuleViolation):
        issued.save()
    issued = Statement.objects.get(pk=issued.pk)
    with pytest.raises(RuleViolation):
        issued.delete()
    issued.refresh_from_db()
    assert issued.total_amount == Decimal("300.00")


def test_marking_paid_is_the_only_change_let_through(issued, cpam_agent):
    statement = mark_statement_paid(issued, by=cpam_agent)
    statement = Statement.objects.get(pk=statement.pk)
    statement.status = Statement.Status.DRAFT
    with pytest.raises(RuleViolation):
        statement.save()


def test_a_draft_line_may_be_rewritten(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    draft = generate_statement(cpam, OCTOBER, by=ars_staff)
    line = draft.lines.get()
    line.note = "vérifié"
    line.save()
    assert draft.lines.get().note == "vérifié"


def test_the_database_refuses_a_day_stated_twice(issued):
    line = issued.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.bulk_create([StatementLine(**{**_copy(line), "statement_id": line.statement_id})])


def test_the_database_refuses_a_second_statement_for_a_cpam_and_month(issued):
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.create(cpam=issued.cpam, month=issued.month, generated_at=issued.generated_at)


def test_the_database_refuses_a_line_whose_sign_contradicts_its_kind(issued):
    line = issued.lines.first()
    draft = Statement.objects.create(cpam=issued.cpam, month=datetime.date(2025, 11, 1), generated_at=issued.issued_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.bulk_create(
            [StatementLine(**{**_copy(line), "statement_id": draft.pk, "sequence": 2, "amount": Decimal("-200")})]
        )


def _copy(line: StatementLine) -> dict:
    values = {f.attname: getattr(line, f.attname) for f in StatementLine._meta.concrete_fields}
    values.pop("id")
    return values


@pytest.mark.postgres
def test_postgresql_triggers_refuse_raw_changes_to_an_issued_statement(issued):
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.filter(statement=issued).update(amount=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.filter(statement=issued).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=issued.pk).update(total_amount=Decimal("0"))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_statement WHERE id = %s", [issued.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementLine.objects.bulk_create(
            [StatementLine(**{**_copy(issued.lines.first()), "statement_id": issued.pk, "sequence": 7})]
        )
    assert Statement.objects.get(pk=issued.pk).total_amount == Decimal("300.00")
    assert sum(line.amount for line in issued.lines.all()) == Decimal("300.00")


@pytest.mark.postgres
def test_postgresql_triggers_let_a_statement_be_marked_paid_once(issued, cpam_agent):
    mark_statement_paid(issued, by=cpam_agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=issued.pk).update(paid_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=issued.pk).update(status="issued")
