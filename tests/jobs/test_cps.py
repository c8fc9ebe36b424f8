"""CPS-card follow-up: 21 days after validation, when no receipt of the card is recorded; once."""

from datetime import timedelta

import pytest

from missions.jobs import run_cps_followup
from missions.models import Doctor
from tests import factories as f
from tests.jobs.conftest import at, messages, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def validated(zone, today):
    """A doctor validated `days` days ago (at 15:00), practising in `zone`'s department."""

    def build(days: int, **fields) -> Doctor:
        commune = f.CommuneFactory(department=zone.department)
        return f.DoctorFactory(practice_commune=commune, validated_at=at(today - timedelta(days=days), 15), **fields)

    return build


def test_21_days_after_validation_doctor_and_ars_are_told(validated, ars_staff, now):
    doctor = validated(21)

    report = run_cps_followup(now=now)

    assert report.claimed == 1
    assert messages() == sorted([("cps_followup", doctor.user.email), ("cps_followup_ars", ars_staff.email)])
    doctor.refresh_from_db()
    assert doctor.cps_followup_sent_at == now


def test_not_before_21_days(validated, ars_staff, now):
    validated(20)

    assert run_cps_followup(now=now).claimed == 0


def test_sent_once(validated, ars_staff, now):
    doctor = validated(30)

    run_cps_followup(now=now)
    second = run_cps_followup(now=now + timedelta(days=1))

    assert second.claimed == 0
    assert recipients("cps_followup") == [doctor.user.email]


def test_a_recorded_card_makes_it_moot(validated, ars_staff, now, today):
    validated(25, cps_card_received_on=today - timedelta(days=2))

    assert run_cps_followup(now=now).claimed == 0
    assert messages() == []


@pytest.mark.parametrize("status", [Doctor.Status.SUSPENDED, Doctor.Status.WITHDRAWN])
def test_a_doctor_no_longer_validated_is_moot(validated, ars_staff, now, status):
    validated(25, status=status)

    assert run_cps_followup(now=now).claimed == 0


def test_dry_run_writes_nothing(validated, ars_staff, now):
    doctor = validated(21)

    report = run_cps_followup(now=now, dry_run=True)

    assert (report.claimed, report.messages) == (1, 2)
    assert messages() == []
    doctor.refresh_from_db()
    assert doctor.cps_followup_sent_at is None
