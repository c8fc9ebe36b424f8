"""Statement lifecycle draft → issued → paid, who may do what, the CPAM notice; dedicated billing numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Statement
from billing.services import (
    generate_statement,
    issue_statement,
    mark_statement_paid,
    record_billing_number,
)
from core.errors import NotAllowed, RuleViolation
from missions.models import Doctor
from notifications.models import Message
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def draft(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    return generate_statement(cpam, OCTOBER, by=ars_staff)


def test_issue_stamps_who_and_when_and_tells_the_cpam(draft, cpam, cpam_agent, ars_staff):
    statement = issue_statement(draft, by=ars_staff)

    assert statement.status == Statement.Status.ISSUED
    assert statement.issued_by == ars_staff and statement.issued_at is not None
    messages = Message.objects.filter(kind="statement_issued")
    assert set(messages.values_list("recipient", flat=True)) == {cpam.email, cpam_agent.email}
    message = messages.first()
    assert "octobre 2025" in message.subject and "200,00" in message.subject
    assert f"/cpam/releves/{statement.pk}/" in message.body_text
    assert statement.history.filter(status="issued", history_user=ars_staff).exists()


def test_issue_twice_is_refused_and_sends_nothing_more(draft, ars_staff):
    issue_statement(draft, by=ars_staff)
    count = Message.objects.count()
    with pytest.raises(RuleViolation) as refused:
        issue_statement(draft, by=ars_staff)
    assert refused.value.code == "invalid_transition"
    assert Message.objects.count() == count


def test_only_ars_staff_issue(draft, cpam_agent):
    with pytest.raises(NotAllowed):
        issue_statement(draft, by=cpam_agent)
    with pytest.raises(NotAllowed):
        issue_statement(draft, by=None)


def test_a_month_not_over_cannot_be_issued(doctor, cpam, site, flat_rate, ars_staff):
    today = f.paris_today()
    slot = f.SlotFactory(site=site, date=today)
    f.BookingFactory(doctor=doctor, slot=slot, status="completed", consultations=1)
    statement = generate_statement(cpam, today, by=ars_staff)
    with pytest.raises(RuleViolation) as refused:
        issue_statement(statement, by=ars_staff)
    assert refused.value.code == "month_not_over"


def test_mark_paid_by_an_agent_of_that_cpam(draft, cpam_agent, ars_staff):
    issue_statement(draft, by=ars_staff)
    statement = mark_statement_paid(draft, by=cpam_agent)
    assert (statement.status, statement.paid_by) == (Statement.Status.PAID, cpam_agent)
    assert statement.paid_at is not None


def test_mark_paid_refused_to_another_cpam_and_to_drafts(draft, cpam_agent, ars_staff):
    stranger = f.CpamMembershipFactory().user
    issue_statement(draft, by=ars_staff)
    with pytest.raises(NotAllowed):
        mark_statement_paid(draft, by=stranger)
    other_draft = Statement.objects.create(
        cpam=draft.cpam, month=datetime.date(2025, 9, 1), generated_at=draft.generated_at
    )
    with pytest.raises(RuleViolation) as refused:
        mark_statement_paid(other_draft, by=cpam_agent)
    # A draft is the ARS's preview: the CPAM does not even see it (accounts.authority), so it may not act on it.
    assert refused.value.code == "not_allowed"


def test_paid_is_final(draft, cpam_agent, ars_staff):
    issue_statement(draft, by=ars_staff)
    mark_statement_paid(draft, by=cpam_agent)
    with pytest.raises(RuleViolation):
        mark_statement_paid(draft, by=cpam_agent)


# --- billing numbers ----------------------------------------------------------------------------------------------


def test_an_agent_records_the_number_of_a_doctor_of_their_cpam(doctor, cpam_agent):
    record_billing_number(doctor, number=" 69 123 456 7 ", by=cpam_agent)
    doctor.refresh_from_db()
    assert doctor.billing_number == "691234567"
    assert doctor.billing_number_recorded_at is not None
    assert doctor.history.first().history_user == cpam_agent


@pytest.mark.parametrize("number", ["1234567", "123456789012345678901", "69A234567", "", "69-12-34-5"])
def test_malformed_numbers_are_refused_on_the_field(doctor, cpam_agent, number):
    with pytest.raises(ValidationError) as refused:
        record_billing_number(doctor, number=number, by=cpam_agent)
    assert "billing_number" in refused.value.message_dict


def test_a_number_already_given_to_another_doctor_is_refused(doctor, other_doctor, cpam_agent, ars_staff):
    record_billing_number(other_doctor, number="691234567", by=ars_staff)
    with pytest.raises(ValidationError):
        record_billing_number(doctor, number="691234567", by=cpam_agent)


def test_another_cpams_agent_cannot_record(doctor, cpam_agent):
    stranger = f.CpamMembershipFactory().user
    with pytest.raises(NotAllowed):
        record_billing_number(doctor, number="691234567", by=stranger)
    with pytest.raises(NotAllowed):
        record_billing_number(doctor, number="691234567", by=doctor.user)


def test_no_number_for_a_doctor_not_validated(doctor, cpam_agent):
    Doctor.objects.filter(pk=doctor.pk).update(status=Doctor.Status.SUBMITTED)
    with pytest.raises(RuleViolation) as refused:
        record_billing_number(doctor, number="691234567", by=cpam_agent)
    assert refused.value.code == "doctor_not_validated"


def test_the_statement_snapshot_keeps_the_number_at_generation(doctor, cpam, cpam_agent, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)
    assert statement.lines.get().doctor_billing_number == ""
    record_billing_number(doctor, number="691234567", by=cpam_agent)
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)  # a draft refreshes
    assert statement.lines.get().doctor_billing_number == "691234567"
    assert statement.total_amount == Decimal("200.00")
