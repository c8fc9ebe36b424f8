"""The slot search's one-statement path (missions/api/slot_search.py) answers exactly what DRF's generic list
answers: same status, same body (fields, order, count, pagination links, errors), for every persona and a spread
of filters and pages over varied data — and it is the path that answers, in one query after the person's."""

import itertools
from datetime import datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from missions.api import slot_search
from missions.api.slots import SlotViewSet
from missions.models import Booking
from sites.models import Period, Slot
from tests import factories as f
from tests.api.conftest import client_for, in_days


@pytest.fixture
def catalogue(zone, other_zone, site, other_site, doctor):
    """Two regions; open and closed slots, past, today and ahead, every period, full and free, an inactive site,
    notes with characters JSON escapes."""
    inactive = f.HostSiteFactory(zone=zone, active=False)
    far = f.HostSiteFactory(zone=other_zone)
    sites = [site, other_site, inactive, far]
    days = [-3, 0, 1, 5, 14, 40]
    periods = [Period.FULL_DAY, Period.MORNING, Period.AFTERNOON]
    slots = []
    for n, (where, day, period) in enumerate(itertools.product(sites, days, periods)):
        if n % 4 == 3:
            continue
        closed = n % 7 == 0
        slots.append(
            f.SlotFactory(
                site=where,
                date=in_days(day),
                period=period,
                capacity=1 + n % 3,
                status=Slot.Status.CLOSED if closed else Slot.Status.OPEN,
                note="" if n % 2 else f'Salle {n} — « accès » "PMR" \\ {n}',
            )
        )
    statuses = [Booking.Status.REQUESTED, Booking.Status.CONFIRMED, Booking.Status.CANCELLED]
    for n, slot in enumerate(slots[::2]):
        for k in range(n % 3):  # one doctor a booking: a doctor holds one active booking a day
            booker = doctor if (n, k) == (0, 0) else f.DoctorFactory(zones=[slot.zone])
            f.BookingFactory(slot=slot, doctor=booker, status=statuses[(n + k) % 3])
    return slots


def _questions(zone, other_zone, site) -> list[dict]:
    month_start, month_end = in_days(0).replace(day=1), in_days(45)
    return [
        {},
        {"available": "true"},
        {"available": "false"},
        {"zone": zone.pk},
        {"zone": zone.pk, "available": "true"},
        {"zone": other_zone.pk, "available": "true"},
        {"zone": zone.pk, "date_after": month_start, "date_before": month_end, "available": "true"},
        {"zone": zone.pk, "date_after": in_days(1)},
        {"date_before": in_days(5)},
        {"site": site.pk, "period": "morning"},
        {"status": "closed"},
        {"status": "open", "available": "false", "zone": zone.pk},
        {"zone": zone.pk + 10_000},
        {"available": "true", "page_size": 3},
        {"available": "true", "page_size": 3, "page": 2},
        {"page_size": 5, "page": 3},
        {"page_size": 5, "page": 999},
        {"page_size": 7, "page": "last"},
        {"page": 0},
        {"page": "deux"},
        {"page_size": 0},
        {"page_size": 500},
        {"page_size": "x", "page": 2},
        {"zone": "abc"},
        {"zone": "1.5"},
        {"zone": 2**70},
        {"date_after": "2026-13-40"},
        {"period": "soir"},
        {"available": "peut-être"},
        {"status": "open", "unknown": "ignored"},
    ]


def _generic(monkeypatch, client, params):
    with monkeypatch.context() as patched:
        patched.setattr(SlotViewSet, "_searched", lambda self, request: None)
        return client.get("/api/v1/slots/", params)


@pytest.mark.django_db
def test_the_one_statement_search_answers_what_the_generic_list_answers(
    catalogue, personas, zone, other_zone, site, monkeypatch
):
    used = []
    page = slot_search.page
    monkeypatch.setattr(slot_search, "page", lambda *a, **k: used.append(1) or page(*a, **k))
    compared = 0
    for name, user in personas.items():
        client = client_for(user)
        for params in _questions(zone, other_zone, site):
            fast = client.get("/api/v1/slots/", params)
            generic = _generic(monkeypatch, client, params)
            assert (fast.status_code, fast.content) == (generic.status_code, generic.content), (name, params)
            compared += fast.status_code == 200 and len(fast.json()["results"]) > 0
    assert compared > 100  # most questions had rows to compare, not only errors and empty pages
    # and the one-statement path answered them (not the generic one it falls back to): 9 signed-in personas × 22
    # questions that reach the page (the others: 400s, page=last, page 0 or « deux »)
    assert len(used) == 198


@pytest.mark.django_db
def test_a_question_is_one_query_after_the_person_s(catalogue, doctor):
    client = client_for(doctor.user)
    client.get("/api/v1/slots/", {"available": "true"})  # the shape's statement compiled: once per process a day
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/slots/", {"available": "true", "page_size": 2, "page": 2})
    body = response.json()
    assert body["count"] > 4 and len(body["results"]) == 2
    assert body["next"] == "http://testserver/api/v1/slots/?available=true&page=3&page_size=2"
    assert body["previous"] == "http://testserver/api/v1/slots/?available=true&page_size=2"  # page 1: no page=
    # the token and its user, the person's scope, the page with its total
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]
    assert "OVER ()" in queries.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_available_follows_the_day_even_with_the_statement_kept(doctor, site, monkeypatch):
    """`available` compares with today: a statement compiled yesterday is not reused today."""
    today = f.SlotFactory(site=site, date=in_days(0))
    ahead = f.SlotFactory(site=site, date=in_days(1))
    client = client_for(doctor.user)
    ids = [s["id"] for s in client.get("/api/v1/slots/", {"available": "true"}).json()["results"]]
    assert ids == [today.pk, ahead.pk]
    noon_tomorrow = timezone.make_aware(datetime.combine(in_days(1), time(12)))
    with time_machine.travel(noon_tomorrow, tick=False):
        fast = client.get("/api/v1/slots/", {"available": "true"})
        assert [s["id"] for s in fast.json()["results"]] == [ahead.pk]
        assert fast.content == _generic(monkeypatch, client, {"available": "true"}).content


@pytest.mark.django_db
def test_a_shape_that_does_not_template_is_answered_by_the_generic_path(doctor, site, monkeypatch, caplog):
    """Were a visibility rule to branch on a value rather than on the shape, the placeholders' compile would read
    differently from the real one: the statement is not kept, and the answer is still right."""
    slot = f.SlotFactory(site=site, date=in_days(3))
    slot_search.forget_statements()
    real_listed = slot_search.listed

    def value_dependent(scope, cleaned, *, listed_slots):
        qs = real_listed(scope, cleaned, listed_slots=listed_slots)
        return qs.filter(pk__gte=0) if scope.doctor_id and scope.doctor_id > 0 else qs

    monkeypatch.setattr(slot_search, "listed", value_dependent)
    response = client_for(doctor.user).get("/api/v1/slots/", {"zone": site.zone_id})
    assert [s["id"] for s in response.json()["results"]] == [slot.pk]
    assert "does not template" in caplog.text
    slot_search.forget_statements()


@pytest.mark.django_db
def test_a_date_range_bound_is_the_day_in_paris(doctor, site):
    """django-filter gives the bounds as aware datetimes; the date column reads them as Paris days."""
    first = f.SlotFactory(site=site, date=in_days(2))
    f.SlotFactory(site=site, date=in_days(3))
    day = in_days(2)
    body = client_for(doctor.user).get("/api/v1/slots/", {"date_after": day, "date_before": day}).json()
    assert [s["id"] for s in body["results"]] == [first.pk] and body["count"] == 1
    assert body["results"][0]["date"] == day.isoformat()
