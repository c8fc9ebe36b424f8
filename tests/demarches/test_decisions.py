"""Decisions go back to DS exactly once: queued in the transaction of the act, sent by a job that reads the
dossier's state first, through outages and lost answers (the local DS server counts what it applied)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demarches import services
from demarches.models import Decision, Dossier
from missions.models import Doctor
from missions.services import reject_doctor
from tests.demarches.conftest import add_dossier
from tests.demarches.ds_server import validate_insured

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(fake_ds, ds_settings, place):
    add_dossier(fake_ds, place, 1)
    services.sync_demarche()
    return Doctor.objects.get()


def mutations(fake_ds) -> dict:
    """Mutations DS applied, by name."""
    return {name: count for (name, _), count in fake_ds.app.mutations.items()}


def sent(fake_ds) -> dict:
    """Mutation requests that reached DS, by name (applied or answered with an error)."""
    names = [r["query"].split("(")[0].split()[1] for r in fake_ds.app.requests if r["query"].startswith("mutation")]
    return {name: names.count(name) for name in names}


def test_validating_queues_the_decision_in_the_same_transaction(imported, ars_staff):
    validate_insured(imported, by=ars_staff)

    decision = Decision.objects.get()
    assert (decision.kind, decision.status, decision.dossier.doctor) == ("accept", "pending", imported)


def test_a_doctor_who_did_not_come_from_ds_queues_nothing(doctor, ars_staff):
    submitted = Doctor.objects.filter(pk=doctor.pk)
    submitted.update(status=Doctor.Status.SUBMITTED, validated_at=None)
    validate_insured(submitted.get(), by=ars_staff)
    assert not Decision.objects.exists()


def test_a_decision_reaches_ds_exactly_once_even_after_an_outage(fake_ds, imported, ars_staff):
    validate_insured(imported, by=ars_staff)
    fake_ds.stop()  # DS unreachable
    now = timezone.now()

    down = services.send_decisions(now=now)

    decision = Decision.objects.get()
    assert (down.sent, down.waiting, decision.status, decision.attempts) == (0, 1, "pending", 1)
    assert decision.next_attempt_at == now + timedelta(minutes=1)
    assert "injoignable" in decision.last_error
    assert services.send_decisions(now=now).sent == 0  # not due yet: nothing is tried
    fake_ds.start()

    up = services.send_decisions(now=now + timedelta(minutes=2))
    again = services.send_decisions(now=now + timedelta(hours=1))

    assert (up.sent, again.sent) == (1, 0)
    assert mutations(fake_ds) == sent(fake_ds) == {"dossierPasserEnInstruction": 1, "dossierAccepter": 1}
    assert fake_ds.app.dossiers[10_001].state == "accepte"
    assert Decision.objects.get().status == "sent"


@pytest.mark.parametrize("lost", ["dossierPasserEnInstruction", "dossierAccepter"])
def test_a_lost_answer_is_not_sent_twice(fake_ds, imported, ars_staff, lost):
    """DS applied the mutation but its answer never came back (a proxy timed out): the retry reads the dossier's
    state and sends only what is still missing."""
    validate_insured(imported, by=ars_staff)
    now = timezone.now()
    if lost == "dossierAccepter":
        fake_ds.app.dossiers[10_001].state = "en_instruction"  # an instructeur took it in DS already
    fake_ds.app.lose_next_response = True

    first = services.send_decisions(now=now)
    second = services.send_decisions(now=now + timedelta(minutes=5))

    assert (first.waiting, second.sent) == (1, 1)
    assert mutations(fake_ds)[lost] == sent(fake_ds)[lost] == 1
    assert sent(fake_ds)["dossierAccepter"] == 1
    assert fake_ds.app.dossiers[10_001].state == "accepte"


def test_rejecting_sends_the_refusal_with_its_motif(fake_ds, imported, ars_staff):
    reject_doctor(imported, by=ars_staff, reason="Pas d'assurance RCP couvrant les lieux d'accueil.")

    assert services.send_decisions().sent == 1
    assert mutations(fake_ds) == {"dossierPasserEnInstruction": 1, "dossierRefuser": 1}
    dossier = fake_ds.app.dossiers[10_001]
    assert (dossier.state, dossier.motivation) == ("refuse", "Pas d'assurance RCP couvrant les lieux d'accueil.")


def test_a_dossier_decided_otherwise_in_ds_fails_for_a_person(fake_ds, imported, ars_staff):
    validate_insured(imported, by=ars_staff)
    fake_ds.app.dossiers[10_001].state = "sans_suite"

    report = services.send_decisions()

    decision = Decision.objects.get()
    assert (report.failed, decision.status) == (1, "failed")
    assert "Classé sans suite" in decision.last_error
    assert not fake_ds.app.mutations
    fake_ds.app.dossiers[10_001].state = "en_construction"  # reopened in DS
    assert services.retry_decisions(Decision.objects.all(), by=ars_staff) == 1
    assert services.send_decisions().sent == 1


def test_two_senders_at_once_send_once(fake_ds, imported, ars_staff):
    """The claim is a conditional UPDATE: a second run finds the row taken (or done) and sends nothing."""
    validate_insured(imported, by=ars_staff)
    now = timezone.now()
    Decision.objects.update(claimed_until=now + timedelta(minutes=5))  # another worker holds it

    assert services.send_decisions(now=now).sent == 0
    assert not fake_ds.app.mutations
    assert services.send_decisions(now=now + timedelta(minutes=6)).sent == 1  # its claim expired: taken over
    assert Dossier.objects.get().decision.status == "sent"
