"""A host site's correction racing the statement's generation or issue (PostgreSQL, two real transactions).

The correction locks the paying CPAM's row before the booking, as generation and issue do before the statement:
whichever comes second waits for the first to commit, then reads what it wrote. So a correction either lands
before (and the statement states the corrected day) or, the day being on an issued statement by then, is refused.
Each race runs with the correction started a little before, together with, and a little after the other call.
"""

import datetime
import time

import pytest

from billing.models import Statement, StatementLine, StatementStatus
from billing.services import generate_statement, issue_statement
from core.errors import RuleViolation
from missions.models import Booking
from missions.services import correct_attestation
from tests.billing.conftest import OCTOBER
from tests.billing.test_races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]
S = Booking.Status
OFFSETS = [-0.05, 0.0, 0.05]  # seconds the correction starts after the other call


def after(delay: float, call):
    def delayed():
        time.sleep(max(delay, 0))
        return call()

    return delayed


def pair(offset: float, correction, other) -> list:
    return [after(offset, correction), after(-offset, other)]


@pytest.fixture
def october(doctor, attested_day):
    """Ten attested days in October 2025 at `site`: the first is the one corrected."""
    return [attested_day(doctor, datetime.date(2025, 10, n)) for n in range(1, 11)]


@pytest.mark.parametrize("offset", OFFSETS)
def test_a_correction_racing_the_generation_is_on_the_draft(offset, october, cpam, site_member, ars_staff):
    day = october[0]
    errors = run_together(
        pair(
            offset,
            lambda: correct_attestation(day, by=site_member, attended=False, consultations=None, reason="Absent."),
            lambda: generate_statement(cpam, OCTOBER, by=ars_staff),
        )
    )

    assert errors == []
    day.refresh_from_db()
    assert day.status == S.NO_SHOW  # a draft never refuses a correction
    draft = Statement.objects.get(cpam=cpam, month=OCTOBER)
    assert not draft.lines.filter(booking=day).exists()  # whichever came first, the draft states the correction
    assert draft.line_count == draft.lines.count() == 9


@pytest.mark.parametrize("offset", OFFSETS)
def test_a_correction_racing_the_issue_lands_before_or_is_refused(offset, october, cpam, site_member, ars_staff):
    day = october[0]
    draft = generate_statement(cpam, OCTOBER, by=ars_staff)
    assert StatementLine.objects.filter(statement=draft, booking=day, consultations=12).exists()

    errors = run_together(
        pair(
            offset,
            lambda: correct_attestation(day, by=site_member, attended=True, consultations=5, reason="Recompté."),
            lambda: issue_statement(draft, by=ars_staff),
        )
    )

    issued = Statement.objects.get(cpam=cpam, month=OCTOBER)
    assert issued.status == StatementStatus.ISSUED
    day.refresh_from_db()
    stated = StatementLine.objects.get(statement=issued, booking=day)
    if errors:  # the issue came first: the day was on an issued statement when the correction read it
        [refusal] = errors
        assert isinstance(refusal, RuleViolation) and refusal.code == "attestation_stated"
        assert (day.consultations, day.corrected_at) == (12, None)
        assert stated.consultations == 12
    else:  # the correction came first: what was issued is the corrected draft
        assert day.consultations == 5
        assert stated.consultations == 5
