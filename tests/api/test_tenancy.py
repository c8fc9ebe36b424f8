"""Region tenancy of the lists (issue #12): an ARS agent of region B listing doctors, bookings, statements, slots,
zones, sites, coverage or available doctors — through the API or the pages — sees none of region A's objects, and
region A's agent none of region B's; a superuser sees both, a staff account without a region neither.

Objects are named by region: `a_…` lie in region A (the `zone` fixture, Auvergne-Rhône-Alpes), `b_…` in region B
(the `other_zone` fixture, Bretagne). The permission matrix (test_permission_matrix.py) holds the single objects.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from billing.models import Statement
from billing.services import generate_statement, issue_statement
from missions.models import Booking, Doctor
from tests import factories as f
from tests.api.conftest import client_for, in_days

OCTOBER_2025 = datetime.date(2025, 10, 1)
pytestmark = pytest.mark.django_db


@dataclass
class Region:
    zone: Any
    site: Any
    slot: Any
    doctor: Any
    applicant: Any
    booking: Any
    statement: Any


def _region(zone, superuser) -> Region:
    """A zone's world: a site, an open slot, a validated doctor of the zone (practising in its department) with a
    booking and an issued statement of their CPAM, an applicant awaiting validation."""
    site = f.HostSiteFactory(zone=zone)
    commune = f.CommuneFactory(department=zone.department)
    doctor = f.DoctorFactory(zones=[zone], practice_commune=commune)
    applicant = f.DoctorFactory(
        zones=[zone], practice_commune=commune, status=Doctor.Status.SUBMITTED, validated_at=None
    )
    slot = f.SlotFactory(site=site, date=in_days(20), capacity=2)
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(3)))
    f.FlatRateFactory(valid_from=datetime.date(2025, 1, 1))
    worked = f.SlotFactory(site=site, date=OCTOBER_2025.replace(day=7))
    f.BookingFactory(doctor=doctor, slot=worked, status=Booking.Status.COMPLETED, consultations=8)
    cpam = f.CpamFactory(department=zone.department)
    statement = issue_statement(generate_statement(cpam, OCTOBER_2025, by=superuser), by=superuser)
    return Region(zone, site, slot, doctor, applicant, booking, statement)


@pytest.fixture
def regions(zone, other_zone, superuser):
    return _region(zone, superuser), _region(other_zone, superuser)


def _ids(user, url: str, params: dict | None = None, key: str = "id") -> set[int]:
    response = client_for(user).get(url, params or {})
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


# list name → (url, params, the objects of a region it lists, the key of a row)
LISTS = {
    "doctors": ("/api/v1/doctors/", {}, lambda r: {r.doctor.pk, r.applicant.pk}, "id"),
    "bookings": ("/api/v1/bookings/", {}, lambda r: {r.booking.pk}, "id"),
    "statements": ("/api/v1/statements/", {}, lambda r: {r.statement.pk}, "id"),
    "slots": ("/api/v1/slots/", {"date_after": in_days(0).isoformat()}, lambda r: {r.slot.pk}, "id"),
    "zones": ("/api/v1/zones/", {}, lambda r: {r.zone.pk}, "id"),
    "sites": ("/api/v1/sites/", {}, lambda r: {r.site.pk}, "id"),
    "coverage": ("/api/v1/coverage/", {}, lambda r: {r.zone.pk}, "zone"),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_each_agent_lists_their_region_only(name, regions, ars_staff, ars_other_region, superuser):
    url, params, of, key = LISTS[name]
    a, b = regions
    seen_by_a, seen_by_b = _ids(ars_staff, url, params, key), _ids(ars_other_region, url, params, key)

    assert of(a) <= seen_by_a and not (of(b) & seen_by_a)
    assert of(b) <= seen_by_b and not (of(a) & seen_by_b)
    assert of(a) | of(b) <= _ids(superuser, url, params, key)


@pytest.mark.parametrize("name", list(LISTS))
def test_a_staff_account_without_region_lists_nothing(name, regions, staff_without_region):
    url, params, _, key = LISTS[name]
    response = client_for(staff_without_region).get(url, params)
    # Refused (403) where the list is the ARS's; otherwise nothing of either region.
    assert response.status_code == 403 or not response.json()["results"], response.content


def test_available_doctors_are_searched_within_the_agents_zones(regions, ars_other_region):
    a, b = regions
    for region in (a, b):
        f.AvailabilityFactory(doctor=region.doctor, date=in_days(12))
    client = client_for(ars_other_region)

    own = client.get("/api/v1/availability/", {"zone": b.zone.pk, "date": in_days(12).isoformat()})
    other = client.get("/api/v1/availability/", {"zone": a.zone.pk, "date": in_days(12).isoformat()})

    assert [row["doctor"] for row in own.json()["results"]] == [b.doctor.pk]
    assert other.status_code == 404


def test_statements_are_generated_for_the_agents_cpams_only(regions, ars_other_region):
    a, b = regions
    november = datetime.date(2025, 11, 1)
    for region in (a, b):
        day = f.SlotFactory(site=region.site, date=november.replace(day=5))
        f.BookingFactory(doctor=region.doctor, slot=day, status=Booking.Status.COMPLETED, consultations=5)

    response = client_for(ars_other_region).post("/api/v1/statements/generate/", {"month": "2025-11"})

    assert response.status_code == 200, response.content
    made = Statement.objects.filter(month=november)
    assert set(made.values_list("cpam__department__region_id", flat=True)) == {b.zone.department.region_id}
    assert {row["id"] for row in response.json()["statements"]} == set(made.values_list("pk", flat=True))


# --- the pages -------------------------------------------------------------------------------------------------


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_dashboard_shows_the_agents_region_only(client, regions, ars_other_region):
    a, b = regions
    html = _page(client, ars_other_region, "/ars/")
    assert b.zone.name in html and b.applicant.last_name in html
    assert a.zone.name not in html and a.applicant.last_name not in html
    assert a.booking.doctor.last_name not in html


def test_the_cpam_space_of_an_agent_shows_their_regions_statements_and_doctors_only(client, regions, ars_other_region):
    a, b = regions
    home = _page(client, ars_other_region, "/cpam/")
    assert f"/cpam/releves/{b.statement.pk}/" in home and f"/cpam/releves/{a.statement.pk}/" not in home
    numbers = _page(client, ars_other_region, "/cpam/numeros/")
    assert f"/cpam/numeros/{b.doctor.pk}/" in numbers and f"/cpam/numeros/{a.doctor.pk}/" not in numbers


def test_a_staff_account_without_region_is_told_why_it_sees_nothing(client, regions, staff_without_region):
    a, _ = regions
    client.force_login(staff_without_region)
    response = client.get("/ars/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Aucune région ne vous est attribuée" in html and a.zone.name not in html
    assert client.get("/cpam/").status_code == 403
