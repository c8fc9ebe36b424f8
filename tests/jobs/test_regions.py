"""Jobs that alert ARS staff tell each region's staff about that region's items only (issue #12): the weekly digest,
the unconfirmed-booking alert, the overdue attestation, the CPS-card follow-up. Region A is the `zone` fixture's
(its staff: `ars_staff`), region B the `other_zone` fixture's (its staff: `ars_other_region`); a staff account
without a region and a superuser without a membership receive none of them."""

from datetime import timedelta

import pytest

from missions.jobs import (
    run_attestation_reminders,
    run_confirmation_reminders,
    run_coverage_digest,
    run_cps_followup,
)
from missions.models import Booking, Doctor
from notifications.models import Message
from tests import factories as f
from tests.jobs.conftest import at, recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(ars_staff, ars_other_region, staff_without_region, superuser):
    return {"A": ars_staff, "B": ars_other_region}


def test_the_digest_of_each_region_goes_to_its_staff_and_names_its_zones_only(staff, zone, other_zone, today):
    a_applicant = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[zone])
    monday = today - timedelta(days=today.weekday())

    run_coverage_digest(now=at(monday, 7))

    by_recipient = {m.recipient: m.body_text for m in Message.objects.filter(kind="coverage_digest")}
    assert set(by_recipient) == {staff["A"].email, staff["B"].email}
    a_text, b_text = by_recipient[staff["A"].email], by_recipient[staff["B"].email]
    assert zone.name in a_text and other_zone.name not in a_text
    assert other_zone.name in b_text and zone.name not in b_text
    assert "en attente de validation : 1" in a_text and "en attente de validation : 0" in b_text
    assert a_applicant.last_name not in b_text


def test_an_unconfirmed_booking_alerts_its_regions_staff_only(staff, make_booking, today):
    make_booking(today + timedelta(days=1), status=Booking.Status.REQUESTED)

    run_confirmation_reminders(now=at(today, 7))

    assert recipients("booking_unconfirmed_alert") == [staff["A"].email]


def test_an_overdue_attestation_alerts_its_regions_staff_only(staff, make_booking, today):
    make_booking(today - timedelta(days=8), status=Booking.Status.CONFIRMED)

    run_attestation_reminders(now=at(today, 10))

    assert recipients("attestation_overdue") == [staff["A"].email]


def test_the_cps_follow_up_tells_the_staff_of_the_doctors_region_only(staff, other_zone, today):
    commune = f.CommuneFactory(department=other_zone.department)
    f.DoctorFactory(practice_commune=commune, validated_at=at(today - timedelta(days=21), 15))

    run_cps_followup(now=at(today, 10))

    assert recipients("cps_followup_ars") == [staff["B"].email]
