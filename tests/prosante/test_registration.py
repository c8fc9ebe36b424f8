"""An unknown doctor identified by Pro Santé Connect files their application on a form prefilled from the userinfo,
with the RPPS number PSC proved: shown, not editable, and never taken from what the browser posts."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from missions.models import Doctor
from prosante.views import IDENTITY_TTL_SECONDS, SESSION_IDENTITY
from tests import factories as f
from tests.prosante.conftest import log_in_with_psc
from tests.prosante.provider import psc_claims

pytestmark = pytest.mark.django_db

PROVEN_RPPS = f.with_luhn_key("1004242424")
OTHER_RPPS = f.with_luhn_key("1009999999")


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def commune(zone):
    return f.CommuneFactory(insee_code="63113", name="Clermont-Ferrand", postcodes="63000 63100")


def identified(client, psc, **claims):
    psc.person = psc_claims(PROVEN_RPPS, **claims)
    response = log_in_with_psc(client)
    assert response.status_code == 302
    assert response["Location"] == "/medecin/inscription/pro-sante-connect/"
    assert client.session.get(SESSION_KEY) is None  # no account yet: nobody is logged in
    return client.get(response["Location"])


def application(zone, **overrides):
    data = {
        "first_name": "Claire",
        "last_name": "Martin",
        "email": "claire.martin@exemple.fr",
        "phone": "",
        "password": "",
        "password_confirm": "",
        "rpps": OTHER_RPPS,  # what a tampered browser would post: ignored
        "specialty": "Médecine générale",
        "sector": "1",
        "mode": "liberal",
        "practice_commune": "63113",
        "zones": [zone.pk],
    }
    data.update(overrides)
    return data


def test_the_form_is_prefilled_from_the_userinfo_and_the_rpps_is_locked(client, psc, commune):
    page = identified(client, psc, mode="S", specialty="SM40")
    form = page.context["form"]
    assert page.status_code == 200
    assert form.initial["first_name"] == "Claire"
    assert form.initial["last_name"] == "Martin"  # « MARTIN » in the directory, as people write it here
    assert form.initial["rpps"] == PROVEN_RPPS
    assert form.initial["specialty"] == "Pédiatrie"  # SM40 (TRE_R38)
    assert form.initial["mode"] == "salarie"  # S (TRE_R23)
    assert form.initial["practice_commune"] == "63113"
    assert form.fields["rpps"].disabled
    html = page.content.decode()
    assert f'value="{PROVEN_RPPS}"' in html
    assert "disabled" in html.split('name="rpps"')[1].split(">")[0]
    assert "Identifié par Pro Santé Connect" in html
    assert "CABINET DU DR MARTIN" in html


def test_a_commune_found_by_its_only_postcode(client, psc, zone):
    f.CommuneFactory(insee_code="63178", name="Issoire", postcodes="63500")
    page = identified(client, psc, postcode="63500", commune_code="")
    assert page.context["form"].initial["practice_commune"] == "63178"


def test_the_application_keeps_the_proven_rpps_whatever_is_posted(client, psc, zone, commune):
    identified(client, psc)
    response = client.post("/medecin/inscription/pro-sante-connect/", application(zone))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert response["Location"] == "/medecin/inscription/dossier-recu/"
    doctor = Doctor.objects.get(user__email="claire.martin@exemple.fr")
    assert doctor.rpps == PROVEN_RPPS
    assert not Doctor.objects.filter(rpps=OTHER_RPPS).exists()
    assert doctor.status == Doctor.Status.SUBMITTED
    assert not doctor.user.has_usable_password()  # no password chosen: PSC only
    assert SESSION_IDENTITY not in client.session  # used once
    assert "connectez-vous avec Pro Santé Connect" in client.get(response["Location"]).content.decode()

    # Next time, PSC logs them straight in.
    client.logout()
    psc.person = psc_claims(PROVEN_RPPS)
    again = log_in_with_psc(client)
    assert again["Location"] == "/compte/"
    assert int(client.session[SESSION_KEY]) == doctor.user_id


def test_a_password_may_be_chosen_too(client, psc, zone, commune):
    identified(client, psc)
    client.post(
        "/medecin/inscription/pro-sante-connect/",
        application(zone, password="Stethoscope-2026", password_confirm="Stethoscope-2026"),
    )
    user = Doctor.objects.get(rpps=PROVEN_RPPS).user
    assert user.check_password("Stethoscope-2026")


def test_a_weak_or_unconfirmed_password_is_refused(client, psc, zone, commune):
    identified(client, psc)
    weak = client.post(
        "/medecin/inscription/pro-sante-connect/", application(zone, password="123", password_confirm="123")
    )
    assert weak.status_code == 200
    assert "password" in weak.context["form"].errors
    alone = client.post("/medecin/inscription/pro-sante-connect/", application(zone, password="Stethoscope-2026"))
    assert "password_confirm" in alone.context["form"].errors
    assert not Doctor.objects.exists()


def test_without_a_proven_identity_the_form_sends_back_to_the_ordinary_registration(client, psc, zone):
    response = client.get("/medecin/inscription/pro-sante-connect/")
    assert response.status_code == 302
    assert response["Location"] == "/medecin/inscription/"
    posted = client.post("/medecin/inscription/pro-sante-connect/", application(zone))
    assert posted.status_code == 302
    assert not Doctor.objects.exists()


def test_the_proven_identity_expires(client, psc, zone, commune):
    identified(client, psc)
    session = client.session
    session[SESSION_IDENTITY]["at"] -= IDENTITY_TTL_SECONDS + 1  # proven longer ago than the form waits for
    session.save()
    response = client.post("/medecin/inscription/pro-sante-connect/", application(zone))
    assert response["Location"] == "/medecin/inscription/"
    assert not Doctor.objects.exists()
