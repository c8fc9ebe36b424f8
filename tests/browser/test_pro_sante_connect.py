"""Pro Santé Connect in a real browser: the button on the login page, the round trip through a local OpenID
provider (tests/prosante/provider.py) and back, logged in; and the prefilled application of a new doctor."""

import re

import pytest
from playwright.sync_api import Page, expect

from missions.models import Doctor
from prosante import client as psc_client
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.prosante.provider import LocalProSanteConnect, psc_claims

pytestmark = [pytest.mark.browser]


@pytest.fixture
def psc(settings, live_server):
    callback = f"{live_server.url}/compte/pro-sante-connect/retour/"
    with LocalProSanteConnect(client_id="medecin-solidaire", client_secret="s3cr3t", redirect_uri=callback) as p:
        settings.PSC_CLIENT_ID = "medecin-solidaire"
        settings.PSC_CLIENT_SECRET = "s3cr3t"
        settings.PSC_DISCOVERY_URL = p.discovery_url
        psc_client._apps.clear()
        yield p
    psc_client._apps.clear()


def test_a_doctor_logs_in_with_the_button(page: Page, live_server, world, psc, shoot):
    doctor = f.DoctorFactory(zones=[world["zone"]], user__email="claire.martin@exemple.fr")
    psc.person = psc_claims(doctor.rpps)
    page.goto(f"{live_server.url}/compte/connexion/")
    shoot("psc-login")
    page.get_by_role("link", name="S'identifier avec Pro Santé Connect").click()
    expect(page).to_have_url(re.compile(r"/medecin/$"))
    expect(page.locator("main h1")).to_have_count(1)
    assert "Pro Santé Connect" not in page.url


def test_a_new_doctor_files_a_prefilled_application(page: Page, live_server, world, psc, shoot):
    commune = world["commune"]
    rpps = with_luhn_key("1007654321")
    psc.person = psc_claims(rpps, first_name="JULIE", last_name="DURAND", commune_code=commune.insee_code)
    page.goto(f"{live_server.url}/medecin/inscription/")
    page.get_by_role("link", name="S'identifier avec Pro Santé Connect").click()
    expect(page).to_have_url(re.compile(r"/medecin/inscription/pro-sante-connect/$"))
    shoot("psc-registration")
    rpps_box = page.locator("input[name=rpps]")
    expect(rpps_box).to_have_value(rpps)
    expect(rpps_box).to_be_disabled()
    expect(page.locator("input[name=first_name]")).to_have_value("Julie")
    expect(page.locator("input[name=specialty]")).to_have_value("Médecine générale")
    page.locator("input[name=email]").fill("julie.durand@exemple.fr")
    page.locator("label", has_text=re.compile(r"^\s*Secteur 1\s*$")).click()
    page.locator("label", has_text=re.compile(rf"^\s*{re.escape(world['zone'].name)}")).click()
    page.get_by_role("button", name="Déposer mon dossier").click()
    expect(page.locator("main h1")).to_have_text("Dossier reçu")
    assert Doctor.objects.get(user__email="julie.durand@exemple.fr").rpps == rpps
