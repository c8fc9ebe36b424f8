"""The ARS dashboard: coverage per zone and month (table, badges, chart) and the lists that need attention."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from missions.models import Booking, Doctor
from missions.views.ars import french_days
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def first_of_next_month():
    return (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)


def test_coverage_of_each_zone_for_six_months_with_status_badges(ars_client, zone, site):
    day = first_of_next_month() + timedelta(days=9)
    slot = f.SlotFactory(site=site, date=day, capacity=3)
    for status in (Booking.Status.REQUESTED, Booking.Status.CONFIRMED, Booking.Status.CONFIRMED):
        f.BookingFactory(slot=slot, status=status)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day, period="morning"), status=Booking.Status.CONFIRMED)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day + timedelta(days=1)), status=Booking.Status.CONFIRMED)
    html = ars_client.get("/ars/").content.decode()

    row = re.search(rf"<th scope=\"row\">{re.escape(zone.name)}.*?</tr>", html, flags=re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
    assert len(cells) == 6  # six months
    current, following = (" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells[:2])
    assert current.startswith("0 / 8")
    assert following == "4,5 / 8 — Insuffisant 1 dem. · 3,5 conf. · 0 eff."
    assert "fr-badge--warning" in cells[1] and "fr-badge--error" in cells[0]
    # The chart is drawn on the server, with a title, a description and a table as its text alternative.
    assert '<svg class="coverage-chart"' in html and 'role="img"' in html
    assert "Total par mois (toutes zones)" in html
    assert date_format(first_of_next_month(), "F Y").capitalize() in html
    # On a phone, the months as a list: the figures in words and a horizontal bar (percent of the largest figure,
    # here the target of 8: booked days stacked completed, confirmed, requested over the target's track).
    month = re.search(
        rf"<li class=\"coverage-bars__month\">\s*<p[^>]*><strong>{date_format(first_of_next_month(), 'F Y').capitalize()}"
        r"</strong>.*?</li>",
        html,
        flags=re.S,
    ).group(0)
    assert "Insuffisant" in month
    assert "Réservés : 4,5 sur un objectif de 8" in month
    assert "Effectués : 0 · confirmés : 3,5 · demandés : 1" in month
    bars = re.findall(r'<rect class="bar-(\w+)" x="([\d.]+)" y="\d+" width="([\d.]+)"', month)
    assert bars == [
        ("target", "0", "100.0"),
        ("completed", "0.0", "0.0"),
        ("confirmed", "0.0", "43.8"),
        ("requested", "43.8", "12.5"),
    ]


def test_a_zone_at_its_target_is_marked_reached(ars_client, zone, site):
    zone.target_days_per_month = 1
    zone.save()
    day = first_of_next_month() + timedelta(days=3)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day), status=Booking.Status.CONFIRMED)
    html = ars_client.get("/ars/").content.decode()
    assert re.search(r'fr-badge--success fr-mb-1v">1 / 1<span class="fr-sr-only"> — Objectif atteint', html)


def test_lists_awaiting_validation_unconfirmed_and_late_cancellations(ars_client, zone, site, doctor):
    waiting = f.DoctorFactory(status=Doctor.Status.SUBMITTED, zones=[zone])
    soon = timezone.localdate() + timedelta(days=2)
    unconfirmed = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=soon))
    later = f.BookingFactory(slot=f.SlotFactory(site=site, date=soon + timedelta(days=20)))
    late = f.BookingFactory(
        slot=f.SlotFactory(site=site, date=soon, period="morning"),
        status=Booking.Status.CANCELLED,
        late_cancellation=True,
        cancelled_at=timezone.now(),
        reason="Enfant malade",
    )
    text = text_of(ars_client.get("/ars/"))
    awaiting = text.split("Médecins en attente de validation", 1)[1].split("Réservations non confirmées", 1)[0]
    assert waiting.rpps in awaiting and doctor.rpps not in awaiting
    pending = text.split("Réservations non confirmées à 3 jours ou moins", 1)[1].split("Annulations tardives", 1)[0]
    assert f"Dr {unconfirmed.doctor.full_name}" in pending and f"Dr {later.doctor.full_name}" not in pending
    assert "Enfant malade" in text and f"Dr {late.doctor.full_name}" in text
    # Dates written as the template's `date` filter writes them (the view formats each distinct date once).
    with translation.override("fr"):
        long_day = Template('{{ d|date:"l j F Y" }}').render(Context({"d": soon}))
        short_day = Template("{{ d|date:'j F Y' }}").render(Context({"d": soon}))
    assert pending.count(long_day) == 1 and text.split("Annulations tardives", 1)[1].count(long_day) >= 1
    assert f"Voir la réservation du Dr {unconfirmed.doctor.full_name} le {short_day}" in ars_client.get(
        "/ars/"
    ).content.decode().replace("&#x27;", "'")


def test_ars_staff_see_their_region_only(ars_client, zone):
    elsewhere = f.ZoneFactory(department=f.DepartmentFactory(region=f.RegionFactory(code="93", name="PACA")))
    text = text_of(ars_client.get("/ars/"))
    assert zone.name in text and elsewhere.name not in text


def test_the_dashboard_is_for_ars_staff_only(doctor_client):
    assert doctor_client.get("/ars/").status_code == 403


@pytest.mark.parametrize(
    "value",
    [Decimal(n) / 2 for n in range(0, 60)] + [Decimal(v) for v in ("8", "8.00", "12.50", "4.25", "4.96", "1234.5")],
)
def test_days_are_written_as_the_template_filter_writes_them_in_french(value):
    """The matrix is built in Python (for speed at national scale): same text as `floatformat:"-1"` in French."""
    with translation.override("fr"):
        assert french_days(value) == Template('{{ v|floatformat:"-1" }}').render(Context({"v": value}))


def test_the_matrix_cell_reads_as_the_template_wrote_it(ars_client, zone, site):
    zone.name = "Vallée d'Aure & Louron <Sud>"  # escaped as the template would
    zone.save()
    html = ars_client.get("/ars/").content.decode()
    assert "Vallée d&#x27;Aure &amp; Louron &lt;Sud&gt;<br>" in html
    assert f'<span class="fr-text--xs">{zone.department.code}</span></th>' in html
    assert '<span class="fr-text--xs">0 dem. · 0 conf. · 0 eff.</span></td>' in html


def test_the_dashboard_costs_the_same_queries_whatever_the_number_of_zones(ars_client, zone, site):
    """Thirteen queries (session, user, second factor, the scope — accounts.authority —, zones, the coverage sums,
    the files waiting at each step, three lists, the RPPS directory in force, the access-log row, the installation
    panel's leads per zone; with a directory loaded, its entries of the listed applications make fourteen), whatever the
    zones, bookings and lists hold: at national scale a region has 260 zones and 35,000 bookings in six months."""
    day = first_of_next_month() + timedelta(days=2)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=day), status=Booking.Status.CONFIRMED)
    with CaptureQueriesContext(connection) as few:
        assert ars_client.get("/ars/").status_code == 200
    for n in range(12):
        other = f.ZoneFactory(department=zone.department)
        slot = f.SlotFactory(site=f.HostSiteFactory(zone=other), date=day + timedelta(days=n % 20))
        f.BookingFactory(slot=slot, status=[Booking.Status.REQUESTED, Booking.Status.COMPLETED][n % 2])
        f.DoctorFactory(status=Doctor.Status.SUBMITTED, zones=[other])
    with CaptureQueriesContext(connection) as many:
        html = ars_client.get("/ars/").content.decode()
    assert len(few) == len(many) <= 13, [q["sql"] for q in many.captured_queries]
    assert html.count('<th scope="row">') >= 13 + 6  # every zone has its line (and each month its total)
