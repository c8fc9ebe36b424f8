"""Monthly statements: on the 1st, the previous month's draft for every CPAM with something to pay, and a notice
to each CPAM (once per statement)."""

from datetime import date, timedelta

import pytest

from billing.jobs import previous_month, run_monthly_statements
from billing.models import Statement
from billing.notices import statement_url
from billing.services import issue_statement
from missions.models import Booking
from notifications.models import Message
from tests import factories as f
from tests.jobs.conftest import messages, recipients

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2027, 1, 1), date(2026, 12, 1)),
        (date(2026, 3, 1), date(2026, 2, 1)),
        (date(2026, 3, 31), date(2026, 2, 1)),
        (date(2028, 3, 1), date(2028, 2, 1)),
    ],
)
def test_the_statement_is_for_the_previous_month(today, month):
    assert previous_month(today) == month


@pytest.fixture
def last_month(today) -> date:
    return previous_month(today)


@pytest.fixture
def attested(make_booking, flat_rate, last_month):
    """A day `doctor` worked last month, attested by the site."""
    return make_booking(last_month + timedelta(days=4), status=Booking.Status.COMPLETED, consultations=9)


@pytest.fixture
def cpam_emails(cpam_agent, doctor) -> list[str]:
    return sorted([cpam_agent.email, doctor.practice_department.cpam.email])


def test_draft_generated_and_cpam_told_it_is_ready(attested, cpam_emails, doctor, last_month, now):
    report = run_monthly_statements(now=now)

    statement = Statement.objects.get()
    assert (statement.cpam.department_id, statement.month) == (doctor.practice_department_id, last_month)
    assert statement.status == Statement.Status.DRAFT and statement.line_count == 1
    assert (report.claimed, report.messages) == (1, len(cpam_emails))
    assert recipients("statement_ready") == cpam_emails
    notice = Message.objects.filter(kind="statement_ready").first()
    assert statement_url(statement) in notice.body_text and "prêt à vérifier" in notice.subject


def test_running_twice_keeps_one_statement_and_one_notice(attested, cpam_emails, now):
    run_monthly_statements(now=now)
    second = run_monthly_statements(now=now + timedelta(hours=2))

    assert Statement.objects.count() == 1 and Statement.objects.get().line_count == 1
    assert second.claimed == 0 and second.lost == 1
    assert recipients("statement_ready") == cpam_emails


def test_a_cpam_with_nothing_to_pay_gets_nothing(attested, cpam_emails, now):
    other = f.CpamFactory()  # no doctor of its department worked last month

    run_monthly_statements(now=now)

    assert not Statement.objects.filter(cpam=other).exists()
    assert other.email not in recipients("statement_ready")


def test_nothing_attested_nothing_generated(make_booking, flat_rate, cpam_agent, last_month, now):
    make_booking(last_month + timedelta(days=4), status=Booking.Status.CONFIRMED)  # never attested: not billable
    make_booking(last_month + timedelta(days=5), status=Booking.Status.CANCELLED)

    report = run_monthly_statements(now=now)

    assert report.claimed == 0 and not Statement.objects.exists() and messages() == []


def test_an_issued_statement_is_left_alone_and_not_announced_again(attested, cpam_emails, ars_staff, now):
    run_monthly_statements(now=now)
    issue_statement(Statement.objects.get(), by=ars_staff)
    before = messages()

    report = run_monthly_statements(now=now)

    assert report.claimed == 0 and messages() == before


def test_dry_run_writes_nothing(attested, cpam_emails, now):
    report = run_monthly_statements(now=now, dry_run=True)

    assert (report.claimed, report.messages) == (1, len(cpam_emails))
    assert not Statement.objects.exists() and messages() == []
