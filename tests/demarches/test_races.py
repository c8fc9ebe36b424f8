"""Two senders of decisions at once (two workers, or a worker and `run_job` by hand), and two syncs at once: real
threads, each with its own PostgreSQL connection, lined up on a barrier. Each decision reaches DS once; one sync
runs, the other steps aside."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from demarches import services
from demarches.models import Decision
from missions.models import Doctor
from tests.demarches.conftest import add_dossier
from tests.demarches.ds_server import validate_insured

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DOSSIERS = 6


def at_once(call, runs: int = 2) -> list:
    barrier = threading.Barrier(runs)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_two_senders_at_once_send_each_decision_once(fake_ds, ds_settings, place, ars_staff):
    for n in range(DOSSIERS):
        add_dossier(fake_ds, place, n)
    services.sync_demarche()
    for doctor in Doctor.objects.all():
        validate_insured(doctor, by=ars_staff)
    now = timezone.now()

    reports = at_once(lambda: services.send_decisions(now=now))

    assert sum(r.sent for r in reports) == DOSSIERS
    assert Decision.objects.filter(status="sent").count() == DOSSIERS
    accepted = [r for r in fake_ds.app.requests if r["query"].startswith("mutation dossierAccepter")]
    assert len(accepted) == DOSSIERS


def test_two_syncs_at_once_import_each_dossier_once(fake_ds, ds_settings, place):
    for n in range(DOSSIERS):
        add_dossier(fake_ds, place, n)

    reports = at_once(services.sync_demarche)

    assert sorted(r.outcomes.get("created", 0) for r in reports) == [0, DOSSIERS]
    assert Doctor.objects.count() == DOSSIERS
