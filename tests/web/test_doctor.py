"""The doctor's space: registration, slot search and booking, missions, cancellation, earnings, availability."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from missions.models import Availability, Booking, Doctor
from sites.identifiers import with_luhn_key
from sites.models import Commune
from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Registration is throttled per address (5 an hour, counted in the cache): each test starts afresh."""
    from django.core.cache import cache

    cache.clear()


def next_month_day(day: int) -> date:
    """A day of next month: always within the booking horizon, never in the past."""
    first = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=day)


# --- registration ---------------------------------------------------------------------------------------------


@pytest.fixture
def registration(zone):
    commune = f.CommuneFactory(department=zone.department, name="Ambert")
    return {
        "first_name": "Claire",
        "last_name": "Martin",
        "email": "claire.martin@exemple.fr",
        "phone": "04 73 00 00 00",
        "password": "un-secret-bien-long-2026",
        "password_confirm": "un-secret-bien-long-2026",
        "rpps": with_luhn_key("1000012345"),
        "specialty": "Médecine générale",
        "sector": "1",
        "mode": "liberal",
        "practice_commune": commune.insee_code,
        "cdom_department": "",
        "zones": [zone.pk],
    }


def test_registration_files_the_application_and_ends_on_dossier_recu(client, registration, zone):
    response = client.post("/medecin/inscription/", registration)
    assert response["Location"] == "/medecin/inscription/dossier-recu/"
    doctor = Doctor.objects.get(user__email="claire.martin@exemple.fr")
    assert doctor.status == Doctor.Status.SUBMITTED
    assert doctor.practice_commune.name == "Ambert"
    assert list(doctor.zones.all()) == [zone]
    page = text_of(client.get(response["Location"]))
    assert "Dossier reçu" in page and zone.name in page and "claire.martin@exemple.fr" in page
    assert "_auth_user_id" not in client.session  # the answer is the same whether an account was created or not
    client.force_login(Doctor.objects.get().user)
    assert "Dossier en cours d'examen" in text_of(client.get("/medecin/"))


def test_registration_page_offers_zones_and_suggests_communes(client, registration, zone):
    html = client.get("/medecin/inscription/").content.decode()
    assert zone.name in html
    assert '<label for="id_rpps"' in html  # labels tied to their fields
    assert 'data-commune-search="/communes/recherche/"' in html and "/static/js/commune-search.js" in html
    f.CommuneFactory(department=zone.department, name="Ambérieux", postcodes="69480")
    by_name = client.get("/communes/recherche/", {"q": "amb"}).json()["results"]
    ambert = Commune.objects.get(name="Ambert")
    assert {(r["code"], r["label"]) for r in by_name} == {
        (ambert.insee_code, f"Ambert ({ambert.insee_code})"),
        (Commune.objects.get(name="Ambérieux").insee_code, "Ambérieux (69480)"),
    }
    by_postcode = client.get("/communes/recherche/", {"q": "69480"}).json()["results"]
    assert [r["label"] for r in by_postcode] == ["Ambérieux (69480)"]
    assert client.get("/communes/recherche/", {"q": "a"}).json()["results"] == []


def test_the_commune_can_be_given_by_name_when_it_is_unambiguous(client, registration, zone):
    registration["practice_commune"] = "ambert"
    assert client.post("/medecin/inscription/", registration).status_code == 302
    assert Doctor.objects.get().practice_commune.name == "Ambert"


def test_an_ambiguous_commune_name_asks_for_the_code(client, registration, zone):
    f.CommuneFactory(department=zone.department, name="Ambert")
    registration["practice_commune"] = "Ambert"
    text = text_of(client.post("/medecin/inscription/", registration))
    assert "Plusieurs communes portent ce nom" in text


def test_a_bad_rpps_is_refused_next_to_its_field_and_nothing_typed_is_lost(client, registration):
    registration["rpps"] = registration["rpps"][:-1] + str((int(registration["rpps"][-1]) + 1) % 10)
    response = client.post("/medecin/inscription/", registration)
    assert response.status_code == 200
    html = response.content.decode()
    message = "Le numéro RPPS est invalide : sa clé de contrôle ne correspond pas (vérifiez la saisie)."
    assert html.count(message) == 2  # in the summary at the top, and under the field
    assert 'href="#id_rpps"' in html and 'aria-invalid="true"' in html
    assert 'value="claire.martin@exemple.fr"' in html and f'value="{registration["rpps"]}"' in html
    assert f'value="{registration["practice_commune"]}"' in html
    assert not Doctor.objects.exists()


def test_unknown_commune_and_missing_zone_are_refused_in_french(client, registration):
    registration["practice_commune"] = "99999"
    registration["zones"] = []
    text = text_of(client.post("/medecin/inscription/", registration))
    assert "Aucune commune ne porte le code INSEE « 99999 »." in text
    assert "Choisissez au moins une zone." in text


def test_a_refusal_of_the_service_lands_on_its_field(client, registration, doctor):
    f.DoctorFactory(rpps=registration["rpps"])
    text = text_of(client.post("/medecin/inscription/", registration))
    assert "Un dossier existe déjà avec ce numéro RPPS." in text


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_an_email(client, registration, doctor):
    from notifications.models import Message

    fresh = client.post("/medecin/inscription/", registration)
    fresh_page = text_of(client.get(fresh["Location"]))
    other = Client()
    registration["email"] = doctor.user.email.upper()  # staff and doctors alike: nobody learns it is taken
    registration["rpps"] = with_luhn_key("1000012399")
    taken = other.post("/medecin/inscription/", registration)
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    taken_page = text_of(other.get(taken["Location"]))
    assert taken_page.replace(doctor.user.email.upper(), "X") == fresh_page.replace("claire.martin@exemple.fr", "X")
    assert Doctor.objects.count() == 2  # `doctor` and Claire: nothing created for the taken address
    told = Message.objects.get(kind="account_exists")
    assert told.recipient == doctor.user.email
    assert "Un compte existe déjà avec cette adresse" in told.body_text
    other.post("/medecin/inscription/", registration)
    assert Message.objects.filter(kind="account_exists").count() == 1  # once a day at most


def test_submitting_the_form_twice_gives_the_same_success(client, registration):
    from notifications.models import Message

    first = client.post("/medecin/inscription/", registration)
    second = client.post("/medecin/inscription/", registration)  # a double click: the first went through
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/medecin/inscription/dossier-recu/"
    assert "Dossier reçu" in text_of(client.get(second["Location"]))
    assert Doctor.objects.count() == 1
    assert not Message.objects.filter(kind="account_exists").exists()


def test_web_registration_is_throttled_like_the_api(client, registration, settings):
    from django.core.cache import cache

    cache.clear()
    for i in range(5):
        registration.update(email=f"medecin-{i}@exemple.fr", rpps=with_luhn_key(f"100001230{i}"))
        assert client.post("/medecin/inscription/", registration).status_code == 302
    registration.update(email="medecin-6@exemple.fr", rpps=with_luhn_key("1000012306"))
    response = client.post("/medecin/inscription/", registration)
    assert response.status_code == 429
    assert "Trop de dossiers ont été déposés depuis votre adresse" in text_of(response)
    assert Doctor.objects.count() == 5
    # The API shares the counter.
    api = client.post("/api/v1/doctors/", {}, content_type="application/json")
    assert api.status_code == 429
    cache.clear()


def test_forms_disable_their_buttons_while_they_submit(client):
    html = client.get("/medecin/inscription/").content.decode()
    assert '<script src="/static/js/submit-once.js" defer></script>' in html
    script = client.get("/static/js/submit-once.js")
    assert script.status_code == 200
    assert "disabled = true" in b"".join(script.streaming_content).decode()


def test_password_confirmation_must_match(client, registration):
    registration["password_confirm"] = "autre-chose-2026"
    assert "Les deux mots de passe ne sont pas identiques." in text_of(
        client.post("/medecin/inscription/", registration)
    )


# --- finding and booking slots ------------------------------------------------------------------------------------


def test_slots_filter_by_zone_month_and_period_and_show_remaining_places(doctor_client, doctor, site):
    elsewhere = f.HostSiteFactory(name="Lieu d'une autre zone")
    morning = f.SlotFactory(site=site, date=next_month_day(10), period="morning", capacity=3)
    f.BookingFactory(slot=morning, status=Booking.Status.CONFIRMED)
    f.SlotFactory(site=site, date=next_month_day(12), period="afternoon")
    f.SlotFactory(site=elsewhere, date=next_month_day(11))

    everything = text_of(doctor_client.get("/medecin/creneaux/"))
    assert "2 sur 3" in everything  # remaining places
    assert "Lieu d'une autre zone" not in everything  # by default: the zones the doctor covers

    month = next_month_day(1).strftime("%Y-%m")
    mornings = text_of(doctor_client.get("/medecin/creneaux/", {"month": month, "period": "morning"}))
    assert date_format(next_month_day(10), "l j F Y") in mornings
    assert date_format(next_month_day(12), "l j F Y") not in mornings

    other_zone = text_of(doctor_client.get("/medecin/creneaux/", {"zone": elsewhere.zone_id}))
    assert "Lieu d'une autre zone" in other_zone and site.name not in other_zone


def test_booking_in_one_action(doctor_client, doctor, site):
    slot = f.SlotFactory(site=site, date=next_month_day(8))
    response = doctor_client.post(f"/medecin/creneaux/{slot.pk}/reserver/", follow=True)
    booking = Booking.objects.get(doctor=doctor, slot=slot)
    assert booking.status == Booking.Status.REQUESTED
    text = text_of(response)
    assert "Le lieu d'accueil doit maintenant la confirmer" in text
    assert "Le lieu d'accueil doit confirmer votre venue" in text  # what happens next, in my missions


def test_a_full_slot_is_refused_where_the_doctor_clicked_keeping_the_filters(doctor_client, doctor, site):
    slot = f.SlotFactory(site=site, date=next_month_day(9), capacity=1)
    f.SlotFactory(site=site, date=next_month_day(20))
    f.BookingFactory(slot=slot, status=Booking.Status.REQUESTED)  # taken meanwhile by someone else
    month = next_month_day(1).strftime("%Y-%m")
    response = doctor_client.post(f"/medecin/creneaux/{slot.pk}/reserver/?month={month}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce créneau est complet : toutes ses places sont déjà réservées." in html
    assert f'<option value="{month}" selected>' in html
    assert not Booking.objects.filter(doctor=doctor).exists()


def test_a_third_day_in_a_month_is_refused_in_french(doctor_client, doctor, site):
    for day in (3, 4):
        f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=next_month_day(day)))
    third = f.SlotFactory(site=site, date=next_month_day(5))
    text = text_of(doctor_client.post(f"/medecin/creneaux/{third.pk}/reserver/"))
    assert "la mission est limitée à 2 jours par mois" in text
    assert Booking.objects.filter(doctor=doctor).count() == 2


def test_a_doctor_awaiting_validation_sees_why_they_cannot_book(client, zone, site):
    waiting = f.DoctorFactory(status=Doctor.Status.SUBMITTED, zones=[zone])
    f.SlotFactory(site=site, date=next_month_day(8))
    client.force_login(waiting.user)
    html = client.get("/medecin/creneaux/").content.decode()
    assert "Dossier en cours d'examen" in html
    assert ">Réserver</button>" not in html


# --- my missions, cancellation --------------------------------------------------------------------------------------


def test_my_missions_split_upcoming_and_past_with_status_and_next_step(doctor_client, doctor, site):
    today = timezone.localdate()
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=today + timedelta(days=5)))
    past = f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=today - timedelta(days=5)),
        status=Booking.Status.COMPLETED,
        consultations=14,
    )
    text = text_of(doctor_client.get("/medecin/missions/"))
    upcoming, finished = text.split("Passées", 1)
    assert "Demandée" in upcoming and "Le lieu d'accueil doit confirmer votre venue" in upcoming
    assert "Effectuée" in finished and "14 consultations" in finished
    assert date_format(past.date, "l j F Y") in finished


def test_cancelling_asks_a_reason(doctor_client, doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=next_month_day(15)))
    url = f"/medecin/missions/{booking.pk}/annuler/"
    page = text_of(doctor_client.get(url))
    assert "Annulation tardive" not in page and "Motif de l'annulation" in page
    assert "Ce champ est obligatoire." in text_of(doctor_client.post(url, {"reason": ""}))
    response = doctor_client.post(url, {"reason": "Garde imprévue"})
    assert response["Location"] == "/medecin/missions/"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and not booking.late_cancellation


def test_a_late_cancellation_warns_first_and_needs_an_acknowledgement(doctor_client, doctor, site):
    tomorrow = timezone.localdate() + timedelta(days=1)
    booking = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=tomorrow), status=Booking.Status.CONFIRMED
    )
    url = f"/medecin/missions/{booking.pk}/annuler/"
    assert "Annulation tardive" in text_of(doctor_client.get(url))
    refused = doctor_client.post(url, {"reason": "Malade"})
    assert "Cochez la case pour confirmer que vous annulez tardivement." in text_of(refused)
    assert "Malade</textarea>" in refused.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    doctor_client.post(url, {"reason": "Malade", "late_ack": "on"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.late_cancellation


def test_another_doctors_booking_is_not_found(doctor_client, other_doctor, site):
    theirs = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=site, date=next_month_day(15)))
    assert doctor_client.get(f"/medecin/missions/{theirs.pk}/annuler/").status_code == 404
    assert doctor_client.post(f"/medecin/missions/{theirs.pk}/annuler/", {"reason": "x"}).status_code == 404


# --- earnings -------------------------------------------------------------------------------------------------


def test_earnings_are_completed_days_times_the_rate_per_month_and_in_total(doctor_client, doctor, site, flat_rate):
    def attested(day, period="full_day", status=Booking.Status.COMPLETED):
        slot = f.SlotFactory(site=site, date=day, period=period)
        f.BookingFactory(doctor=doctor, slot=slot, status=status, consultations=10 if status == "completed" else None)

    attested(date(2025, 10, 6))
    attested(date(2025, 10, 13), period="morning")
    attested(date(2025, 11, 3))
    attested(date(2025, 11, 10), status=Booking.Status.NO_SHOW)
    text = text_of(doctor_client.get("/medecin/gains/"))
    assert "Octobre 2025 1,5 300,00 €" in text
    assert "Novembre 2025 1 200,00 €" in text
    assert "Total 2,5 500,00 €" in text
    assert flat_rate.amount == Decimal("200.00")


def test_no_earnings_yet_is_said_plainly(doctor_client):
    assert "Aucune journée attestée pour le moment." in text_of(doctor_client.get("/medecin/gains/"))


# --- availability -------------------------------------------------------------------------------------------------


def test_declaring_and_removing_availability(doctor_client, doctor):
    day = next_month_day(14)
    response = doctor_client.post(
        "/medecin/disponibilites/", {"date": day.isoformat(), "period": "morning"}, follow=True
    )
    assert "Disponibilité enregistrée" in text_of(response)
    availability = Availability.objects.get(doctor=doctor, date=day, period="morning")
    doctor_client.post(f"/medecin/disponibilites/{availability.pk}/retirer/")
    assert not Availability.objects.filter(doctor=doctor).exists()


def test_a_past_availability_is_refused_next_to_the_date(doctor_client, doctor):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = doctor_client.post("/medecin/disponibilites/", {"date": yesterday.isoformat(), "period": "full_day"})
    html = response.content.decode()
    assert "Cette date est passée : déclarez une disponibilité à venir." in html and 'href="#id_date"' in html
    assert "créneau" not in html.split("error-summary")[1].split("</div>")[0]
    assert f'value="{yesterday.isoformat()}"' in html


def test_someone_elses_availability_cannot_be_removed(doctor_client, other_doctor):
    theirs = f.AvailabilityFactory(doctor=other_doctor)
    assert doctor_client.post(f"/medecin/disponibilites/{theirs.pk}/retirer/").status_code == 404
    assert Availability.objects.filter(pk=theirs.pk).exists()
