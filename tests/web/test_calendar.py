"""The personal iCal feed: secret URL, events in Paris time with their VTIMEZONE, revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from missions.models import Booking
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def test_the_feed_lists_active_bookings_with_paris_times(client, doctor, site):
    day = timezone.localdate() + timedelta(days=10)
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=day, period="afternoon"))
    f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=day + timedelta(days=1), period="full_day"),
        status=Booking.Status.CONFIRMED,
    )
    f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=day + timedelta(days=2), period="morning"),
        status=Booking.Status.CANCELLED,
    )
    response = client.get(f"/calendrier/{doctor.ical_token}.ics")  # no login: the token is the key
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VTIMEZONE" in body and "TZID:Europe/Paris" in body
    assert f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T133000" in body
    assert f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T180000" in body

    calendar = Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["status"]) for e in events] == ["TENTATIVE", "CONFIRMED"]  # the cancelled one is left out
    assert events[0].decoded("dtstart").hour == 13 and events[0].decoded("dtstart").minute == 30
    assert events[1].decoded("dtstart").hour == 8 and events[1].decoded("dtend").hour == 18
    assert site.name in str(events[1]["summary"])
    assert all(e.decoded("dtstart").tzinfo is not None for e in events)


def test_the_calendar_page_gives_the_url_and_revocation_replaces_it(doctor_client, doctor, client):
    old_url = f"/calendrier/{doctor.ical_token}.ics"
    page = doctor_client.get("/medecin/calendrier/").content.decode()
    assert f"http://testserver{old_url}" in page and f"webcal://testserver{old_url}" in page

    response = doctor_client.post("/medecin/calendrier/renouveler/", follow=True)
    doctor.refresh_from_db()
    new_url = f"/calendrier/{doctor.ical_token}.ics"
    assert new_url != old_url
    assert "l'ancien ne fonctionne plus" in text_of(response)
    assert new_url in response.content.decode()
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_an_unknown_token_is_not_found(client, db):
    assert client.get("/calendrier/pas-un-vrai-jeton.ics").status_code == 404


def test_the_feed_holds_the_token_owners_bookings_only(client, doctor, other_doctor, site):
    day = timezone.localdate() + timedelta(days=10)
    mine = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=day, capacity=2))
    theirs = f.BookingFactory(doctor=other_doctor, slot=mine.slot)

    body = client.get(f"/calendrier/{doctor.ical_token}.ics").content.decode()

    assert f"booking-{mine.pk}@" in body and body.count("BEGIN:VEVENT") == 1
    assert f"booking-{theirs.pk}@" not in body and other_doctor.last_name not in body
