"""« S'installer ici » in a real browser: a volunteer who worked in a zone opens its page, sees the aids in force
with their sources, asks to know more; the ARS agent of the region finds the lead on the dashboard and follows it
in the console."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from installation.models import InstallationLead
from installation.services import load_catalogue
from missions.models import Booking
from notifications.models import Message
from tests import factories as f
from tests.browser.test_journey import field, log_in, log_out
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]

# A fixed day (the clock moves on from it): the aids of the convention 2024-2029 are in force, CAIM has expired.
JUNE_2026 = timezone.make_aware(datetime.datetime(2026, 6, 15, 9))


def test_a_volunteer_asks_about_settling_where_they_worked_and_the_ars_follows(page: Page, live_server, world, shoot):
    base = live_server.url
    zone, site = world["zone"], world["site"]
    epci = f.EpciFactory(siren=zone.siren, name=zone.name)
    ambert = f.CommuneFactory(department=zone.department, epci=epci, name="Ambert")
    site.commune = ambert
    site.save()
    decree = f.ZonageDecreeFactory(region=zone.department.region, reference="2025-17-1113")
    f.CommuneZonageFactory(decree=decree, commune=ambert, kind="zip")
    load_catalogue()
    f.InstallationReferentFactory(department=zone.department, name="Référente installation", email="ref@ars.fr")
    doctor = f.DoctorFactory(zones=[zone], user__email="dr.garnier@exemple.fr", first_name="Lucie", last_name="Garnier")
    worked = f.SlotFactory(site=site, date=datetime.date(2026, 5, 12))
    f.BookingFactory(doctor=doctor, slot=worked, status=Booking.Status.COMPLETED, consultations=11)

    with time_machine.travel(JUNE_2026, tick=True):
        log_in(page, base, "dr.garnier@exemple.fr", PASSWORD)
        expect(page.get_by_role("link", name="Mon année")).to_be_visible()
        page.goto(f"{base}/lieux/")  # the public list of zones (the doctor's space has its own menu)
        page.get_by_role("link", name="S'installer ici : zonage, aides et contacts").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"S'installer ici : {zone.name}")
        main = page.locator("main")
        expect(main).to_contain_text("en vigueur au 15 juin 2026")
        expect(main).to_contain_text("Arrêté de l'ARS n° 2025-17-1113")
        aid = page.locator(".fr-card").filter(has_text="Aide ponctuelle à la première installation en ZIP")
        expect(aid).to_contain_text("10 000 €")
        expect(aid.get_by_role("link", name=re.compile("ameli.fr"))).to_have_attribute(
            "href", re.compile(r"^https://www\.ameli\.fr/")
        )
        expect(page.locator("#aides-expirees ~ .fr-card").filter(has_text="CAIM")).to_contain_text("Expirée")
        expect(main).to_contain_text("Référente installation")
        shoot("installation-01-zone")
        field(page, "Votre message (facultatif)").fill("J'aimerais m'installer à Ambert en 2027.")
        page.get_by_role("button", name="Je souhaite en savoir plus sur une installation ici").click()
        expect(page.get_by_role("status")).to_contain_text("Votre demande est transmise au référent installation")
        expect(main).to_contain_text("est suivie par l'ARS (statut : Nouveau)")
        lead = InstallationLead.objects.get(doctor=doctor)
        assert lead.zone == zone and lead.message == "J'aimerais m'installer à Ambert en 2027."
        assert Message.objects.get(kind="installation_lead").recipient == "ref@ars.fr"
        log_out(page)

        log_in(page, base, "agent@ars.sante.fr", PASSWORD)
        panel = page.locator("#installation + .fr-table")
        expect(panel).to_contain_text(zone.name)
        shoot("installation-02-ars-dashboard")
        page.get_by_role("link", name="Suivre les demandes dans la console").click()
        page.locator(f"input[name=_selected_action][value='{lead.pk}']").check()
        page.locator("select[name=action]").select_option("contact")
        page.locator("button[name=index]").click()
        expect(page.locator(".messagelist")).to_contain_text("1 demande marquée « contacté »")
        lead.refresh_from_db()
        assert lead.status == InstallationLead.Status.CONTACTED and lead.contacted_by == world["ars"]
