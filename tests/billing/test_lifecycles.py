"""The statement's lifecycle as declared (billing.lifecycles): each act's sources, target and who may run it, and
the transition log each act writes."""

import datetime

import pytest

from billing.lifecycles import STATEMENT
from billing.models import Statement
from billing.services import generate_statement, issue_statement, mark_statement_paid
from core.errors import NotAllowed, RuleViolation
from core.models import TransitionLog
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

DRAFT, ISSUED, PAID = "draft", "issued", "paid"


@pytest.mark.parametrize(
    ("name", "sources", "target", "stamp"),
    [
        ("issue", {DRAFT}, ISSUED, "issued"),
        ("mark_paid", {ISSUED}, PAID, "paid"),
    ],
)
def test_each_act_starts_from_its_sources_and_leads_to_its_target(name, sources, target, stamp):
    act = STATEMENT.acts[name]
    assert (set(act.sources), act.target, act.stamp) == (sources, target, stamp)


def test_the_acts_are_those_of_design_section_4():
    assert set(STATEMENT.acts) == {"issue", "mark_paid"}
    assert {state: STATEMENT.successors(state) for state in (DRAFT, ISSUED, PAID)} == {
        DRAFT: {ISSUED},
        ISSUED: {PAID},
        PAID: set(),
    }


@pytest.fixture
def draft(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    return generate_statement(cpam, OCTOBER, by=ars_staff)


@pytest.fixture
def people(ars_staff, ars_other_region, cpam_agent, doctor, site_member, superuser):
    return {
        "ars_staff": ars_staff,
        "ars_other_region": ars_other_region,
        "superuser": superuser,
        "cpam_agent": cpam_agent,
        "agent_of_another_cpam": f.CpamMembershipFactory().user,
        "doctor": doctor.user,
        "site_member": site_member,
        "the_monthly_job": None,
    }


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("ars_staff", True),
        ("superuser", True),
        ("ars_other_region", False),
        ("cpam_agent", False),
        ("agent_of_another_cpam", False),
        ("doctor", False),
        ("site_member", False),
        ("the_monthly_job", False),
    ],
)
def test_who_may_issue(draft, people, persona, allowed):
    if allowed:
        assert issue_statement(draft, by=people[persona]).status == ISSUED
    else:
        with pytest.raises(NotAllowed):
            issue_statement(draft, by=people[persona])
        assert Statement.objects.get(pk=draft.pk).status == DRAFT


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("cpam_agent", True),
        ("ars_staff", True),
        ("superuser", True),
        ("ars_other_region", False),
        ("agent_of_another_cpam", False),
        ("doctor", False),
        ("site_member", False),
        ("the_monthly_job", False),
    ],
)
def test_who_may_mark_paid(draft, people, persona, allowed):
    issue_statement(draft, by=people["ars_staff"])
    if allowed:
        assert mark_statement_paid(draft, by=people[persona]).status == PAID
    else:
        with pytest.raises(NotAllowed):
            mark_statement_paid(draft, by=people[persona])
        assert Statement.objects.get(pk=draft.pk).status == ISSUED


@pytest.mark.parametrize(("name", "state"), [("issue", ISSUED), ("issue", PAID), ("mark_paid", PAID)])
def test_an_act_from_another_state_is_refused(draft, ars_staff, name, state):
    Statement.objects.filter(pk=draft.pk).update(status=state, issued_at=draft.generated_at, paid_at=draft.generated_at)
    with pytest.raises(RuleViolation) as refused:
        STATEMENT.run(draft, name, by=ars_staff)
    assert refused.value.code == "invalid_transition"
    assert not TransitionLog.objects.of(draft).exists()


def test_issue_and_mark_paid_are_logged_with_who_from_and_to(draft, ars_staff, cpam_agent):
    issue_statement(draft, by=ars_staff)
    mark_statement_paid(draft, by=cpam_agent)

    log = list(TransitionLog.objects.of(draft).values_list("act", "from_state", "to_state", "by"))
    assert log == [("issue", DRAFT, ISSUED, ars_staff.pk), ("mark_paid", ISSUED, PAID, cpam_agent.pk)]
    statement = Statement.objects.get(pk=draft.pk)
    assert [entry.at for entry in TransitionLog.objects.of(draft)] == [statement.issued_at, statement.paid_at]


def test_a_refused_issue_leaves_no_log(doctor, cpam, site, flat_rate, ars_staff):
    slot = f.SlotFactory(site=site, date=f.paris_today())
    f.BookingFactory(doctor=doctor, slot=slot, status="completed", consultations=1)
    statement = generate_statement(cpam, f.paris_today(), by=ars_staff)
    with pytest.raises(RuleViolation) as refused:
        issue_statement(statement, by=ars_staff)
    assert refused.value.code == "month_not_over"
    assert not TransitionLog.objects.of(statement).exists()
    assert Statement.objects.get(pk=statement.pk).status == DRAFT
