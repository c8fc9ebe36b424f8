"""The ARS dashboard: coverage per zone and month (table, badges, chart) and the lists that need attention."""

import re
from datetime import UTC, date, datetime, timedelta
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


# The lists' rows as the template wrote them before the view built them (issue #20, round 3): the same markup,
# whitespace between tags aside.
AWAITING_ROW = """{% for doctor, rpps_check in awaiting_checked %}
            <tr>
              <td>Dr {{ doctor.full_name }}<br><span class="fr-text--xs">{{ doctor.specialty }}</span></td>
              <td>{{ doctor.rpps }}</td>
              <td class="rpps-check"><p class="fr-badge fr-badge--sm fr-badge--{{ rpps_check.badge }}">{{ rpps_check.headline }}</p>{% for problem in rpps_check.problems %}<br><span class="fr-text--xs">{{ problem }}</span>{% endfor %}</td>
              <td>{{ doctor.practice_commune.name }}</td>
              <td>{{ doctor.submitted_at|date:"j F Y" }}</td>
              <td>{% if admin_doctors %}
                <a class="fr-link" href="{{ admin_doctors }}{{ doctor.pk }}/change/" aria-label="Examiner le dossier du Dr {{ doctor.full_name }}">Examiner</a>
                <ul class="fr-btns-group fr-btns-group--sm fr-btns-group--inline fr-mt-1w">
                  <li><a class="fr-btn fr-btn--sm" href="{{ admin_doctors }}{{ doctor.pk }}/dossier/valider/" aria-label="Valider le dossier du Dr {{ doctor.full_name }}">Valider</a></li>
                  <li><a class="fr-btn fr-btn--sm fr-btn--secondary" href="{{ admin_doctors }}{{ doctor.pk }}/dossier/refuser/" aria-label="Refuser le dossier du Dr {{ doctor.full_name }}">Refuser</a></li>
                </ul>
              {% endif %}</td>
            </tr>
          {% endfor %}"""
UNCONFIRMED_ROW = """{% for booking in bookings %}
            <tr>
              <td>{{ booking.date|date:"l j F Y" }}</td>
              <td>{{ booking.slot.site.name }}</td>
              <td>Dr {{ booking.doctor.full_name }}</td>
              <td>{% if admin_bookings %}<a class="fr-link" href="{{ admin_bookings }}{{ booking.pk }}/change/" aria-label="Voir la réservation du Dr {{ booking.doctor.full_name }} le {{ booking.date|date:'j F Y' }}">Voir</a>{% endif %}</td>
            </tr>
          {% endfor %}"""
LATE_ROW = """{% for booking in bookings %}
            <tr>
              <td>{{ booking.date|date:"l j F Y" }}</td>
              <td>{{ booking.slot.site.name }}</td>
              <td>Dr {{ booking.doctor.full_name }}</td>
              <td>{{ booking.cancelled_at|date:"j F Y à H:i" }}</td>
              <td>{{ booking.reason }}</td>
              <td>{% if admin_bookings %}<a class="fr-link" href="{{ admin_bookings }}{{ booking.pk }}/change/" aria-label="Voir la réservation annulée du Dr {{ booking.doctor.full_name }}">Voir</a>{% endif %}</td>
            </tr>
          {% endfor %}"""


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("admin_url", ["/admin/missions/x/", None])
def test_the_lists_rows_read_as_the_template_wrote_them(admin_url):
    """Built by the view for speed: same text, escaping, local dates and links as the template wrote them, for
    awkward names, RPPS problems, dates of every month and weekday, and a cancellation at midnight in
    Paris (23:30 UTC the day before; summer time begins that night)."""
    from directory.check import RppsCheck
    from missions.views.ars import awaiting_rows_html, late_rows_html, unconfirmed_rows_html
    from sites.models import Commune, HostSite, Slot

    checks = [
        RppsCheck(loaded=False),
        RppsCheck(loaded=True, found=False),
        RppsCheck(
            loaded=True,
            found=True,
            is_doctor=True,
            directory_name="O'Brien & <Co>",
            directory_specialties=("Pédiatrie", "Gériatrie & soins"),
        ),
    ]
    doctors, bookings = [], []
    for n in range(12):
        doctor = Doctor(
            pk=1000 + n,
            first_name=["Zoé", "Jean-Pierre", "Ana <b>"][n % 3],
            last_name=["D'Arc & fils", "Müller", 'Le "Grand"'][n % 3],
            specialty="Médecine générale & <urgences>",
            rpps=f"1000000000{n:02d}",
            submitted_at=datetime(2026, n + 1, 28 - n, 23, 15, tzinfo=UTC) if n != 5 else None,
        )
        doctor.practice_commune = Commune(name="Saint-Jean-d'Angély & <Bas>")
        doctors.append(doctor)
        slot = Slot(date=date(2026, n + 1, 1 + 2 * n), site=HostSite(name="Maison de santé « L'Orée » & <Cie>"))
        booking = Booking(
            pk=5000 + n,
            date=slot.date,
            doctor=doctor,
            reason="Enfant malade <urgence> & fièvre",
            cancelled_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
            if n == 2
            else datetime(2026, 7, n + 1, 8, 5, tzinfo=UTC),
        )
        booking.slot = slot
        bookings.append(booking)
    checked = [(doctor, checks[n % 3]) for n, doctor in enumerate(doctors)]
    with translation.override("fr"), timezone.override("Europe/Paris"):
        expected = {
            "awaiting": Template(AWAITING_ROW).render(
                Context({"awaiting_checked": checked, "admin_doctors": admin_url})
            ),
            "unconfirmed": Template(UNCONFIRMED_ROW).render(
                Context({"bookings": bookings, "admin_bookings": admin_url})
            ),
            "late": Template(LATE_ROW).render(Context({"bookings": bookings, "admin_bookings": admin_url})),
        }
        built = {
            "awaiting": awaiting_rows_html(checked, admin_url),
            "unconfirmed": unconfirmed_rows_html(bookings, admin_url),
            "late": late_rows_html(bookings, admin_url),
        }
    for name in expected:
        assert _tight(built[name]) == _tight(expected[name]), name
    assert "29 mars 2026 à 00:30" in built["late"]  # local time, as the filter wrote it
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in built["awaiting"]
