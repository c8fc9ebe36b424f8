"""Every list endpoint runs a constant number of queries whatever the page holds: 3 rows or 30, same count.

The budget of each list is its count with 3 rows, token authentication included (1 query: token and user; then
the person's scope — accounts.authority, one UNION query: every list now asks it, zones and sites included —, the
role checks a list needs, the page's COUNT and the page itself, prefetches included, and, for a list that shows
doctors' identities to someone other than the doctor, one INSERT into the access log); the 30-row page may not
exceed the count measured with 3 rows.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from missions.models import Booking
from tests import factories as f
from tests.api.conftest import client_for, in_days


@dataclass
class Scene:
    zone: Any
    site: Any
    doctor: Any
    site_member: Any
    ars_staff: Any
    cpam_agent: Any


@pytest.fixture
def scene(zone, site, doctor, site_member, ars_staff, cpam_agent):
    return Scene(zone, site, doctor, site_member, ars_staff, cpam_agent)


def _bookings(s: Scene, start: int, stop: int) -> None:
    for i in range(start, stop):
        status = [Booking.Status.REQUESTED, Booking.Status.CONFIRMED][i % 2]
        f.BookingFactory(doctor=s.doctor, slot=f.SlotFactory(site=s.site, date=in_days(1 + i)), status=status)


def _slots(s: Scene, start: int, stop: int) -> None:
    for i in range(start, stop):
        slot = f.SlotFactory(site=f.HostSiteFactory(zone=s.zone), date=in_days(1 + i), capacity=2)
        f.BookingFactory(slot=slot)


def _available(s: Scene, start: int, stop: int) -> None:
    for _ in range(start, stop):
        f.AvailabilityFactory(doctor=f.DoctorFactory(zones=[s.zone]), date=in_days(12))


# name: (persona, url, params, builder(scene, start, stop), budget)
LISTS = {
    "zones": ("doctor", "/api/v1/zones/", {}, lambda s, a, b: f.ZoneFactory.create_batch(b - a), 4),
    "sites": (
        "doctor",
        "/api/v1/sites/",
        {},
        lambda s, a, b: f.HostSiteFactory.create_batch(b - a, zone=s.zone),
        4,
    ),
    # The page and its count in one statement (missions/api/slot_search.py): 3.
    "slots": ("doctor", "/api/v1/slots/", {"available": "true"}, _slots, 3),
    "slots (site member)": ("site_member", "/api/v1/slots/", {}, _slots, 3),
    "doctors": (
        "ars_staff",
        "/api/v1/doctors/",
        {},
        lambda s, a, b: [f.DoctorFactory(zones=[s.zone, f.ZoneFactory()]) for _ in range(b - a)],
        6,
    ),
    "bookings (doctor)": ("doctor", "/api/v1/bookings/", {}, _bookings, 4),
    "bookings (site)": ("site_member", "/api/v1/bookings/", {"status": ["requested", "confirmed"]}, _bookings, 5),
    "bookings (cpam)": ("cpam_agent", "/api/v1/bookings/", {"date_after": in_days(0).isoformat()}, _bookings, 5),
    "bookings (ars)": ("ars_staff", "/api/v1/bookings/", {}, _bookings, 5),
    "availability (own)": (
        "doctor",
        "/api/v1/availability/",
        {},
        lambda s, a, b: [f.AvailabilityFactory(doctor=s.doctor, date=in_days(1 + i)) for i in range(a, b)],
        5,
    ),
    "availability (search)": (
        "site_member",
        "/api/v1/availability/",
        {"zone": "ZONE", "date": in_days(12).isoformat()},
        _available,
        7,
    ),
    "coverage": (
        "ars_staff",
        "/api/v1/coverage/",
        {"month": f"{in_days(0):%Y-%m}"},
        lambda s, a, b: f.ZoneFactory.create_batch(b - a),
        6,
    ),
}


def _rows_before(name: str, s: Scene) -> int:
    """Rows the scene already shows in that list (one zone, one site, one doctor...)."""
    return {"zones": 1, "sites": 1, "doctors": 1, "coverage": 1}.get(name, 0)


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(name, scene, django_assert_max_num_queries):
    persona, url, params, build, budget = LISTS[name]
    params = {k: (scene.zone.pk if v == "ZONE" else v) for k, v in params.items()}
    client = client_for(getattr(scene, persona) if persona != "doctor" else scene.doctor.user)
    base = _rows_before(name, scene)

    build(scene, 0, 3)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == base + 3
    assert len(three) <= budget, [q["sql"] for q in three.captured_queries]

    build(scene, 3, 30)
    with django_assert_max_num_queries(len(three)):
        response = client.get(url, params)
    assert response.json()["count"] == base + 30
    assert len(response.json()["results"]) == base + 30
