"""The whole mission through the API only: a doctor registers, ARS staff validate, a site publishes a slot, the
doctor books it, the site confirms, the day comes, the site attests, and the coverage shows the completed day."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.api.conftest import in_days, otp_code


def token_client(email: str, password: str, **extra) -> APIClient:
    response = APIClient().post("/api/v1/auth/token/", {"email": email, "password": password, **extra})
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.mark.django_db
def test_register_validate_publish_book_confirm_attest_coverage(zone, site, site_member, ars_staff, monkeypatch):
    # 1. A volunteer registers (public endpoint).
    password = "Un-mot-de-passe-solide-2025"
    registered = APIClient().post(
        "/api/v1/doctors/",
        {
            "email": "jeanne.volontaire@exemple.fr",
            "password": password,
            "first_name": "Jeanne",
            "last_name": "Volontaire",
            "rpps": with_luhn_key("8100000777"),
            "specialty": "Médecine générale",
            "sector": "1",
            "practice_commune": f.CommuneFactory().insee_code,
            "phone": "0600000001",
            "zones": [zone.pk],
        },
    )
    assert registered.status_code == 201, registered.content
    assert registered.json()["status"] == "submitted"
    doctor_id = registered.json()["id"]
    doctor = token_client("jeanne.volontaire@exemple.fr", password)
    assert doctor.get("/api/v1/doctors/me/").json()["status"] == "submitted"
    # The RCP insurance, which the validation requires (issue #15).
    insured = doctor.patch(
        "/api/v1/doctors/me/",
        {"insurer": "MACSF", "insurance_contract": "RCP-1", "insurance_covers_sites": True},
        format="json",
    )
    assert insured.json()["insurance_status"] == "declared"

    # 2. ARS staff (with their second factor) find the application and validate it.
    ars = token_client(ars_staff.email, f.PASSWORD, otp_token=otp_code(ars_staff))
    pending = ars.get("/api/v1/doctors/", {"status": "submitted"}).json()["results"]
    assert [d["id"] for d in pending] == [doctor_id]
    assert ars.post(f"/api/v1/doctors/{doctor_id}/validate/").json()["status"] == "validated"

    # 3. The site publishes a slot.
    site_client = token_client(site_member.email, f.PASSWORD)
    day = in_days(7)
    slot = site_client.post("/api/v1/slots/", {"site": site.pk, "date": day.isoformat(), "period": "full_day"})
    assert slot.status_code == 201, slot.content
    slot_id = slot.json()["id"]

    # 4. The doctor finds it among the available slots of the zone and books it.
    found = doctor.get("/api/v1/slots/", {"zone": zone.pk, "available": "true"}).json()["results"]
    assert [s["id"] for s in found] == [slot_id]
    booking = doctor.post("/api/v1/bookings/", {"slot": slot_id}, HTTP_IDEMPOTENCY_KEY="e2e-1")
    assert booking.status_code == 201, booking.content
    assert booking.json()["status"] == "requested"
    booking_id = booking.json()["id"]
    assert doctor.get("/api/v1/slots/", {"zone": zone.pk, "available": "true"}).json()["results"] == []

    # 5. The site confirms.
    assert site_client.post(f"/api/v1/bookings/{booking_id}/confirm/").json()["status"] == "confirmed"

    # 6. The day comes; the site attests that the doctor came.
    the_day = timezone.make_aware(datetime.datetime.combine(day, datetime.time(18, 30)))
    monkeypatch.setattr(timezone, "now", lambda: the_day)
    attested = site_client.post(f"/api/v1/bookings/{booking_id}/attest/", {"attended": True, "consultations": 17})
    assert attested.status_code == 200, attested.content
    assert attested.json()["status"] == "completed"

    # 7. The coverage of that month shows the completed day.
    rows = ars.get("/api/v1/coverage/", {"month": f"{day:%Y-%m}"}).json()["results"]
    [row] = [r for r in rows if r["zone"] == zone.pk]
    assert row["completed_days"] == "1.0"
    assert row["requested_days"] == row["confirmed_days"] == "0.0"

    # And the doctor sees their mission done.
    mine = doctor.get("/api/v1/bookings/", {"status": "completed"}).json()["results"]
    assert [b["id"] for b in mine] == [booking_id]
