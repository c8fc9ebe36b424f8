"""The file's steps under real concurrency (PostgreSQL): the CDOM's link clicked twice at once, or the CDOM
answering while ARS staff record its answer — one answer is recorded and told, the other refused."""

import threading

import pytest
from django.db import connection

from billing.services import record_billing_number
from core.errors import Code, RuleViolation
from core.models import TransitionLog
from missions import doctor_file
from missions.models import Doctor
from notifications.models import Message
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls) -> tuple[list, list[Exception]]:
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list[Exception] = []

    def worker(call):
        try:
            barrier.wait(timeout=30)
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_the_cdom_answering_twice_at_once_records_one_answer(zone, ars_staff):
    applicant = f.DoctorFactory(submitted=True, uninsured=True, zones=[zone])
    token = doctor_file.cdom_token(applicant)
    results, errors = run_together(
        [
            lambda: doctor_file.record_cdom_decision(applicant, authorised=True, token=token),
            lambda: doctor_file.record_cdom_decision(applicant, authorised=False, reason="Non inscrit", token=token),
            lambda: doctor_file.record_cdom_decision(applicant, authorised=True, by=ars_staff),
        ]
    )
    applicant.refresh_from_db()
    logs = TransitionLog.objects.of(applicant).filter(act__startswith="cdom_")
    # An authorisation may follow a refusal (the CDOM changes its mind), never the other way round.
    assert all(isinstance(e, RuleViolation) and e.code == Code.INVALID_TRANSITION for e in errors), errors
    assert len(results) == logs.count() and 1 <= logs.count() <= 2
    assert logs.last().to_state == applicant.cdom_status
    assert Message.objects.filter(kind="cdom_decided").count() == logs.count()


def test_the_same_number_recorded_twice_at_once_is_told_once(doctor, cpam_agent):
    results, errors = run_together([lambda: record_billing_number(doctor, number="631234567", by=cpam_agent)] * 3)
    assert errors == []
    assert Doctor.objects.get(pk=doctor.pk).billing_number_status == "recorded"
    assert TransitionLog.objects.of(doctor).filter(act="record_billing_number").count() == 1
    assert Message.objects.filter(kind="billing_number_recorded").count() == 1
