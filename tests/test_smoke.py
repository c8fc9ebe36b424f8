"""Smoke tests of `make run`'s data path, on whichever database the suite runs on (SQLite by default,
PostgreSQL when DATABASE_URL points at it, as in CI): reference data, demo data, then the front doors answer."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import Cpam, FlatRate
from missions.models import Booking, Doctor
from operations.demo import DEMO_PASSWORD, current_demo_code
from sites.models import Commune, Department, Epci, HostSite, Region, Slot, Zone

pytestmark = pytest.mark.django_db

REFERENCE = [Region, Department, Epci, Commune, Zone, HostSite, Cpam, FlatRate]


def test_loading_the_reference_data_twice_leaves_the_same_row_counts():
    call_command("load_reference_data")
    first = {model.__name__: model.objects.count() for model in REFERENCE}
    call_command("load_reference_data")
    second = {model.__name__: model.objects.count() for model in REFERENCE}

    assert first == second
    assert second["Commune"] == 4025
    assert second["Department"] == 12
    assert second["Region"] == 1


@pytest.fixture
def demo(db):
    call_command("load_reference_data")
    call_command("seed_demo")


def test_after_seeding_the_front_doors_answer(demo, client):
    assert Doctor.objects.count() == 60
    assert Booking.objects.filter(status=Booking.Status.COMPLETED).exists()
    assert Slot.objects.filter(site__in=HostSite.objects.all()).count() > 100

    # The admin login page, then the ARS console with the printed demo login and its second factor.
    assert client.get(reverse("admin:login")).status_code == 200
    response = client.post(
        reverse("admin:login"), {"username": "ars@demo.fr", "password": DEMO_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    code, _ = current_demo_code()
    response = client.post(reverse("security:otp_verify"), {"otp_token": code, "next": "/admin/"})
    assert response.status_code == 302, response.content.decode()[:1000]
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:missions_booking_changelist")).status_code == 200

    # The public home page.
    client.logout()
    assert client.get("/").status_code == 200


def test_after_seeding_the_api_root_answers_a_demo_login(demo, client):
    """The FOUNDATION issue asks for an API root at /api/v1/ (a list of the resources) that answers 200."""
    token = client.post(
        "/api/v1/auth/token/",
        {"email": "medecin-1@demo.fr", "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200, token.content.decode()[:1000]

    response = client.get("/api/v1/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    assert response.status_code == 200
