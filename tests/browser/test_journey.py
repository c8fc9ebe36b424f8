"""The whole journey in a real browser, and the refusals a doctor meets (slot full, third day in a month).

doctor registers → ARS validates → site publishes slots → doctor books → site confirms → site attests
→ doctor sees the earning. Each space is photographed on the way (test-results/screenshots/).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from missions import doctor_file, services
from missions.models import Booking, Doctor
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]

DOCTOR_PASSWORD = "un-secret-bien-long-2026"


def field(scope, label: str):
    """A form field by its label (the DSFR marks required ones with « * » and puts the hint inside the label)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}(\s*\*)?(\s|$)"))


def tick(scope, label: str) -> None:
    """Check a DSFR radio button or checkbox the way a person does: by clicking its label (the input is drawn
    by the label)."""
    scope.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()


def log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/compte/connexion/")
    field(page, "Adresse e-mail").fill(email)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Un médecin près de chez vous")


def test_from_registration_to_earning(page: Page, live_server, world, shoot):
    base = live_server.url
    today = timezone.localdate()

    # The public home, and the way in for doctors.
    page.goto(base + "/")
    shoot("01-public-home")
    page.get_by_role("link", name="Médecin volontaire", exact=True).click()

    # 1. The doctor registers. A first attempt with a wrong RPPS key: the error is announced, nothing is lost.
    rpps = with_luhn_key("1000045678")
    wrong = rpps[:-1] + str((int(rpps[-1]) + 1) % 10)
    field(page, "Prénom").fill("Claire")
    field(page, "Nom").fill("Martin")
    field(page, "Adresse e-mail").fill("claire.martin@exemple.fr")
    field(page, "Mot de passe").fill(DOCTOR_PASSWORD)
    field(page, "Confirmation du mot de passe").fill(DOCTOR_PASSWORD)
    field(page, "Numéro RPPS").fill(wrong)
    tick(page, "Secteur 1")
    field(page, "Mode d'exercice").select_option("liberal")
    commune = field(page, "Commune d'exercice principal")
    commune.fill("Amb")  # suggestions come as she types (fetched from the server, no CDN, no inline script)
    expect(page.locator("#communes option")).to_have_count(1)
    expect(page.locator("#communes option")).to_have_text(f"Ambert ({world['commune'].insee_code})")
    commune.fill(page.locator("#communes option").get_attribute("value"))
    tick(page, "CC du Livradois (63)")
    page.get_by_role("button", name="Déposer mon dossier").click()
    summary = page.get_by_role("alert").filter(has_text="Rien n'a été enregistré")
    expect(summary).to_contain_text("Le numéro RPPS est invalide")
    expect(field(page, "Adresse e-mail")).to_have_value("claire.martin@exemple.fr")
    expect(page.get_by_label("CC du Livradois (63)")).to_be_checked()
    shoot("02-doctor-registration-error")
    summary.get_by_role("link").first.click()  # the summary leads to the field
    expect(field(page, "Numéro RPPS")).to_be_focused()
    field(page, "Numéro RPPS").fill(rpps)
    field(page, "Mot de passe").fill(DOCTOR_PASSWORD)  # passwords are never sent back
    field(page, "Confirmation du mot de passe").fill(DOCTOR_PASSWORD)
    page.get_by_role("button", name="Déposer mon dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier reçu")
    shoot("03-doctor-dossier-recu")
    doctor = Doctor.objects.get(rpps=rpps)
    assert doctor.status == Doctor.Status.SUBMITTED
    # Not logged in: the answer is the same whether the address had an account or not.
    # The RCP insurance is required before the validation (its page: tests/browser/test_file.py).
    doctor_file.declare_insurance(doctor, doctor_file.Insurance("MACSF", "RCP-2026-1", True), by=doctor.user)

    # 2. ARS staff see the application on their dashboard and validate it in the admin.
    log_in(page, base, "agent@ars.sante.fr", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord de la mission")
    expect(page.locator("#dossiers + .fr-table")).to_contain_text(rpps)
    shoot("04-ars-dashboard")
    page.goto(f"{base}/admin/missions/doctor/?status__exact=submitted")
    page.locator(f"input[name=_selected_action][value='{doctor.pk}']").check()
    page.locator("select[name=action]").select_option("validate")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 dossier validé")
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED
    page.goto(base + "/")
    log_out(page)

    # 3. The host site publishes slots: today (to attest it later today) and the next three weeks' same weekday.
    log_in(page, base, "accueil@msp-ambert.fr", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Maison de santé d'Ambert")
    page.get_by_role("link", name="Publier des créneaux").first.click()
    field(page, "Du").fill(today.isoformat())
    field(page, "Au (inclus)").fill((today + timedelta(days=21)).isoformat())
    tick(page, date_format(today, "l").capitalize())
    tick(page, "Journée")
    field(page, "Nombre de places").fill("2")
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("status").filter(has_text="publiés")).to_contain_text("4 créneaux publiés")
    shoot("05-site-publish")
    page.goto(base + "/lieu/")
    shoot("06-site-home")
    log_out(page)

    # 4. The doctor books today's slot in one action.
    log_in(page, base, "claire.martin@exemple.fr", DOCTOR_PASSWORD)
    page.get_by_role("link", name="Trouver un créneau").first.click()
    expect(page.get_by_role("heading", level=2, name="4 créneaux ouverts")).to_be_visible()
    shoot("07-doctor-slots")
    page.get_by_role("button", name=f"Réserver le {date_format(today, 'l j F Y')}").click()
    expect(page.get_by_role("status")).to_contain_text("Le lieu d'accueil doit maintenant la confirmer")
    expect(page.locator("table").first).to_contain_text("Demandée")
    shoot("08-doctor-missions-requested")
    log_out(page)

    # 5. The site confirms, 6. and attests the day: she came, 14 consultations.
    log_in(page, base, "accueil@msp-ambert.fr", PASSWORD)
    page.get_by_role("link", name="Réservations à confirmer").first.click()
    expect(page).to_have_url(re.compile(r"/lieu/reservations/"))
    shoot("09-site-bookings")
    page.get_by_role("button", name="Confirmer la venue du Dr Claire Martin").click()
    expect(page.get_by_role("status")).to_contain_text("confirmée ; le médecin est prévenu")
    page.get_by_role("link", name="Journées à attester").first.click()
    card = page.locator("section").filter(has_text="Dr Claire Martin")
    tick(card, "Oui, il est venu")
    field(card, "Nombre de consultations réalisées").fill("14")
    shoot("10-site-attestations")
    card.get_by_role("button", name="Enregistrer l'attestation").click()
    expect(page.get_by_role("status")).to_contain_text("venue attestée (14 consultations)")
    booking = Booking.objects.get(doctor=doctor)
    assert booking.status == Booking.Status.COMPLETED and booking.consultations == 14
    log_out(page)

    # 7. The doctor sees the day in her missions and the earning in her flat rates.
    log_in(page, base, "claire.martin@exemple.fr", DOCTOR_PASSWORD)
    page.get_by_role("link", name="Mes indemnités").first.click()
    expect(page.locator("tfoot")).to_contain_text("200,00 €")
    expect(page.locator("tbody").first).to_contain_text(date_format(today, "F Y").capitalize())
    # Day by day: the attested day is not on a CPAM statement yet.
    expect(page.get_by_role("table", name="Chaque journée effectuée")).to_contain_text("À déclarer")
    shoot("11-doctor-earnings")
    page.get_by_role("link", name="Mes missions").first.click()
    expect(page.locator("main")).to_contain_text("14 consultations")
    page.get_by_role("link", name="Mon calendrier").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("calendrier", ignore_case=True)
    shoot("12-doctor-calendar")


@pytest.fixture
def booked_doctor(world):
    doctor = f.DoctorFactory(zones=[world["zone"]], user__email="dr.roux@exemple.fr")
    return doctor


def next_month(day: int):
    first = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.replace(day=day)


def test_a_slot_taken_meanwhile_is_refused_where_the_doctor_clicked(
    page: Page, live_server, world, booked_doctor, shoot
):
    slot = f.SlotFactory(site=world["site"], date=next_month(10), capacity=1)
    log_in(page, live_server.url, "dr.roux@exemple.fr", PASSWORD)
    page.goto(live_server.url + "/medecin/creneaux/")
    button = page.get_by_role("button", name=f"Réserver le {date_format(slot.date, 'l j F Y')}")
    expect(button).to_be_visible()
    # Someone else takes the last place while the page is open.
    rival = f.DoctorFactory(zones=[world["zone"]])
    services.book_slot(doctor=rival, slot=slot, by=rival.user)
    button.click()
    alert = page.get_by_role("alert").filter(has_text="Réservation impossible")
    expect(alert).to_contain_text("Ce créneau est complet : toutes ses places sont déjà réservées.")
    expect(alert).to_contain_text(date_format(slot.date, "l j F Y").capitalize())
    expect(page.locator(f"#creneau-{slot.pk}")).to_have_count(0)  # no longer offered: it is full
    shoot("13-doctor-slot-full")
    assert not Booking.objects.filter(doctor=booked_doctor).exists()


def test_a_third_day_in_a_month_is_refused(page: Page, live_server, world, booked_doctor, shoot):
    for day in (3, 4):
        f.BookingFactory(doctor=booked_doctor, slot=f.SlotFactory(site=world["site"], date=next_month(day)))
    third = f.SlotFactory(site=world["site"], date=next_month(5))
    log_in(page, live_server.url, "dr.roux@exemple.fr", PASSWORD)
    page.goto(live_server.url + "/medecin/creneaux/")
    field(page, "Mois").select_option(next_month(1).strftime("%Y-%m"))
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("button", name=f"Réserver le {date_format(third.date, 'l j F Y')}").click()
    expect(page.get_by_role("alert").filter(has_text="Réservation impossible")).to_contain_text(
        "la mission est limitée à 2 jours par mois"
    )
    expect(field(page, "Mois")).to_have_value(next_month(1).strftime("%Y-%m"))  # the filter is kept
    shoot("14-doctor-third-day")
    assert Booking.objects.filter(doctor=booked_doctor).count() == 2


def test_keyboard_only_skip_link_and_login(page: Page, live_server, world):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Contenu")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    page.goto(live_server.url + "/compte/connexion/")
    expect(field(page, "Adresse e-mail")).to_be_focused()  # the login form takes the focus at once
    page.keyboard.type("accueil@msp-ambert.fr")
    page.keyboard.press("Tab")
    expect(field(page, "Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Maison de santé d'Ambert")
