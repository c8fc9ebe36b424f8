"""The doctor's file page carries its decisions as buttons; each opens a confirmation page, then runs the service
(missions.services through the DOCTOR lifecycle): validate, reject with a reason, suspend, reinstate."""

import pytest
from django.urls import reverse

from missions.models import Doctor
from notifications.models import Message
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def act_url(doctor, verb):
    return reverse("admin:missions_doctor_file_act", args=[doctor.pk, verb])


@pytest.fixture
def console(client, ars_staff):
    client.force_login(ars_staff)
    return client


def test_a_submitted_file_offers_validate_and_reject_then_validates_after_confirmation(console, zone):
    doctor = f.DoctorFactory(submitted=True, zones=[zone], practice_commune__department=zone.department)
    page = console.get(reverse("admin:missions_doctor_change", args=[doctor.pk])).content.decode()
    assert act_url(doctor, "valider") in page and act_url(doctor, "refuser") in page
    assert act_url(doctor, "suspendre") not in page
    confirm = text_of(console.get(act_url(doctor, "valider")))
    assert "le CDOM et la CPAM de rattachement sont prévenus" in confirm
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED  # the page only asks
    response = console.post(act_url(doctor, "valider"), follow=True)
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED
    assert "Dossier validé" in text_of(response)
    assert Message.objects.filter(kind="doctor_validated").exists()


def test_rejecting_needs_a_reason(console, zone):
    doctor = f.DoctorFactory(submitted=True, zones=[zone])
    refused = console.post(act_url(doctor, "refuser"), {"reason": ""})
    assert refused.status_code == 200 and "error-summary" in refused.content.decode()
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED
    console.post(act_url(doctor, "refuser"), {"reason": "Assurance RCP manquante"})
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.REJECTED and doctor.status_reason == "Assurance RCP manquante"


def test_suspend_then_reinstate(console, zone):
    doctor = f.DoctorFactory(zones=[zone])
    page = console.get(reverse("admin:missions_doctor_change", args=[doctor.pk])).content.decode()
    assert act_url(doctor, "suspendre") in page and act_url(doctor, "valider") not in page
    console.post(act_url(doctor, "suspendre"), {"reason": "Contrôle"})
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUSPENDED
    console.post(act_url(doctor, "reintegrer"))
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED


def test_an_act_the_state_refuses_changes_nothing_and_says_why(console, zone):
    doctor = f.DoctorFactory(zones=[zone])
    response = console.post(act_url(doctor, "valider"), follow=True)
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED
    assert response.status_code == 200 and "messagelist" in response.content.decode()


def test_another_regions_doctor_is_a_404(client, ars_other_region, zone):
    doctor = f.DoctorFactory(submitted=True, zones=[zone])
    client.force_login(ars_other_region)
    assert client.get(act_url(doctor, "valider")).status_code == 404
    assert client.post(act_url(doctor, "valider")).status_code == 404
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED


def test_an_unknown_act_is_a_404_and_other_people_get_no_door(client, zone, site_member):
    doctor = f.DoctorFactory(submitted=True, zones=[zone])
    client.force_login(site_member)
    assert client.post(act_url(doctor, "valider")).status_code in (302, 404)
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED
