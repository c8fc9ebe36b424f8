"""Pro Santé Connect login, end to end against a local OpenID provider (tests/prosante/provider.py): the Django test
client plays the browser on our side, `requests` follows the provider's authorize redirect, and our code talks to
the provider over HTTP (discovery, JWKS, token, userinfo) as it would to PSC."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from accounts.credentials import revoke_credentials
from missions.models import Doctor
from prosante import services
from prosante.views import CANCELLED, FAILED, UNAVAILABLE
from tests import factories as f
from tests.prosante.conftest import log_in_with_psc, through_provider
from tests.prosante.provider import psc_claims

pytestmark = pytest.mark.django_db

BUTTON = "S'identifier avec Pro Santé Connect"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text(response) -> str:
    return response.content.decode()


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


# --- configured or not ---------------------------------------------------------------------------------------


def test_without_settings_the_button_is_absent_and_the_pages_do_not_exist(client, settings):
    settings.PSC_CLIENT_ID = settings.PSC_CLIENT_SECRET = settings.PSC_DISCOVERY_URL = ""
    assert "Pro Santé Connect" not in text(client.get("/compte/connexion/"))
    assert "Pro Santé Connect" not in text(client.get("/medecin/inscription/"))
    for url in [
        "/compte/pro-sante-connect/",
        "/compte/pro-sante-connect/retour/",
        "/medecin/inscription/pro-sante-connect/",
    ]:
        assert client.get(url).status_code == 404


def test_one_setting_missing_is_as_good_as_none(client, psc, settings):
    settings.PSC_CLIENT_SECRET = ""
    assert BUTTON not in text(client.get("/compte/connexion/"))
    assert client.get("/compte/pro-sante-connect/").status_code == 404


def test_configured_the_button_shows_on_the_login_and_registration_pages(client, psc):
    for url in ["/compte/connexion/", "/medecin/inscription/"]:
        page = text(client.get(url))
        assert BUTTON in page
        assert 'href="/compte/pro-sante-connect/' in page


# --- an existing doctor -------------------------------------------------------------------------------------------


def test_an_existing_doctor_logs_in_with_the_rpps_psc_proves(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client)
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    assert int(logged_in_user_id(client)) == doctor.user_id
    assert client.session[services.SESSION_LOGIN_METHOD] == services.LOGIN_METHOD
    assert client.get("/medecin/").status_code == 200
    # What we asked of PSC: its scope and eIDAS level, with a state and a nonce of our own.
    (asked,) = psc.requests
    assert asked["scope"] == "openid scope_all"
    assert asked["acr_values"] == "eidas1"
    assert asked["response_type"] == "code"
    assert len(asked["nonce"]) >= 20 and len(asked["state"]) >= 20


def test_the_userinfo_may_come_as_a_signed_jwt(client, psc, doctor):
    psc.signed_userinfo = True
    psc.person = psc_claims(doctor.rpps)
    log_in_with_psc(client)
    assert int(logged_in_user_id(client)) == doctor.user_id


def test_the_doctor_lands_where_they_were_going(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client, start="/compte/pro-sante-connect/?next=/medecin/missions/")
    assert response["Location"] == "/medecin/missions/"


def test_a_next_to_another_site_is_ignored(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client, start="/compte/pro-sante-connect/?next=https://ailleurs.example/")
    assert response["Location"] == "/compte/"


def test_the_next_of_an_abandoned_attempt_is_not_reused(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    client.get("/compte/pro-sante-connect/?next=/medecin/missions/")  # abandoned at PSC
    response = log_in_with_psc(client)
    assert response["Location"] == "/compte/"


def test_the_session_ends_like_the_others_when_credentials_are_revoked(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    log_in_with_psc(client)
    revoke_credentials(doctor.user)  # suspension, closure: every session ends, this one too
    assert client.get("/medecin/").status_code == 302


# --- accounts PSC may not open ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected", "status"),
    [
        ({"is_staff": True}, services.STAFF_REFUSED, 403),
        ({"is_superuser": True}, services.STAFF_REFUSED, 403),
        ({"is_active": False}, services.INACTIVE, 403),
    ],
)
def test_staff_superusers_and_deactivated_accounts_are_refused(client, psc, doctor, change, expected, status):
    for name, value in change.items():
        setattr(doctor.user, name, value)
    doctor.user.save()
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client)
    assert response.status_code == status
    assert expected.replace("'", "&#x27;") in text(response)
    assert logged_in_user_id(client) is None


def test_a_closed_account_is_refused(client, psc, doctor, ars_staff):
    from accounts.privacy import close_account

    close_account(doctor.user, by=doctor.user)
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client)
    assert response.status_code == 403
    assert "Ce compte a été fermé" in text(response)
    assert logged_in_user_id(client) is None


def test_a_locked_out_pair_is_locked_out_for_psc_too(client, psc, doctor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/compte/connexion/", {"username": doctor.user.email, "password": "mauvais-mot-de-passe"})
    psc.person = psc_claims(doctor.rpps)
    response = log_in_with_psc(client)
    assert response.status_code == 429
    assert "Trop de tentatives de connexion infructueuses" in text(response)
    assert logged_in_user_id(client) is None


# --- people who are not (yet) our doctors ------------------------------------------------------------------------


def test_another_profession_is_refused_kindly(client, psc):
    psc.person = psc_claims(f.with_luhn_key("1000345678"), profession="60")  # 60: infirmier (TRE_G15)
    response = log_in_with_psc(client)
    assert response.status_code == 403
    assert "Pro Santé Connect vous a bien identifié, merci" in text(response)
    assert logged_in_user_id(client) is None
    assert services.SESSION_LOGIN_METHOD not in client.session


def test_an_identifier_without_rpps_is_refused(client, psc):
    psc.person = psc_claims(
        f.with_luhn_key("1000345678"), national_id="ANS20231122132732"
    )  # an ANS sandbox identity (EDIT)
    response = log_in_with_psc(client)
    assert response.status_code == 403
    assert "sans numéro RPPS" in text(response)


# --- what does not prove anything ------------------------------------------------------------------------------


def test_a_state_we_did_not_issue_is_refused(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    callback = through_provider(client, client.get("/compte/pro-sante-connect/"))
    query = parse_qs(urlsplit(callback).query)
    forged = f"/compte/pro-sante-connect/retour/?code={query['code'][0]}&state=etat-invente"
    response = client.get(forged)
    assert response.status_code == 400
    assert FAILED.replace("'", "&#x27;") in text(response)
    assert logged_in_user_id(client) is None


def test_a_return_is_used_once(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    callback = through_provider(client, client.get("/compte/pro-sante-connect/"))
    assert client.get(callback).status_code == 302
    client.logout()
    assert client.get(callback).status_code == 400


def test_a_return_in_another_browser_is_refused(client, psc, doctor):
    """The state lives in the session that started the login: someone else's browser cannot finish it."""
    from django.test import Client

    psc.person = psc_claims(doctor.rpps)
    callback = through_provider(client, client.get("/compte/pro-sante-connect/"))
    other = Client()
    assert other.get(callback).status_code == 400
    assert logged_in_user_id(other) is None


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("nonce", "Invalid claim: 'nonce'"),
        ("issuer", "Invalid claim: 'iss'"),
        ("audience", "Invalid claim: 'aud'"),
        ("expired", "expired"),
        ("signature", "BadSignatureError"),
        ("acr", "Invalid claim: 'acr'"),
        ("userinfo_sub", "userinfo for another subject"),
    ],
)
def test_an_answer_that_does_not_check_out_is_refused(client, psc, doctor, tamper, reason, caplog):
    psc.tamper = tamper
    psc.person = psc_claims(doctor.rpps)
    with caplog.at_level("WARNING", logger="prosante.views"):
        response = log_in_with_psc(client)
    assert response.status_code == 400
    assert reason in caplog.text  # refused for this reason, not another
    assert logged_in_user_id(client) is None


def test_a_person_who_cancels_at_psc_is_told_nothing_was_recorded(client, psc):
    client.get("/compte/pro-sante-connect/")
    response = client.get("/compte/pro-sante-connect/retour/?error=access_denied&state=x")
    assert response.status_code == 200
    assert CANCELLED.replace("'", "&#x27;") in text(response)


# --- PSC down ------------------------------------------------------------------------------------------------------


def test_psc_down_at_the_start_gives_a_french_page_and_password_login_still_works(client, psc, doctor):
    psc.stop()
    response = client.get("/compte/pro-sante-connect/")
    assert response.status_code == 503
    assert UNAVAILABLE.replace("'", "&#x27;") in text(response)
    assert client.get("/compte/connexion/").status_code == 200
    assert client.post("/compte/connexion/", {"username": doctor.user.email, "password": f.PASSWORD}).status_code == 302


def test_psc_down_on_the_return_gives_a_french_page(client, psc, doctor):
    psc.person = psc_claims(doctor.rpps)
    callback = through_provider(client, client.get("/compte/pro-sante-connect/"))
    psc.stop()
    response = client.get(callback)
    assert response.status_code == 503
    assert UNAVAILABLE.replace("'", "&#x27;") in text(response)
    assert logged_in_user_id(client) is None


def test_an_unreachable_discovery_url_is_a_french_page_too(client, psc, settings):
    settings.PSC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"  # discard port: nothing there
    response = client.get("/compte/pro-sante-connect/")
    assert response.status_code == 503
    assert not Doctor.objects.exists()


def test_requests_to_psc_have_a_timeout(psc, settings):
    from prosante.client import _app

    session = _app()._get_session()
    assert session.default_timeout == settings.PSC_TIMEOUT_SECONDS
    assert requests.get(psc.discovery_url, timeout=5).json()["issuer"] == psc.issuer
