"""Issue 15 on the pages: booking with a remplaçant, the practical pack (booking page, confirmation e-mail, iCal),
the consultations on the ARS dashboard."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from missions import services
from missions.models import Booking
from notifications.models import Message
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db

REMPLACANT_RPPS = with_luhn_key("1987654321")


def in_days(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def packed_site(zone):
    """A town's premises with everything of the pack filled, and the CPAM of its department."""
    site = f.HostSiteFactory(
        zone=zone,
        name="Local communal de Saint-Anthème",
        kind="local_communal",
        address="2 rue de l'Église",
        commune=f.CommuneFactory(department=zone.department, name="Saint-Anthème", postcodes="63660"),
        contact_name="Mme Roux",
        contact_phone="04 73 95 00 00",
        premises_fee=Decimal("15.00"),
        sesam_vitale_reader=True,
        software="Logiciel de la maison de santé",
        lodging_notes="Gîte communal à 200 m.",
    )
    f.CpamFactory(department=zone.department, name="CPAM du Puy-de-Dôme", phone="36 46")
    return site


# --- booking with a remplaçant ---------------------------------------------------------------------------------


def test_a_doctor_with_a_replacement_books_from_the_booking_page(client, zone, packed_site):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    slot = f.SlotFactory(site=packed_site, date=in_days(20))
    client.force_login(doctor.user)

    listing = client.get("/medecin/creneaux/").content.decode()
    assert f'href="/medecin/creneaux/{slot.pk}/reserver/"' in listing  # a link to the page, not a one-click form

    page = text_of(client.get(f"/medecin/creneaux/{slot.pk}/reserver/"))
    assert "Votre remplaçant à votre cabinet ce jour-là" in page and "Informations pratiques" in page

    refused = text_of(
        client.post(
            f"/medecin/creneaux/{slot.pk}/reserver/",
            {"page": "reserver", "replacement_name": "Claire Martin", "replacement_rpps": "19876543210"},
        )
    )
    assert "clé de contrôle" in refused and "Indiquez la date de votre demande de dérogation" in refused
    assert not Booking.objects.exists()

    done = client.post(
        f"/medecin/creneaux/{slot.pk}/reserver/",
        {
            "page": "reserver",
            "replacement_name": "Claire Martin",
            "replacement_rpps": REMPLACANT_RPPS,
            "derogation_requested_on": in_days(-2).isoformat(),
        },
    )
    assert done["Location"] == "/medecin/missions/"
    booking = Booking.objects.get()
    assert (booking.replacement_name, booking.replacement_rpps) == ("Claire Martin", REMPLACANT_RPPS)


def test_the_one_click_booking_of_a_doctor_with_a_replacement_asks_for_it(client, zone, packed_site):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    slot = f.SlotFactory(site=packed_site, date=in_days(20))
    client.force_login(doctor.user)
    page = text_of(client.post(f"/medecin/creneaux/{slot.pk}/reserver/"))
    assert "Réservation impossible" in page and "indiquez le nom et le numéro RPPS de votre remplaçant" in page
    assert not Booking.objects.exists()


def test_booking_outside_ones_zones_says_how_to_add_the_zone(doctor_client, doctor):
    slot = f.SlotFactory(date=in_days(20))
    page = text_of(doctor_client.post(f"/medecin/creneaux/{slot.pk}/reserver/"))
    assert "ne fait pas partie des zones que vous avez déclarées" in page and "/medecin/mon-dossier/" in page


# --- the practical pack ------------------------------------------------------------------------------------------


def test_the_booking_page_shows_the_practical_pack(client, zone, packed_site):
    doctor = f.DoctorFactory(zones=[zone])
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=packed_site, date=in_days(9)), confirmed=True)
    client.force_login(doctor.user)
    response = client.get(f"/medecin/missions/{booking.pk}/")
    html, text = response.content.decode(), text_of(response)
    assert "2 rue de l'Église, 63660 Saint-Anthème" in text
    assert '<a href="tel:+33473950000">04 73 95 00 00</a>' in html
    assert "La commune facture le local : 15 € par jour" in text
    assert "Lecteur de carte Vitale (SESAM-Vitale) sur place" in text and "Logiciel de la maison de santé" in text
    assert "Gîte communal à 200 m." in text
    assert "Questions de facturation sur place : CPAM du Puy-de-Dôme – 36 46" in text
    assert f'href="/medecin/missions/{booking.pk}/annuler/"' in html
    assert f'href="/medecin/missions/{booking.pk}/"' in client.get("/medecin/missions/").content.decode()


def test_a_site_without_fee_or_reader_says_so(doctor_client, doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(9)))
    text = text_of(doctor_client.get(f"/medecin/missions/{booking.pk}/"))
    assert "Local mis à disposition sans frais." in text
    assert "Pas de lecteur de carte Vitale sur place" in text
    assert "coordonnées à demander au lieu d'accueil" in text  # no CPAM recorded for the department


def test_the_confirmation_email_carries_the_pack(zone, packed_site):
    doctor = f.DoctorFactory(zones=[zone])
    member = f.SiteMembershipFactory(site=packed_site).user
    booking = services.book_slot(doctor=doctor, slot=f.SlotFactory(site=packed_site, date=in_days(9)), by=doctor.user)
    services.confirm_booking(booking, by=member)
    message = Message.objects.get(kind="booking_confirmed", recipient=doctor.user.email)
    for text in (message.body_text, message.body_html):
        assert "63660 Saint-Anthème" in text
        assert "15 € par jour" in text
        assert "CPAM du Puy-de-Dôme" in text
        assert f"/medecin/missions/{booking.pk}/" in text
    assert 'href="tel:+33473950000"' in message.body_html


def test_the_ical_event_has_the_full_address_and_the_pack(client, zone, packed_site):
    doctor = f.DoctorFactory(zones=[zone])
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=packed_site, date=in_days(9)), confirmed=True)
    calendar = Calendar.from_ical(client.get(f"/calendrier/{doctor.ical_token}.ics").content)
    [event] = [c for c in calendar.walk("VEVENT")]
    assert str(event["LOCATION"]) == "2 rue de l'Église, 63660 Saint-Anthème"
    description = str(event["DESCRIPTION"])
    assert "Contact sur place : Mme Roux 04 73 95 00 00" in description
    assert "15 € par jour" in description and "Gîte communal" in description
    assert "CPAM du Puy-de-Dôme" in description


def test_another_doctors_booking_page_is_not_found(doctor_client, other_doctor, site):
    booking = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=site, date=in_days(9)))
    assert doctor_client.get(f"/medecin/missions/{booking.pk}/").status_code == 404


# --- what the mission achieves: the dashboard ------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
def test_the_dashboard_totals_the_consultations_of_past_months(ars_client, zone, site):
    f.BookingFactory(slot=f.SlotFactory(site=site, date=date(2026, 11, 10)), completed=True, consultations=14)
    f.BookingFactory(
        slot=f.SlotFactory(site=site, date=date(2026, 11, 12), period="morning"), completed=True, consultations=6
    )
    f.BookingFactory(slot=f.SlotFactory(site=site, date=date(2026, 10, 8)), completed=True, consultations=9)
    f.BookingFactory(slot=f.SlotFactory(site=site, date=date(2026, 11, 13)), no_show=True)
    response = ars_client.get("/ars/")
    html, text = response.content.decode(), text_of(response)
    assert "Ce que la mission apporte : consultations attestées" in text
    # Per month (all zones): June … November 2026.
    assert "Octobre 2026 9 1" in text and "Novembre 2026 20 1,5" in text and "Juin 2026 0 0" in text
    # Per zone and month: the zone's row, October then November.
    assert '<td>9<br><span class="fr-text--xs">1 j. eff.</span></td>' in html
    assert '<td>20<br><span class="fr-text--xs">1,5 j. eff.</span></td>' in html


# --- the site keeps its pack up to date ---------------------------------------------------------------------------


def test_the_site_team_edits_its_practical_pack(site_client, site, doctor):
    assert f'href="/lieu/accueil/{site.pk}/"' in site_client.get("/lieu/").content.decode()
    refused = text_of(site_client.post(f"/lieu/accueil/{site.pk}/", {"premises_fee": "-3"}))
    assert "Rien n'a été enregistré" in refused
    response = site_client.post(
        f"/lieu/accueil/{site.pk}/",
        {"contact_phone": "04 71 00 00 00", "premises_fee": "12,50", "sesam_vitale_reader": "on", "software": "X"},
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.premises_fee, site.sesam_vitale_reader, site.software) == (Decimal("12.50"), True, "X")
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(9)))
    site_client.force_login(doctor.user)
    assert "12,50 € par jour" in text_of(site_client.get(f"/medecin/missions/{booking.pk}/"))


def test_the_pack_service_refuses_a_stranger(site, other_site_member, doctor):
    from core.errors import NotAllowed
    from sites.services import update_practical_pack

    for stranger in (other_site_member, doctor.user):
        with pytest.raises(NotAllowed):
            update_practical_pack(site, by=stranger, software="Y")
