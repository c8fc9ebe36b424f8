"""Doctors (ARS review, /me/) and availability (a doctor's own; who is available, for sites and ARS)."""

import pytest

from missions.models import Availability, Doctor
from notifications.models import Message
from tests import factories as f
from tests.api.conftest import client_for, in_days, results


@pytest.mark.django_db
def test_ars_staff_review_applications(ars_staff, zone):
    applicant = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[zone])
    f.DoctorFactory(zones=[zone])
    client = client_for(ars_staff)

    listed = results(client.get("/api/v1/doctors/", {"status": "submitted"}))
    assert [d["id"] for d in listed] == [applicant.pk]
    assert listed[0]["zones"] == [zone.pk]

    validated = client.post(f"/api/v1/doctors/{applicant.pk}/validate/")
    assert validated.status_code == 200
    assert validated.json()["status"] == "validated"
    assert Message.objects.filter(kind="doctor_validated", recipient=applicant.user.email).exists()
    again = client.post(f"/api/v1/doctors/{applicant.pk}/validate/")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"

    suspended = client.post(f"/api/v1/doctors/{applicant.pk}/suspend/", {"reason": "Carte CPS expirée"})
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "Carte CPS expirée"
    assert client.post(f"/api/v1/doctors/{applicant.pk}/reinstate/").json()["status"] == "validated"


@pytest.mark.django_db
def test_rejecting_needs_a_reason(ars_staff, zone):
    applicant = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None)
    client = client_for(ars_staff)
    assert client.post(f"/api/v1/doctors/{applicant.pk}/reject/", {}).json() == {
        "reason": ["Indiquez le motif du refus : il est communiqué au médecin."]
    }
    rejected = client.post(f"/api/v1/doctors/{applicant.pk}/reject/", {"reason": "RPPS inconnu"})
    assert rejected.json()["status"] == "rejected"


@pytest.mark.django_db
def test_a_doctor_reads_their_own_file(doctor, other_doctor):
    me = client_for(doctor.user).get("/api/v1/doctors/me/").json()
    assert me["id"] == doctor.pk
    assert me["rpps"] == doctor.rpps
    assert client_for(doctor.user).get(f"/api/v1/doctors/{other_doctor.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_doctor_declares_lists_and_removes_availability(doctor, other_doctor):
    client = client_for(doctor.user)
    created = client.post("/api/v1/availability/", {"date": in_days(9).isoformat(), "period": "morning"})
    assert created.status_code == 201
    assert created.json()["period"] == "morning"
    f.AvailabilityFactory(doctor=other_doctor, date=in_days(9))

    assert [a["id"] for a in results(client.get("/api/v1/availability/"))] == [created.json()["id"]]
    past = client.post("/api/v1/availability/", {"date": in_days(-2).isoformat()})
    assert past.status_code == 409
    assert past.json()["code"] == "date_in_past"

    assert client.delete(f"/api/v1/availability/{created.json()['id']}/").status_code == 204
    assert not Availability.objects.filter(doctor=doctor).exists()


@pytest.mark.django_db
def test_sites_and_ars_find_the_doctors_available_that_day(site_member, ars_staff, doctor, other_doctor, site, zone):
    day = in_days(12)
    f.AvailabilityFactory(doctor=doctor, date=day, period="morning")
    f.AvailabilityFactory(doctor=other_doctor, date=day)
    f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(date=day))  # busy that day: not offered
    f.AvailabilityFactory(doctor=f.DoctorFactory(zones=[f.ZoneFactory()]), date=day)  # another zone
    f.AvailabilityFactory(doctor=f.DoctorFactory(status=Doctor.Status.SUSPENDED, zones=[zone]), date=day)

    for user in (site_member, ars_staff):
        rows = results(client_for(user).get("/api/v1/availability/", {"zone": zone.pk, "date": day.isoformat()}))
        assert rows == [
            {
                "doctor": doctor.pk,
                "name": doctor.full_name,
                "specialty": doctor.specialty,
                "date": day.isoformat(),
                "period": "morning",
            }
        ]


@pytest.mark.django_db
def test_the_availability_search_needs_a_zone_and_a_date_and_a_site_of_that_zone(site_member, zone):
    client = client_for(site_member)
    assert set(client.get("/api/v1/availability/", {"zone": zone.pk}).json()) == {"date"}
    elsewhere = client.get("/api/v1/availability/", {"zone": f.ZoneFactory().pk, "date": in_days(3).isoformat()})
    assert elsewhere.status_code == 403
