"""GET /api/v1/coverage/?month=YYYY-MM: per active zone, target and doctor-days requested, confirmed, completed."""

import pytest

from missions.models import Booking
from tests import factories as f
from tests.api.conftest import client_for, in_days, results


@pytest.mark.django_db
def test_coverage_counts_days_per_zone_and_status(ars_staff, zone, site):
    day = in_days(10)
    month = f"{day:%Y-%m}"
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day))
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day, period="morning"), status=Booking.Status.CONFIRMED)
    elsewhere = f.HostSiteFactory(zone=zone)
    f.BookingFactory(slot=f.SlotFactory(site=elsewhere, date=day), status=Booking.Status.CANCELLED)
    quiet = f.ZoneFactory(target_days_per_month=4)
    f.ZoneFactory(active=False)

    rows = results(client_for(ars_staff).get("/api/v1/coverage/", {"month": month}))

    by_zone = {row["zone"]: row for row in rows}
    assert set(by_zone) == {zone.pk, quiet.pk}
    assert by_zone[zone.pk] == {
        "zone": zone.pk,
        "zone_name": zone.name,
        "month": month,
        "target_days": "8.0",
        "requested_days": "1.0",
        "confirmed_days": "0.5",
        "completed_days": "0.0",
        "consultations": 0,
    }
    assert by_zone[quiet.pk]["target_days"] == "4.0"
    assert by_zone[quiet.pk]["requested_days"] == "0.0"


@pytest.mark.django_db
def test_the_month_defaults_to_this_one_and_must_be_well_formed(ars_staff, zone):
    client = client_for(ars_staff)
    assert results(client.get("/api/v1/coverage/"))[0]["month"] == f"{in_days(0):%Y-%m}"
    bad = client.get("/api/v1/coverage/", {"month": "2025-13"})
    assert bad.status_code == 400
    assert bad.json() == {"month": ["Mois attendu au format AAAA-MM, par exemple 2025-10."]}


@pytest.mark.django_db
def test_coverage_is_paged(ars_staff, zone):
    f.ZoneFactory.create_batch(3)
    page = client_for(ars_staff).get("/api/v1/coverage/", {"page_size": 2}).json()
    assert page["count"] == 4
    assert len(page["results"]) == 2
    assert page["next"]
