"""Notifications billing sends when missions validates a doctor or confirms a booking (through the outbox)."""

import datetime

import pytest

from billing.receivers import tell_cdom_and_cpam
from missions.models import Doctor
from missions.services import book_slot, confirm_booking, validate_doctor
from notifications.models import Message
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def recipients(kind: str) -> set[str]:
    return set(Message.objects.filter(kind=kind).values_list("recipient", flat=True))


@pytest.fixture
def applicant(zone):
    return f.DoctorFactory(zones=[zone], status=Doctor.Status.SUBMITTED, validated_at=None)


def test_validation_tells_the_cdom_and_the_cpam(applicant, ars_staff):
    cpam = f.CpamFactory(department=applicant.practice_department)
    agent = f.CpamMembershipFactory(cpam=cpam).user

    validate_doctor(applicant, by=ars_staff)

    assert recipients("doctor_validated_cdom") == {applicant.cdom_department.cdom_email}
    assert recipients("doctor_validated_cpam") == {cpam.email, agent.email}
    message = Message.objects.get(kind="doctor_validated_cpam", recipient=cpam.email)
    assert applicant.rpps in message.subject
    assert "numéro d'Assurance Maladie dédié" in message.body_text
    assert "/cpam/numeros/" in message.body_text and "/cpam/numeros/" in message.body_html
    cdom = Message.objects.get(kind="doctor_validated_cdom")
    assert applicant.last_name in cdom.body_text and "autoriser" in cdom.body_text


def test_validation_messages_are_not_enqueued_twice(applicant, ars_staff):
    f.CpamFactory(department=applicant.practice_department)
    validate_doctor(applicant, by=ars_staff)
    count = Message.objects.count()

    # The receiver runs again for the same doctor (a retried transition): nothing new.
    tell_cdom_and_cpam(sender=Doctor, doctor=applicant, by=ars_staff)
    assert Message.objects.count() == count


def test_validation_without_a_cpam_on_file_still_tells_the_cdom(applicant, ars_staff):
    validate_doctor(applicant, by=ars_staff)
    assert recipients("doctor_validated_cdom") == {applicant.cdom_department.cdom_email}
    assert recipients("doctor_validated_cpam") == set()


def test_first_confirmed_booking_at_a_site_tells_the_sites_cpam_once(doctor, site, site_member):
    site_cpam = f.CpamFactory(department=site.commune.department)
    first = book_slot(doctor=doctor, slot=f.SlotFactory(site=site), by=doctor.user)
    confirm_booking(first, by=site_member)

    [message] = Message.objects.filter(kind="first_booking_cpam")
    assert message.recipient == site_cpam.email
    assert site.name in message.subject and f"{first.date:%d/%m/%Y}" in message.subject
    assert doctor.rpps in message.body_text and "pas encore attribué" in message.body_text

    later_slot = f.SlotFactory(site=site, date=first.date + datetime.timedelta(days=1))
    second = book_slot(doctor=doctor, slot=later_slot, by=doctor.user)
    confirm_booking(second, by=site_member)
    assert Message.objects.filter(kind="first_booking_cpam").count() == 1


def test_first_booking_at_another_site_is_news_again(doctor, site, other_site, site_member, ars_staff):
    f.CpamFactory(department=site.commune.department)
    confirm_booking(book_slot(doctor=doctor, slot=f.SlotFactory(site=site), by=doctor.user), by=site_member)
    elsewhere = f.SlotFactory(site=other_site, date=f.paris_today() + datetime.timedelta(days=20))
    confirm_booking(book_slot(doctor=doctor, slot=elsewhere, by=doctor.user), by=ars_staff)

    assert Message.objects.filter(kind="first_booking_cpam").count() == 2
