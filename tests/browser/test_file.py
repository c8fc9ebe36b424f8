"""The volunteer's file in a real browser (issue #15): the doctor registers, the CDOM authorises through the link
of its e-mail, the doctor declares the RCP insurance, the ARS validates, the CPAM records the dedicated number
(the doctor sees it), the doctor declares « carte reçue », books, is attested and paid. Each step is visible to
the doctor (« Mon dossier ») and to the ARS (the dashboard's file steps).

Screenshots: test-results/screenshots/file-doctor-page.png and file-dashboard-steps.png (1280 px wide)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from billing.models import Statement
from billing.services import generate_statement, issue_statement, mark_statement_paid
from missions import services
from missions.models import Booking, Doctor
from notifications.models import Message
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.browser.test_journey import DOCTOR_PASSWORD, field, log_in, log_out, tick
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]


def step_row(page: Page, key: str):
    return page.locator(f"#etape-{key}")


def test_the_file_from_registration_to_payment(page: Page, live_server, world, shoot, mailoutbox):
    base = live_server.url
    today = timezone.localdate()
    cpam = f.CpamFactory(department=world["zone"].department)
    f.CpamMembershipFactory(cpam=cpam, user__email="agent@cpam-63.fr")
    slot = f.SlotFactory(site=world["site"], date=today)

    # 1. The doctor registers.
    rpps = with_luhn_key("1000098765")
    page.goto(base + "/medecin/inscription/")
    field(page, "Prénom").fill("Lucie")
    field(page, "Nom").fill("Fabre")
    field(page, "Adresse e-mail").fill("lucie.fabre@exemple.fr")
    field(page, "Mot de passe").fill(DOCTOR_PASSWORD)
    field(page, "Confirmation du mot de passe").fill(DOCTOR_PASSWORD)
    field(page, "Numéro RPPS").fill(rpps)
    tick(page, "Secteur 1")
    field(page, "Mode d'exercice").select_option("liberal")
    field(page, "Commune d'exercice principal").fill(world["commune"].insee_code)
    tick(page, "CC du Livradois (63)")
    tick(page, "Je me fais remplacer à mon cabinet pendant les jours de mission (remplacement déclaré)")
    page.get_by_role("button", name="Déposer mon dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier reçu")
    doctor = Doctor.objects.get(rpps=rpps)

    # 2. The CDOM opens the link of its e-mail and authorises, without an account. (The relay sent the e-mail and
    # erased its body from the outbox: the link acts on a file, it is a secret.)
    request = next(mail for mail in mailoutbox if "avis du CDOM" in mail.subject)
    assert request.to == [doctor.cdom_department.cdom_email]
    link = re.search(r"https?://\S+/cdom/avis/\S+/", request.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Avis du CDOM sur un médecin volontaire")
    tick(page, "Autorisé")
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.locator("#avis-enregistre")).to_contain_text(f"Autorisé le {date_format(today, 'j F Y')}")

    # 3. The doctor sees the authorisation on « Mon dossier » and declares the RCP insurance.
    log_in(page, base, "lucie.fabre@exemple.fr", DOCTOR_PASSWORD)
    page.get_by_role("link", name="Mon dossier", exact=True).first.click()
    expect(step_row(page, "cdom")).to_contain_text("Autorisé par le CDOM")
    expect(step_row(page, "insurance")).to_contain_text("Assurance RCP non déclarée")
    field(page, "Assureur (responsabilité civile professionnelle)").fill("MACSF")
    field(page, "Numéro de contrat").fill("RCP-2026-0042")
    tick(page, "J'atteste que ce contrat couvre mon exercice sur les lieux d'accueil de la mission")
    page.get_by_role("button", name="Enregistrer mon assurance").click()
    expect(page.get_by_role("status").filter(has_text="assurance")).to_contain_text(
        "Votre assurance RCP est enregistrée"
    )
    expect(step_row(page, "insurance")).to_contain_text("MACSF, contrat n° RCP-2026-0042")
    log_out(page)

    # 4. ARS staff see the file ready for validation on the dashboard, and validate it.
    log_in(page, base, "agent@ars.sante.fr", PASSWORD)
    expect(step_row(page, "validation")).to_contain_text("1")
    expect(step_row(page, "cdom")).to_contain_text("0")
    page.locator("#etapes-dossiers").scroll_into_view_if_needed()
    shoot("file-dashboard-steps")
    step_row(page, "validation").get_by_role("link").click()
    expect(page.locator("#result_list")).to_contain_text("Fabre")
    page.locator(f"input[name=_selected_action][value='{doctor.pk}']").check()
    page.locator("select[name=action]").select_option("validate")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 dossier validé")
    page.goto(base + "/ars/")
    expect(step_row(page, "billing_number")).to_contain_text("1")
    page.goto(base + "/")
    log_out(page)

    # 5. The CPAM records the dedicated number; the doctor is told by e-mail.
    log_in(page, base, "agent@cpam-63.fr", PASSWORD)
    page.goto(base + "/cpam/numeros/")
    field(page.locator("section").filter(has_text="Fabre"), "N° Assurance Maladie dédié").fill("631234567")
    page.get_by_role("button", name="Enregistrer le numéro").click()
    expect(page.get_by_role("status")).to_contain_text("Numéro dédié enregistré pour le Dr Lucie Fabre")
    assert (
        "631234567" in Message.objects.get(kind="billing_number_recorded", recipient="lucie.fabre@exemple.fr").body_text
    )
    log_out(page)

    # 6. The doctor sees the number on her home page, declares the card, and books today's slot.
    log_in(page, base, "lucie.fabre@exemple.fr", DOCTOR_PASSWORD)
    expect(page.locator("#numero-dedie")).to_have_text("631234567")
    page.get_by_role("link", name="Mon dossier", exact=True).first.click()
    page.get_by_role("button", name="J'ai reçu ma nouvelle carte CPS").click()
    expect(step_row(page, "cps_card")).to_contain_text("Nouvelle carte CPS reçue")
    page.get_by_role("link", name="Trouver un créneau").first.click()
    # She is replaced at her practice: the booking asks for her remplaçant and the CNOM derogation request.
    page.get_by_role("link", name=f"Réserver le {date_format(today, 'l j F Y')}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Réserver le {date_format(today, 'l j F Y')}")
    page.get_by_role("button", name="Réserver ce créneau").click()  # without the remplaçant: refused, kindly
    expect(page.locator(".fr-alert--error, .fr-error-text").first).to_be_visible()
    assert not Booking.objects.filter(doctor=doctor).exists()
    remplacant_rpps = with_luhn_key("1000012345")
    field(page, "Nom et prénom de votre remplaçant").fill("Paul Martin")
    field(page, "N° RPPS de votre remplaçant").fill(remplacant_rpps)
    field(page, "Date de votre demande de dérogation au CNOM").fill((today - timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Réserver ce créneau").click()
    expect(page.get_by_role("status")).to_contain_text("Le lieu d'accueil doit maintenant la confirmer")

    # 7. The site confirms and attests (their pages: test_journey.py); the CPAM's statement is issued and paid
    # once the month is over.
    booking = Booking.objects.get(doctor=doctor, slot=slot)
    assert (booking.replacement_name, booking.replacement_rpps) == ("Paul Martin", remplacant_rpps)
    services.confirm_booking(booking, by=world["secretary"])
    services.attest_booking(booking, by=world["secretary"], attended=True, consultations=11)
    month = today.replace(day=1)
    with time_machine.travel((month + timedelta(days=40)).replace(day=2), tick=False):
        statement = generate_statement(cpam, month, by=world["ars"])
        assert statement is not None
        issue_statement(statement, by=world["ars"])
        mark_statement_paid(statement, by=world["ars"])
    assert Statement.objects.get(pk=statement.pk).status == Statement.Status.PAID

    # Every step of her file, with its date, on her page.
    page.get_by_role("link", name="Mon dossier", exact=True).first.click()
    for key, text in [
        ("cdom", "Autorisé par le CDOM"),
        ("insurance", "Assurance RCP déclarée"),
        ("validation", "Validé"),
        ("billing_number", "631234567"),
        ("cps_card", "Nouvelle carte CPS reçue"),
    ]:
        expect(step_row(page, key)).to_contain_text(text)
        expect(step_row(page, key)).to_contain_text(date_format(today, "j F Y"))
    shoot("file-doctor-page")
    page.get_by_role("link", name="Mes indemnités").first.click()
    expect(page.locator("tfoot")).to_contain_text("200,00 €")
    log_out(page)

    # And the ARS sees nothing left waiting, and the day's remplaçant on the booking.
    log_in(page, base, "agent@ars.sante.fr", PASSWORD)
    page.goto(f"{base}/admin/missions/booking/{booking.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Paul Martin")
    expect(page.locator("#content")).to_contain_text(remplacant_rpps)
    page.goto(base + "/ars/")
    for key in ("cdom", "insurance", "validation", "billing_number", "cps_card"):
        expect(step_row(page, key).locator(".fr-badge")).to_have_text("0")
