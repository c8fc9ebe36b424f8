"""Each page runs a bounded number of queries on the demo data set (DESIGN.md §8: no N+1 anywhere).

One test, one seeding (seeding is the slow part): every page of every space, with its budget.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from missions.models import Availability, Booking
from sites.models import Slot

# (url, budget). A budget counts everything a request does: session, user, the page's own reads. They are the
# counts measured on the demo data: a page that starts querying per row overshoots at once. The host-site pages and
# the ARS dashboard read the person's scope (accounts.authority: one UNION query) for their sites and regions; the
# dashboard also writes one row to the access log (it names doctors).
PUBLIC = [
    ("/", 1),
    ("/lieux/", 5),
    ("/compte/connexion/", 0),
    ("/medecin/inscription/", 2),
    ("/communes/recherche/?q=Sain", 1),
]
DOCTOR = [
    ("/medecin/", 5),
    ("/medecin/creneaux/", 8),
    ("/medecin/missions/", 6),
    ("/medecin/gains/", 5),
    ("/medecin/disponibilites/", 4),
    ("/medecin/calendrier/", 3),
]
HOST = [
    ("/lieu/", 8),
    ("/lieu/reservations/", 6),
    ("/lieu/attestations/", 7),
    ("/lieu/creneaux/publier/", 4),
]
ARS = [("/ars/", 13)]  # 10, the RPPS directory in force, the installation panel's leads, the files at each step


# The demo is built around « today »: a fixed day makes what it lists the same on every run (the suite runs on any
# day), and the doctor visited is the demo's busiest rather than whoever medecin-1 happens to be.
FROZEN_NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def demo(db, settings):
    with time_machine.travel(FROZEN_NOW, tick=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield


def busiest_doctor() -> User:
    """The validated doctor of the demo with the most bookings: the doctor's pages have something to list."""
    return (
        User.objects.filter(doctor__status="validated")
        .annotate(bookings=Count("doctor__bookings"))
        .order_by("-bookings", "pk")
        .first()
    )


def visit(client, url, budget, django_assert_max_num_queries):
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200, url
    return response


def test_every_page_stays_within_its_query_budget(client, demo, django_assert_max_num_queries):
    for url, budget in PUBLIC:
        visit(client, url, budget, django_assert_max_num_queries)

    doctor_user = busiest_doctor()
    assert Booking.objects.filter(doctor__user=doctor_user).count() > 3  # the pages have something to list
    client.force_login(doctor_user)
    for url, budget in DOCTOR:
        visit(client, url, budget, django_assert_max_num_queries)
    # The feed: the doctor, the bookings, the CPAM of their sites' departments (the practical pack).
    visit(client, f"/calendrier/{doctor_user.doctor.ical_token}.ics", 3, django_assert_max_num_queries)
    # One mission day (session, user, doctor, the scope, the booking, its site's CPAM) and the booking page of an
    # open slot of the doctor's zones (session, user, doctor, the scope, the slot, its site's CPAM).
    booking = Booking.objects.filter(doctor__user=doctor_user).first()
    visit(client, f"/medecin/missions/{booking.pk}/", 6, django_assert_max_num_queries)
    open_slot = Slot.objects.filter(zone__in=doctor_user.doctor.zones.all(), date__gt=timezone.localdate()).first()
    visit(client, f"/medecin/creneaux/{open_slot.pk}/reserver/", 6, django_assert_max_num_queries)

    site_user = User.objects.get(email="lieu-1@demo.fr")
    client.force_login(site_user)
    for url, budget in HOST:
        visit(client, url, budget, django_assert_max_num_queries)
    # A slot with doctors available that day: the page lists them and who was already invited.
    slot = Slot.objects.filter(site__memberships__user=site_user, date__gte=timezone.localdate()).first()
    for doctor_id in Booking.objects.filter(zone=slot.zone).values_list("doctor_id", flat=True).distinct()[:5]:
        Availability.objects.get_or_create(doctor_id=doctor_id, date=slot.date, period="full_day")
    page = visit(client, f"/lieu/creneaux/{slot.pk}/", 8, django_assert_max_num_queries)  # 7 + the scope
    assert "Médecins disponibles ce jour-là" in page.content.decode()

    client.force_login(User.objects.get(email="ars@demo.fr"))
    for url, budget in ARS:
        visit(client, url, budget, django_assert_max_num_queries)
