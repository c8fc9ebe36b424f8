"""Suspension and withdrawal have consequences (issue #15, item 6; DESIGN §4): the doctor's future bookings are
cancelled through the booking lifecycle — wherever they are —, the sites and the doctor are told, nothing is
confirmable afterwards, and reinstatement does not bring them back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Code, RuleViolation
from core.models import TransitionLog
from missions import services
from missions.models import Booking, Doctor
from notifications.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db


def in_days(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def days(doctor, site, other_zone):
    """A requested and a confirmed day ahead in region A, one ahead in region B, one attested in the past."""
    elsewhere = f.HostSiteFactory(zone=other_zone)
    return {
        "requested": f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(5))),
        "confirmed": f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(12)), confirmed=True),
        "elsewhere": f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=elsewhere, date=in_days(20))),
        "past": f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-3)), completed=True),
    }


def statuses(days):
    return {name: Booking.objects.get(pk=b.pk).status for name, b in days.items()}


def test_suspension_cancels_every_future_booking_and_tells_the_parties(doctor, ars_staff, days, site):
    services.suspend_doctor(doctor, by=ars_staff, reason="Contrôle en cours")

    assert statuses(days) == {
        "requested": "cancelled",
        "confirmed": "cancelled",
        "elsewhere": "cancelled",  # in another region: the decision on the doctor reaches it
        "past": "completed",  # an attested day stays what it was (and is paid)
    }
    cancelled = Booking.objects.filter(pk__in=[days[k].pk for k in ("requested", "confirmed", "elsewhere")])
    assert not cancelled.filter(late_cancellation=True).exists()
    assert set(cancelled.values_list("cancelled_by", flat=True)) == {ars_staff.pk}
    told = set(Message.objects.filter(kind="booking_cancelled").values_list("recipient", flat=True))
    assert doctor.user.email in told
    assert site.contact_email in told
    logged = TransitionLog.objects.filter(object_type="missions.booking", act="cancel")
    assert logged.count() == 3


def test_withdrawal_cancels_the_same_way(doctor, days):
    services.withdraw_doctor(doctor, by=doctor.user, reason="Je quitte la mission")
    assert statuses(days)["elsewhere"] == "cancelled"
    assert statuses(days)["past"] == "completed"


def test_a_suspended_doctors_open_request_is_not_confirmable(doctor, site, site_member, ars_staff):
    """A request that escaped the cancellation (written in a race with the suspension) is still refused."""
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(8)))
    Doctor.objects.filter(pk=doctor.pk).update(status=Doctor.Status.SUSPENDED)
    with pytest.raises(RuleViolation) as refused:
        services.confirm_booking(booking, by=site_member)
    assert refused.value.code == Code.DOCTOR_NOT_VALIDATED
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_reinstatement_does_not_bring_the_bookings_back(doctor, ars_staff, days):
    services.suspend_doctor(doctor, by=ars_staff, reason="Contrôle en cours")
    services.reinstate_doctor(doctor, by=ars_staff)
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED
    assert statuses(days)["confirmed"] == "cancelled"


def test_the_other_regions_agent_still_cannot_suspend(doctor, site, ars_other_region):
    """A doctor with nothing in region B (zones, practice, bookings) is not B's to suspend."""
    from core.errors import NotAllowed

    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(5)))
    with pytest.raises(NotAllowed):
        services.suspend_doctor(doctor, by=ars_other_region, reason="x")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
