"""The host site's space: publish many slots, confirm or decline, attest, invite available doctors."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from missions.models import Booking
from notifications.models import Message
from sites.models import Slot
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int, after_days: int = 1):
    day = timezone.localdate() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


# --- publishing -------------------------------------------------------------------------------------------------


def test_publishing_every_tuesday_between_two_dates_skips_what_exists(site_client, site):
    first = next_weekday(1)  # a Tuesday
    existing = f.SlotFactory(site=site, date=first + timedelta(days=7), period="morning")
    response = site_client.post(
        "/lieu/creneaux/publier/",
        {
            "site": site.pk,
            "start": first.isoformat(),
            "end": (first + timedelta(days=27)).isoformat(),
            "weekdays": ["1"],
            "period": "morning",
            "capacity": "2",
            "note": "Salle 2",
        },
    )
    assert response.status_code == 200
    created = Slot.objects.filter(site=site, note="Salle 2").order_by("date")
    assert [s.date for s in created] == [first + timedelta(days=n) for n in (0, 14, 21)]
    assert all(s.capacity == 2 and s.period == "morning" for s in created)
    text = text_of(response)
    assert "3 créneaux publiés" in text
    assert f"Déjà publiés, laissés tels quels : {date_format(existing.date, 'l j F Y')}" in text


def test_publishing_errors_are_shown_by_their_fields_and_keep_what_was_typed(site_client, site):
    start = timezone.localdate() + timedelta(days=10)
    response = site_client.post(
        "/lieu/creneaux/publier/",
        {
            "site": site.pk,
            "start": start.isoformat(),
            "end": (start - timedelta(days=3)).isoformat(),
            "weekdays": [],
            "period": "full_day",
            "capacity": "1",
            "note": "Parking derrière",
        },
    )
    html = response.content.decode()
    assert "La date de fin doit suivre la date de début." in html
    assert "Cochez au moins un jour de la semaine." in html
    assert 'href="#id_end"' in html
    assert f'value="{start.isoformat()}"' in html and "Parking derrière</textarea>" in html
    assert not Slot.objects.exists()


def test_publishing_beyond_the_horizon_shows_the_rule(site_client, site):
    far = timezone.localdate() + timedelta(days=400)
    response = site_client.post(
        "/lieu/creneaux/publier/",
        {
            "site": site.pk,
            "start": far.isoformat(),
            "end": (far + timedelta(days=7)).isoformat(),
            "weekdays": ["0", "1", "2", "3", "4"],
            "period": "full_day",
            "capacity": "1",
        },
    )
    assert "On ne peut publier des créneaux que jusqu'à 180 jours à l'avance" in text_of(response)


def test_a_member_cannot_publish_for_another_site(site_client, other_site):
    start = timezone.localdate() + timedelta(days=3)
    response = site_client.post(
        "/lieu/creneaux/publier/",
        {
            "site": other_site.pk,
            "start": start.isoformat(),
            "end": start.isoformat(),
            "weekdays": [str(start.weekday())],
            "period": "full_day",
            "capacity": "1",
        },
    )
    assert "Sélectionnez un choix valide" in text_of(response)
    assert not Slot.objects.exists()


# --- bookings: confirm, decline -----------------------------------------------------------------------------------


def test_confirming_a_request(site_client, site, doctor):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    assert f"Dr {doctor.full_name}" in text_of(site_client.get("/lieu/reservations/"))
    response = site_client.post(f"/lieu/reservations/{booking.pk}/confirmer/", follow=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert "confirmée ; le médecin est prévenu" in text_of(response)


def test_confirming_twice_is_refused_on_the_row(site_client, site, doctor):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.DECLINED)
    response = site_client.post(f"/lieu/reservations/{booking.pk}/confirmer/")
    assert "Impossible de passer de « Refusée par le lieu » à « Confirmée »." in text_of(response)


def test_declining_needs_a_reason_that_reaches_the_doctor(site_client, site, doctor):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    url = f"/lieu/reservations/{booking.pk}/refuser/"
    assert "Ce champ est obligatoire." in text_of(site_client.post(url, {"reason": "  "}))
    site_client.post(url, {"reason": "Local indisponible"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED and booking.reason == "Local indisponible"


def test_another_sites_booking_is_not_found(site_client, other_site, doctor):
    theirs = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=other_site))
    assert site_client.post(f"/lieu/reservations/{theirs.pk}/confirmer/").status_code == 404
    assert site_client.get(f"/lieu/reservations/{theirs.pk}/refuser/").status_code == 404
    assert site_client.get(f"/lieu/creneaux/{theirs.slot_id}/").status_code == 404
    assert f"Dr {doctor.full_name}" not in text_of(site_client.get("/lieu/reservations/"))


# --- attestations -------------------------------------------------------------------------------------------------


@pytest.fixture
def past_confirmed(site, doctor):
    day = timezone.localdate() - timedelta(days=2)
    return f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=day), status=Booking.Status.CONFIRMED)


def test_attesting_that_the_doctor_came_with_consultations(site_client, past_confirmed):
    prefix = f"b{past_confirmed.pk}"
    assert f"Dr {past_confirmed.doctor.full_name}" in text_of(site_client.get("/lieu/attestations/"))
    response = site_client.post(
        f"/lieu/attestations/{past_confirmed.pk}/",
        {f"{prefix}-attended": "yes", f"{prefix}-consultations": "17"},
        follow=True,
    )
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == Booking.Status.COMPLETED and past_confirmed.consultations == 17
    assert "venue attestée (17 consultations)" in text_of(response)


def test_attesting_a_no_show(site_client, past_confirmed):
    prefix = f"b{past_confirmed.pk}"
    site_client.post(f"/lieu/attestations/{past_confirmed.pk}/", {f"{prefix}-attended": "no"})
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == Booking.Status.NO_SHOW and past_confirmed.consultations is None


def test_came_without_a_count_is_refused_on_that_row(site_client, past_confirmed):
    prefix = f"b{past_confirmed.pk}"
    response = site_client.post(f"/lieu/attestations/{past_confirmed.pk}/", {f"{prefix}-attended": "yes"})
    html = response.content.decode()
    assert "Indiquez le nombre de consultations réalisées (0 ou plus)." in html
    assert f'href="#id_{prefix}-consultations"' in html
    assert re.search(rf'<input[^>]*id="id_{prefix}-attended_0"[^>]*checked', html)  # the choice is kept
    past_confirmed.refresh_from_db()
    assert past_confirmed.status == Booking.Status.CONFIRMED


def test_a_future_day_cannot_be_attested(site_client, site, doctor):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    prefix = f"b{booking.pk}"
    site_client.post(f"/lieu/attestations/{booking.pk}/", {f"{prefix}-attended": "no"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


# --- the slot page: available doctors and « proposer ce créneau » --------------------------------------------------


def test_available_doctors_are_listed_and_invited_through_the_outbox(site_client, site, doctor, other_doctor, client):
    slot = f.SlotFactory(site=site)
    f.AvailabilityFactory(doctor=doctor, date=slot.date, period="morning")
    text = text_of(site_client.get(f"/lieu/creneaux/{slot.pk}/"))
    assert f"Dr {doctor.full_name}" in text and f"Dr {other_doctor.full_name}" not in text

    response = site_client.post(f"/lieu/creneaux/{slot.pk}/proposer/{doctor.pk}/", follow=True)
    assert f"Invitation envoyée au Dr {doctor.full_name}." in text_of(response)
    assert "Déjà invité" in text_of(response)
    message = Message.objects.get(kind="slot_offer", recipient=doctor.user.email)
    assert site.name in message.subject
    link = re.search(r"http://testserver(/invitation/\S+/)", message.body_text).group(1)

    # Offering twice sends nothing twice.
    site_client.post(f"/lieu/creneaux/{slot.pk}/proposer/{doctor.pk}/")
    assert Message.objects.filter(kind="slot_offer").count() == 1

    # The link books the slot in one step after login.
    site_client.logout()
    assert client.get(link)["Location"].startswith("/compte/connexion/?next=/invitation/")
    client.force_login(doctor.user)
    page = text_of(client.get(link))
    assert "Un lieu d'accueil vous propose un créneau" in page and site.name in page
    client.post(link)
    assert Booking.objects.get(doctor=doctor, slot=slot).status == Booking.Status.REQUESTED


def test_an_invitation_link_is_personal_and_tamper_proof(client, site, doctor, other_doctor):
    from missions.views.invitations import offer_token

    slot = f.SlotFactory(site=site)
    token = offer_token(slot, doctor)
    client.force_login(other_doctor.user)
    assert client.get(f"/invitation/{token}/").status_code == 404
    assert client.get(f"/invitation/{token[:-2]}xx/").status_code == 400


def test_an_invitation_to_a_full_slot_says_so(client, site, doctor):
    from missions.views.invitations import offer_token

    slot = f.SlotFactory(site=site, capacity=1)
    f.BookingFactory(slot=slot, status=Booking.Status.CONFIRMED)
    client.force_login(doctor.user)
    assert "Ce créneau n'est plus disponible." in text_of(client.get(f"/invitation/{offer_token(slot, doctor)}/"))


def test_closing_a_slot_cancels_its_bookings_and_needs_a_reason(site_client, site, doctor):
    slot = f.SlotFactory(site=site)
    booking = f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.CONFIRMED)
    assert "Ce champ est obligatoire." in text_of(site_client.post(f"/lieu/creneaux/{slot.pk}/fermer/", {"reason": ""}))
    response = site_client.post(f"/lieu/creneaux/{slot.pk}/fermer/", {"reason": "Travaux"}, follow=True)
    assert "1 réservation annulée, le médecin est prévenu." in text_of(response)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.CLOSED and booking.status == Booking.Status.CANCELLED


def test_the_home_page_counts_what_awaits(site_client, site, doctor, past_confirmed):
    f.BookingFactory(slot=f.SlotFactory(site=site))
    text = text_of(site_client.get("/lieu/"))
    assert "Réservations à confirmer 1" in text and "Journées à attester 1" in text


def test_an_invitation_refused_by_a_rule_is_explained_on_the_slot_page(site_client, site, doctor):
    slot = f.SlotFactory(site=site)
    f.AvailabilityFactory(doctor=doctor, date=slot.date)
    doctor.status = doctor.Status.SUSPENDED  # suspended by the ARS while the page was open
    doctor.save()
    response = site_client.post(f"/lieu/creneaux/{slot.pk}/proposer/{doctor.pk}/")
    assert response.status_code == 200
    assert f"Dr {doctor.full_name} : Ce médecin n'est pas validé par l'ARS : il ne peut pas être invité." in text_of(
        response
    )
    assert not Message.objects.filter(kind="slot_offer").exists()


def test_a_member_of_several_sites_sees_them_all_or_one(client, site, other_site):
    member = f.SiteMembershipFactory(site=site).user
    f.SiteMembershipFactory(site=other_site, user=member)
    here = f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=10))
    there = f.SlotFactory(site=other_site, date=timezone.localdate() + timedelta(days=11))
    client.force_login(member)
    both = text_of(client.get("/lieu/"))
    assert date_format(here.date, "l j F Y") in both and date_format(there.date, "l j F Y") in both
    one = client.get("/lieu/", {"lieu": other_site.pk})
    assert f"<h1>{other_site.name}</h1>" in one.content.decode()
    assert date_format(there.date, "l j F Y") in text_of(one)
    assert date_format(here.date, "l j F Y") not in text_of(one)


def test_only_doctors_available_that_day_can_be_invited(site_client, site, doctor):
    slot = f.SlotFactory(site=site)
    f.AvailabilityFactory(doctor=doctor, date=slot.date + timedelta(days=1))  # another day
    assert site_client.post(f"/lieu/creneaux/{slot.pk}/proposer/{doctor.pk}/").status_code == 404
    assert not Message.objects.filter(kind="slot_offer").exists()
