"""Zones, host sites and slots through the API: shapes, filters, what is visible, publishing and closing."""

import pytest

from missions.models import Booking
from notifications.models import Message
from sites.models import Slot
from tests import factories as f
from tests.api.conftest import client_for, in_days, results


@pytest.mark.django_db
def test_zones_and_sites_have_the_contract_fields(doctor, site, zone):
    client = client_for(doctor.user)
    assert results(client.get("/api/v1/zones/")) == [
        {
            "id": zone.pk,
            "siren": zone.siren,
            "name": zone.name,
            "department": zone.department.code,
            "active": True,
            "target_days_per_month": 8,
        }
    ]
    row = results(client.get("/api/v1/sites/", {"zone": zone.pk}))[0]
    assert row == {
        "id": site.pk,
        "name": site.name,
        "kind": "maison_de_sante",
        "zone": zone.pk,
        "commune": site.commune.insee_code,
        "commune_name": site.commune.name,
        "address": site.address,
        "finess": None,
    }
    assert results(client.get("/api/v1/sites/", {"zone": f.ZoneFactory().pk})) == []


@pytest.mark.django_db
def test_inactive_sites_are_not_listed(doctor, site):
    site.active = False
    site.save()
    client = client_for(doctor.user)
    assert results(client.get("/api/v1/sites/")) == []
    assert client.get(f"/api/v1/sites/{site.pk}/").status_code == 404


@pytest.mark.django_db
def test_slots_show_their_remaining_places(doctor, other_doctor, site):
    slot = f.SlotFactory(site=site, capacity=3)
    f.BookingFactory(slot=slot, doctor=other_doctor)
    f.BookingFactory(slot=slot, status=Booking.Status.CANCELLED)
    row = client_for(doctor.user).get(f"/api/v1/slots/{slot.pk}/").json()
    assert {k: row[k] for k in ("id", "site", "zone", "date", "period", "capacity", "remaining")} == {
        "id": slot.pk,
        "site": site.pk,
        "zone": site.zone_id,
        "date": slot.date.isoformat(),
        "period": "full_day",
        "capacity": 3,
        "remaining": 2,
    }


@pytest.mark.django_db
def test_available_true_keeps_open_future_slots_with_a_place(doctor, site, zone):
    bookable = f.SlotFactory(site=site, date=in_days(5))
    full = f.SlotFactory(site=site, date=in_days(6))
    f.BookingFactory(slot=full)
    past = f.SlotFactory(site=site, date=in_days(-3))
    closed = f.SlotFactory(site=site, date=in_days(7), status=Slot.Status.CLOSED)
    client = client_for(doctor.user)

    assert [s["id"] for s in results(client.get("/api/v1/slots/", {"available": "true"}))] == [bookable.pk]
    # A doctor sees open slots only (the closed one belongs to the site's own view).
    assert {s["id"] for s in results(client.get("/api/v1/slots/", {"available": "false"}))} == {full.pk, past.pk}
    assert closed.pk not in {s["id"] for s in results(client.get("/api/v1/slots/"))}


@pytest.mark.django_db
def test_slot_filters_zone_site_and_dates(doctor, site, other_site):
    here = f.SlotFactory(site=site, date=in_days(5))
    there = f.SlotFactory(site=other_site, date=in_days(9))
    elsewhere = f.SlotFactory(date=in_days(9))
    client = client_for(doctor.user)

    def ids(**params):
        return [s["id"] for s in results(client.get("/api/v1/slots/", params))]

    assert ids(zone=site.zone_id) == [here.pk, there.pk]
    assert ids(site=other_site.pk) == [there.pk]
    assert ids(date_after=in_days(6).isoformat(), date_before=in_days(10).isoformat()) == [there.pk, elsewhere.pk]
    assert client.get("/api/v1/slots/", {"zone": "abc"}).status_code == 400


@pytest.mark.django_db
def test_a_site_sees_its_own_closed_slots_others_do_not(site_member, other_site_member, site):
    closed = f.SlotFactory(site=site, status=Slot.Status.CLOSED)
    assert client_for(site_member).get(f"/api/v1/slots/{closed.pk}/").status_code == 200
    assert client_for(other_site_member).get(f"/api/v1/slots/{closed.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_site_member_publishes_a_slot(site_member, site):
    response = client_for(site_member).post(
        "/api/v1/slots/", {"site": site.pk, "date": in_days(21).isoformat(), "period": "afternoon", "capacity": 2}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["remaining"] == 2
    assert body["zone"] == site.zone_id
    assert Slot.objects.get(pk=body["id"]).created_by == site_member


@pytest.mark.django_db
def test_publishing_refusals(site_member, site):
    client = client_for(site_member)
    past = client.post("/api/v1/slots/", {"site": site.pk, "date": in_days(-1).isoformat()})
    assert past.status_code == 409
    assert past.json()["code"] == "date_in_past"
    bad = client.post("/api/v1/slots/", {"site": site.pk, "date": in_days(3).isoformat(), "capacity": 0})
    assert bad.status_code == 400
    assert list(bad.json()) == ["capacity"]
    malformed = client.post("/api/v1/slots/", {"site": site.pk, "date": "31/12/2030", "period": "soir"})
    assert malformed.status_code == 400
    assert set(malformed.json()) == {"date", "period"}


@pytest.mark.django_db
def test_closing_a_slot_cancels_its_bookings_and_tells_the_doctors(site_member, doctor, site):
    slot = f.SlotFactory(site=site, capacity=2)
    booking = f.BookingFactory(slot=slot, doctor=doctor)
    client = client_for(site_member)

    missing = client.post(f"/api/v1/slots/{slot.pk}/close/", {})
    assert missing.status_code == 400
    assert list(missing.json()) == ["reason"]

    response = client.post(f"/api/v1/slots/{slot.pk}/close/", {"reason": "Fermeture exceptionnelle"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["cancelled_bookings"] == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Message.objects.filter(kind="slot_closed", recipient=doctor.user.email).exists()
    again = client.post(f"/api/v1/slots/{slot.pk}/close/", {"reason": "Encore"})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


@pytest.mark.django_db
def test_the_written_out_slot_representation_is_drf_s_own(doctor, other_doctor, site, other_site):
    """SlotSerializer writes its fields out by hand for speed: it must say exactly what DRF's generic path says,
    field for field, types included, and cover every declared field."""
    from rest_framework import serializers

    from missions.api.slots import SlotSerializer, slots_for_api

    full = f.SlotFactory(site=site, capacity=2, note="Salle 2 — « accès PMR »")
    f.BookingFactory(slot=full, doctor=other_doctor)
    f.SlotFactory(site=other_site, period="morning", date=in_days(9), status=Slot.Status.CLOSED)
    slots = list(slots_for_api(Slot.objects.all()).order_by("pk"))

    fast = SlotSerializer(slots, many=True).data
    generic = [serializers.ModelSerializer.to_representation(SlotSerializer(), slot) for slot in slots]
    assert [dict(row) for row in fast] == [dict(row) for row in generic]
    assert [list(row) for row in fast] == [SlotSerializer.Meta.fields] * len(slots)
    assert [type(v) for v in fast[0].values()] == [type(v) for v in generic[0].values()]


@pytest.mark.django_db
def test_an_unknown_zone_lists_no_slot(doctor, site):
    f.SlotFactory(site=site)
    assert results(client_for(doctor.user).get("/api/v1/slots/", {"zone": site.zone_id + 1000})) == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1.2e+70", "1e400", "2.5", "0", str(2**63)])
@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/api/v1/slots/?zone={}", "doctor"),
        ("/api/v1/slots/?site={}", "doctor"),
        ("/api/v1/bookings/?site={}", "doctor"),
        ("/api/v1/statements/?cpam={}", "cpam_agent"),
    ],
)
def test_an_identifier_the_database_cannot_hold_is_a_field_error(request, url, who, value):
    """Found by the API fuzzer: a filter by id must answer 400 with its field, never a 500."""
    user = request.getfixturevalue(who)
    response = client_for(getattr(user, "user", user)).get(url.format(value))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [url.split("?")[1].split("=")[0]]
