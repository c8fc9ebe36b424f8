"""Public pages: the mission, its zones and host sites with their next open days; everything served locally."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from missions.models import Booking
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def test_home_explains_the_mission_lists_zones_and_ways_in(client, site):
    f.ZoneFactory(name="Zone fermée", active=False)
    response = client.get("/")
    assert response.status_code == 200
    text = text_of(response)
    assert "deux jours par mois" in text
    assert site.zone.name in text
    assert "Zone fermée" not in text
    for way_in in ["Médecin volontaire", "Lieu d'accueil", "Caisse primaire (CPAM)", "Équipe ARS"]:
        assert way_in in text
    assert 'href="/medecin/inscription/"' in response.content.decode()


def test_public_sites_show_the_next_open_days_with_remaining_places(client, site, doctor):
    today = timezone.localdate()
    half_full = f.SlotFactory(site=site, date=today + timedelta(days=3), capacity=2)
    f.BookingFactory(slot=half_full, doctor=doctor, status=Booking.Status.CONFIRMED)
    full = f.SlotFactory(site=site, date=today + timedelta(days=4), capacity=1)
    f.BookingFactory(slot=full, status=Booking.Status.REQUESTED)
    for days in (5, 6, 7):
        f.SlotFactory(site=site, date=today + timedelta(days=days))

    text = text_of(client.get("/lieux/"))

    assert site.name in text
    shown = [today + timedelta(days=d) for d in (3, 5, 6)]  # the first three open days; the full one skipped
    for day in shown:
        assert f"{date_format(day, 'D j M')} — journée — 1 place" in text
    for day in (today + timedelta(days=4), today + timedelta(days=7)):
        assert date_format(day, "D j M") not in text


def test_pages_pull_nothing_from_another_origin(client, site):
    for url in ["/", "/lieux/", "/compte/connexion/", "/medecin/inscription/", "/compte/mot-de-passe/oublie/"]:
        html = client.get(url).content.decode()
        assert "https://" not in html, url
        assets = re.findall(r'<(?:link|script)[^>]+(?:href|src)="([^"]+)"', html)
        assert assets and all(a.startswith("/static/") for a in assets), (url, assets)


def test_static_assets_are_served_by_the_application(client):
    for path in [
        "/static/dsfr/dist/dsfr/dsfr.min.css",
        "/static/dsfr/dist/dsfr/dsfr.module.min.js",
        "/static/css/app.css",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_public_sites_filter_by_department(client, site):
    elsewhere = f.HostSiteFactory(name="Lieu d'ailleurs")
    chosen = client.get("/lieux/", {"departement": site.zone.department.code})
    text = text_of(chosen)
    assert site.name in text and "Lieu d'ailleurs" not in text
    assert f'<option value="{elsewhere.zone.department.code}">' in chosen.content.decode()
    assert "Lieu d'ailleurs" in text_of(client.get("/lieux/"))
