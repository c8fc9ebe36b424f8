"""A host site corrects its own attestation, until the day is on an issued statement (then it is the ARS's act,
a reversal on a later statement: R9). Drafts that state the day follow the correction."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from billing.models import StatementLine, StatementStatus
from billing.services import generate_statement, issue_statement
from core.errors import NotAllowed, RuleViolation
from core.models import TransitionLog
from missions.models import Booking
from missions.services import correct_attestation
from tests.billing.conftest import OCTOBER

pytestmark = pytest.mark.django_db
S = Booking.Status


@pytest.fixture
def day(doctor, attested_day):
    """12 consultations attested on 9 October 2025 at `site`."""
    return attested_day(doctor, datetime.date(2025, 10, 9))


def test_the_site_corrects_its_attestation_and_the_history_keeps_before_and_after(day, site_member):
    attested_by = day.attested_by
    correct_attestation(day, by=site_member, attended=True, consultations=9, reason="Erreur de saisie : 9, pas 12.")

    day.refresh_from_db()
    assert (day.status, day.consultations) == (S.COMPLETED, 9)
    assert (day.corrected_by, day.correction_reason) == (site_member, "Erreur de saisie : 9, pas 12.")
    assert day.corrected_at is not None
    assert day.attested_by == attested_by  # the attestation itself is kept
    after, before = day.history.order_by("-history_date", "-history_id")[:2]
    assert (before.consultations, after.consultations) == (12, 9)
    assert (after.history_user, after.history_change_reason) == (site_member, "Erreur de saisie : 9, pas 12.")
    [log] = TransitionLog.objects.of(day)
    assert (log.act, log.from_state, log.to_state, log.by, log.reason) == (
        "site_correct",
        S.COMPLETED,
        S.COMPLETED,
        site_member,
        "Erreur de saisie : 9, pas 12.",
    )


def test_absent_after_all(day, site_member):
    correct_attestation(day, by=site_member, attended=False, consultations=None, reason="Confusion de médecin.")
    day.refresh_from_db()
    assert (day.status, day.consultations) == (S.NO_SHOW, None)
    [log] = TransitionLog.objects.of(day)
    assert (log.from_state, log.to_state) == (S.COMPLETED, S.NO_SHOW)


def test_a_reason_is_required(day, site_member):
    with pytest.raises(ValidationError) as caught:
        correct_attestation(day, by=site_member, attended=True, consultations=3, reason="  ")
    assert caught.value.message_dict["reason"] == [
        "Indiquez le motif de la correction : il est conservé dans l'historique et lu par l'ARS."
    ]
    day.refresh_from_db()
    assert (day.consultations, day.corrected_at) == (12, None)


def test_another_sites_member_may_not(day, other_site_member, doctor):
    for person in (other_site_member, doctor.user):
        with pytest.raises(NotAllowed):
            correct_attestation(day, by=person, attended=False, consultations=None, reason="Non")
    day.refresh_from_db()
    assert day.status == S.COMPLETED


def test_a_draft_that_states_the_day_follows_the_correction(day, doctor, attested_day, cpam, site_member):
    other = attested_day(doctor, datetime.date(2025, 10, 16))
    draft = generate_statement(cpam, OCTOBER)
    assert draft.line_count == 2

    correct_attestation(day, by=site_member, attended=True, consultations=7, reason="Recompté.")
    assert StatementLine.objects.get(statement=draft, booking=day).consultations == 7

    correct_attestation(day, by=site_member, attended=False, consultations=None, reason="Absent en fait.")
    draft.refresh_from_db()
    assert draft.status == StatementStatus.DRAFT
    assert list(draft.lines.values_list("booking", flat=True)) == [other.pk]
    assert (draft.line_count, draft.total_days, draft.total_amount) == (1, 1, 200)


def test_once_the_day_is_on_an_issued_statement_only_the_ars_corrects_it(day, cpam, site_member, ars_staff):
    issue_statement(generate_statement(cpam, OCTOBER), by=ars_staff)

    with pytest.raises(RuleViolation) as caught:
        correct_attestation(day, by=site_member, attended=False, consultations=None, reason="Absent.")
    assert caught.value.code == "attestation_stated"
    assert caught.value.message == (
        f"Cette journée figure déjà sur le relevé 2025-10-{cpam.department.code} émis à la CPAM : le lieu d'accueil "
        "ne peut plus corriger son attestation. Demandez la correction à l'équipe ARS de votre région, qui "
        "l'enregistrera et l'annulera sur le prochain relevé."
    )
    day.refresh_from_db()
    assert (day.status, day.consultations, day.corrected_at) == (S.COMPLETED, 12, None)

    # The ARS still may: the next statement reverses the day (R9), and its draft follows the correction.
    november = generate_statement(cpam, datetime.date(2025, 11, 1))
    assert november is None  # nothing to state in November yet
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Absent.")
    november = generate_statement(cpam, datetime.date(2025, 11, 1))
    [reversal] = november.lines.all()
    assert (reversal.kind, reversal.booking_id, reversal.amount) == ("reversal", day.pk, -200)


def test_an_ars_correction_refreshes_the_later_draft_too(day, cpam, ars_staff, doctor, attested_day):
    issue_statement(generate_statement(cpam, OCTOBER), by=ars_staff)
    attested_day(doctor, datetime.date(2025, 11, 6))
    november = generate_statement(cpam, datetime.date(2025, 11, 1))
    assert november.line_count == 1

    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Absent.")

    november.refresh_from_db()
    assert sorted(november.lines.values_list("kind", "amount")) == [("line", 200), ("reversal", -200)]
    assert (november.line_count, november.total_amount) == (2, 0)


def _state(statement) -> tuple:
    statement.refresh_from_db()
    lines = sorted(statement.lines.values_list("booking", "kind", "sequence", "amount", "consultations"))
    return lines, statement.line_count, statement.total_days, statement.total_amount


@pytest.mark.parametrize(
    ("attended", "consultations"),
    [(True, 4), (False, None)],
)
def test_the_refreshed_draft_is_what_generating_it_again_writes(
    attended, consultations, day, doctor, attested_day, cpam, site_member, ars_staff
):
    """The correction refreshes the day only (a draft may hold 100,000 lines): the same result as a generation."""
    attested_day(doctor, datetime.date(2025, 10, 16))
    issued_day = attested_day(doctor, datetime.date(2025, 9, 18))
    issue_statement(generate_statement(cpam, datetime.date(2025, 9, 1)), by=ars_staff)
    draft = generate_statement(cpam, OCTOBER)
    correct_attestation(issued_day, by=ars_staff, attended=False, consultations=None, reason="Absent.")
    correct_attestation(day, by=site_member, attended=attended, consultations=consultations, reason="Recompté.")
    refreshed = _state(draft)

    generate_statement(cpam, OCTOBER)
    assert _state(draft) == refreshed
    assert ("reversal" in {kind for _, kind, *_ in refreshed[0]}) is True  # September's day, reversed in October
