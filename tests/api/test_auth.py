"""Obtaining a token, using it, session authentication with CSRF, French messages, throttling of the token
endpoint, and the second factor ARS staff owe before they get a token."""

import pytest
from django.conf import settings
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from tests import factories as f
from tests.api.conftest import OTHER_ADDRESS, client_for, otp_code

TOKEN_URL = "/api/v1/auth/token/"


def rate_count(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


@pytest.mark.django_db
def test_a_token_obtained_with_email_and_password_authenticates_requests(doctor):
    response = APIClient().post(TOKEN_URL, {"email": doctor.user.email.upper(), "password": f.PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/doctors/me/")
    assert me.status_code == 200
    assert me.json()["id"] == doctor.pk


@pytest.mark.django_db
def test_the_same_token_is_returned_until_revoked(doctor):
    first = APIClient().post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD}).json()["token"]
    second = APIClient().post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD}).json()["token"]
    assert first == second


@pytest.mark.django_db
def test_wrong_credentials_are_a_400_in_french(doctor):
    response = APIClient().post(TOKEN_URL, {"email": doctor.user.email, "password": "mauvais-mot-de-passe"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Adresse e-mail ou mot de passe incorrect (ou compte désactivé)."]}


@pytest.mark.django_db
def test_an_inactive_account_gets_no_token(doctor):
    doctor.user.is_active = False
    doctor.user.save()
    response = APIClient().post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD})
    assert response.status_code == 400


@pytest.mark.django_db
def test_missing_fields_are_named():
    response = APIClient().post(TOKEN_URL, {"email": "pas-une-adresse"})
    assert response.status_code == 400
    body = response.json()
    assert body["email"] == ["Saisissez une adresse e-mail valide."]
    assert body["password"] == ["Ce champ est obligatoire."]


@pytest.mark.django_db
def test_ars_staff_need_their_second_factor_code_to_get_a_token(ars_staff):
    without = APIClient().post(TOKEN_URL, {"email": ars_staff.email, "password": f.PASSWORD})
    assert without.status_code == 400
    assert "otp_token" in without.json()
    wrong = APIClient().post(TOKEN_URL, {"email": ars_staff.email, "password": f.PASSWORD, "otp_token": "000000"})
    assert wrong.status_code == 400
    right = APIClient().post(
        TOKEN_URL, {"email": ars_staff.email, "password": f.PASSWORD, "otp_token": otp_code(ars_staff)}
    )
    assert right.status_code == 200, right.content


@pytest.mark.django_db
def test_without_credentials_the_api_answers_401_in_french():
    response = APIClient().get("/api/v1/zones/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Informations d'authentification non fournies."}
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_an_unknown_token_is_a_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/zones/").status_code == 401


@pytest.mark.django_db
def test_session_authentication_works_and_enforces_csrf(doctor, slot):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(doctor.user)
    assert client.get("/api/v1/bookings/").status_code == 200

    refused = client.post("/api/v1/bookings/", {"slot": slot.pk})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    csrf = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    accepted = client.post("/api/v1/bookings/", {"slot": slot.pk}, HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201, accepted.content


@pytest.mark.django_db
def test_the_token_endpoint_is_throttled_per_address(doctor):
    limit = rate_count("token")
    client = APIClient()
    for _ in range(limit):
        assert client.post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD}).status_code == 200
    throttled = client.post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD})
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("Requête ralentie.")
    assert "Retry-After" in throttled.headers
    # Another address is counted apart; a spoofed X-Forwarded-For is not (no trusted proxy by default).
    spoofed = client.post(
        TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert spoofed.status_code == 429
    elsewhere = client.post(TOKEN_URL, {"email": doctor.user.email, "password": f.PASSWORD}, REMOTE_ADDR=OTHER_ADDRESS)
    assert elsewhere.status_code == 200


@pytest.mark.django_db
def test_authenticated_endpoints_are_not_throttled(doctor):
    client = client_for(doctor.user)
    for _ in range(rate_count("token") + 2):
        assert client.get("/api/v1/zones/").status_code == 200


# --- the token's read, by SQL composed once (api.authentication, #20 round 3) ----------------------------------


def _drf_and_ours(header: str):
    """What DRF's own TokenAuthentication and ours answer to the same Authorization header (user, token or error)."""
    from rest_framework import authentication, exceptions
    from rest_framework.test import APIRequestFactory

    from api.authentication import TokenAuthentication

    answers = []
    for authenticator in (authentication.TokenAuthentication(), TokenAuthentication()):
        request = APIRequestFactory().get("/api/v1/zones/", HTTP_AUTHORIZATION=header)
        try:
            answers.append(authenticator.authenticate(request))
        except exceptions.AuthenticationFailed as exc:
            answers.append(("refused", str(exc.detail), exc.status_code))
    return answers


@pytest.mark.django_db
def test_the_token_authenticates_as_drf_does(doctor, django_assert_num_queries):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=doctor.user)
    (drf_user, drf_token), (user, ours) = _drf_and_ours(f"Token {token.key}")

    assert (user, ours) == (drf_user, drf_token) == (doctor.user, token)
    # Every column loaded as the ORM loads it, the user cached on the token as select_related caches it.
    assert [getattr(user, f.attname) for f in user._meta.concrete_fields] == [
        getattr(drf_user, f.attname) for f in drf_user._meta.concrete_fields
    ]
    assert (ours.created, ours.user_id) == (drf_token.created, drf_token.user_id)
    with django_assert_num_queries(0):
        assert ours.user is user


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["unknown", "inactive", "no key", "spaces"])
def test_a_refused_token_is_refused_as_drf_refuses_it(doctor, case):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=doctor.user)
    header = {
        "unknown": "Token 0000000000000000000000000000000000000000",
        "inactive": f"Token {token.key}",
        "no key": "Token",
        "spaces": f"Token {token.key} more",
    }[case]
    if case == "inactive":
        doctor.user.is_active = False
        doctor.user.save()

    drf, ours = _drf_and_ours(header)

    assert ours == drf
    assert ours[0] == "refused"
    assert ours[2] == 401


@pytest.mark.django_db
def test_an_api_call_reads_the_token_with_its_user_in_one_statement(doctor):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] == "api.authentication.TokenAuthentication"
    client = client_for(doctor.user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/doctors/me/")
    assert response.status_code == 200
    token_reads = [q["sql"] for q in captured.captured_queries if "authtoken_token" in q["sql"]]
    assert len(token_reads) == 1
    assert "JOIN" in token_reads[0] and "accounts_user" in token_reads[0]
    assert sum("accounts_user" in q["sql"] for q in captured.captured_queries[:1]) == 1
