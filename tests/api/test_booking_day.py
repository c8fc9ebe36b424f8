"""Issue 15 through the API: the zone rule's 409, the replacement named per booking (who reads it), the
consultations attested in the coverage."""

from datetime import timedelta

import pytest

from missions.models import Booking
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.api.conftest import client_for, in_days, results

pytestmark = pytest.mark.django_db

URL = "/api/v1/bookings/"
REMPLACANT_RPPS = with_luhn_key("1987654321")


def test_booking_outside_the_declared_zones_is_a_409_zone_not_covered(doctor):
    slot = f.SlotFactory(date=in_days(20))
    response = client_for(doctor.user).post(URL, {"slot": slot.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "zone_not_covered"
    assert "/medecin/mon-dossier/" in response.json()["detail"]


def test_a_declared_replacement_is_required_then_recorded(zone, site):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    slot = f.SlotFactory(site=site, date=in_days(20))
    client = client_for(doctor.user)

    missing = client.post(URL, {"slot": slot.pk}, format="json")
    assert missing.status_code == 409 and missing.json()["code"] == "replacement_required"

    bad = client.post(
        URL,
        {
            "slot": slot.pk,
            "replacement_name": "Claire Martin",
            "replacement_rpps": "123",
            "derogation_requested_on": None,
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "11 chiffres" in bad.json()["replacement_rpps"][0]
    assert "dérogation" in bad.json()["derogation_requested_on"][0]

    asked = (in_days(0) - timedelta(days=2)).isoformat()
    ok = client.post(
        URL,
        {
            "slot": slot.pk,
            "replacement_name": "Claire Martin",
            "replacement_rpps": REMPLACANT_RPPS,
            "derogation_requested_on": asked,
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["replacement_rpps"] == REMPLACANT_RPPS
    assert ok.json()["derogation_requested_on"] == asked
    assert Booking.objects.get().replacement_name == "Claire Martin"


def test_a_replacement_without_a_declared_one_is_a_409(doctor, site):
    slot = f.SlotFactory(site=site, date=in_days(20))
    response = client_for(doctor.user).post(
        URL,
        {
            "slot": slot.pk,
            "replacement_name": "Claire Martin",
            "replacement_rpps": REMPLACANT_RPPS,
            "derogation_requested_on": in_days(-1).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "replacement_not_declared"


def test_ars_staff_read_the_replacement_the_host_site_does_not(zone, site, site_member, ars_staff):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    booking = f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=in_days(20)),
        replacement_name="Claire Martin",
        replacement_rpps=REMPLACANT_RPPS,
        derogation_requested_on=in_days(-5),
    )
    seen = {
        who: client_for(user).get(f"{URL}{booking.pk}/").json()
        for who, user in {"ars": ars_staff, "site": site_member, "doctor": doctor.user}.items()
    }
    assert seen["ars"]["replacement_rpps"] == REMPLACANT_RPPS == seen["doctor"]["replacement_rpps"]
    assert seen["ars"]["replacement_name"] == "Claire Martin"
    assert seen["site"]["replacement_rpps"] == "" and seen["site"]["replacement_name"] == ""
    assert seen["site"]["derogation_requested_on"] is None
    listed = results(client_for(ars_staff).get(URL))
    assert listed[0]["replacement_name"] == "Claire Martin"


def test_coverage_totals_the_consultations_attested_per_zone(ars_staff, zone, site):
    day = in_days(-3)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day), completed=True, consultations=12)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day, period="morning"), completed=True, consultations=5)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day, period="afternoon"), no_show=True)
    rows = results(client_for(ars_staff).get("/api/v1/coverage/", {"month": f"{day:%Y-%m}"}))
    [row] = [row for row in rows if row["zone"] == zone.pk]
    assert row["consultations"] == 17
    assert row["completed_days"] == "1.5"
