"""The lifecycle engine (core.transitions) on a real model: permission first, state checked under the lock,
stamps, reason, history user, one TransitionLog row, tells in the same transaction — and nothing of it when the
act is refused."""

import pytest
from django.db import transaction

from core.errors import Code, NotAllowed, RuleViolation
from core.models import TransitionLog
from core.transitions import Lifecycle, act
from sites.models import Slot
from tests import factories as f

pytestmark = pytest.mark.django_db

told: list = []


def site_only(by, slot):
    if by is None or not slot.site.memberships.filter(user=by).exists():
        raise NotAllowed("Réservé au lieu d'accueil.")


SLOT = Lifecycle.of(
    Slot,
    act(
        "close",
        {"open"},
        "closed",
        label="fermer le créneau",
        permission=site_only,
        stamp="closed",
        reason_field="closed_reason",
        tells=[told.append],
    ),
)


@pytest.fixture(autouse=True)
def _fresh():
    told.clear()


def test_an_act_stamps_logs_and_tells(slot, site_member):
    closed = SLOT.run(slot, "close", by=site_member, reason="  Travaux  ")

    assert (closed.status, closed.closed_by, closed.closed_reason) == ("closed", site_member, "Travaux")
    assert closed.closed_at is not None
    log = TransitionLog.objects.of(slot).get()
    assert (log.act, log.from_state, log.to_state, log.by, log.reason) == (
        "close",
        "open",
        "closed",
        site_member,
        "Travaux",
    )
    assert [t.previous for t in told] == ["open"]
    assert closed.history.first().history_user == site_member


def test_a_refused_state_changes_nothing(slot, site_member):
    SLOT.run(slot, "close", by=site_member, reason="Travaux")
    told.clear()
    with pytest.raises(RuleViolation) as refused:
        SLOT.run(slot, "close", by=site_member, reason="Encore")
    assert refused.value.code == Code.INVALID_TRANSITION
    assert refused.value.message == "Impossible de passer de « Fermé » à « Fermé »."
    assert TransitionLog.objects.of(slot).count() == 1
    assert told == []


def test_the_permission_is_asked_before_anything(slot, other_site_member):
    with pytest.raises(NotAllowed):
        SLOT.run(slot, "close", by=other_site_member, reason="x")
    slot.refresh_from_db()
    assert slot.status == "open"
    assert not TransitionLog.objects.of(slot).exists()


def test_a_failing_tell_undoes_the_act(slot, site_member):
    """The tells run in the act's transaction: a message that cannot be promised undoes the change."""

    def broken(transition):
        raise RuntimeError("outbox down")

    lifecycle = Lifecycle.of(Slot, act("close", {"open"}, "closed", stamp="closed", tells=[broken]))
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.run(slot, "close", by=site_member)
    slot.refresh_from_db()
    assert slot.status == "open"
    assert not TransitionLog.objects.of(slot).exists()


def test_the_state_is_read_under_the_lock_not_from_the_callers_copy(slot, site_member):
    stale = Slot.objects.get(pk=slot.pk)
    SLOT.run(slot, "close", by=site_member, reason="Travaux")
    with pytest.raises(RuleViolation):
        SLOT.run(stale, "close", by=site_member, reason="Encore")  # the copy still says « open »


def test_a_chosen_target_must_be_one_of_the_acts():
    lifecycle = Lifecycle.of(Slot, act("settle", {"open"}, None, targets={"closed"}))
    slot = f.SlotFactory()
    with pytest.raises(RuleViolation):
        lifecycle.run(slot, "settle", by=None, target="open")
    assert lifecycle.run(slot, "settle", by=None, target="closed").status == "closed"


def test_successors_give_the_table_of_the_design():
    assert SLOT.successors("open") == {"closed"}
    assert SLOT.successors("closed") == set()


def test_an_unknown_state_is_refused_at_declaration():
    with pytest.raises(ValueError):
        Lifecycle.of(Slot, act("reopen", {"closed"}, "reopened"))


def test_a_system_act_logs_no_person(slot):
    lifecycle = Lifecycle.of(Slot, act("expire", {"open"}, "closed"))
    lifecycle.run(slot, "expire", by=None)
    assert TransitionLog.objects.of(slot).get().by is None
