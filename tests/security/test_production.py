"""Production mode: `check --deploy` is clean, and real responses carry the headers and cookies a review expects."""

import re

import pytest
from django.test import override_settings

from tests import factories as f
from tests.security.production import production_env, production_settings, run_manage

pytestmark = pytest.mark.django_db

PAGES = {
    "accueil": "/",
    "connexion": "/compte/connexion/",
    "connexion de l'admin": "/admin/login/",
    "schéma de l'API": "/api/schema/",
}


def test_check_deploy_reports_nothing_in_production_mode():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is required"),
        ({"DATABASE_URL": ""}, "DATABASE_URL (PostgreSQL) is required"),
        ({"OTP_REQUIRED": "false"}, "OTP_REQUIRED cannot be switched off"),
        ({"DEBUG": "true"}, "DEBUG cannot be switched on"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(overrides, complaint):
    result = run_manage("check", env=production_env(**overrides))
    assert result.returncode != 0
    assert complaint in result.stderr


def test_a_short_secret_key_fails_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY="court"))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def prod():
    return production_settings()


def test_production_settings_are_the_hardened_ones(prod):
    assert prod["DEBUG"] is False
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["SESSION_COOKIE_SECURE"] and prod["SESSION_COOKIE_HTTPONLY"]
    assert prod["CSRF_COOKIE_SECURE"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SESSION_COOKIE_AGE"] <= 12 * 3600
    assert prod["X_FRAME_OPTIONS"] == "DENY"
    assert prod["OTP_REQUIRED"] and prod["AXES_ENABLED"]


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            parsed[tokens[0]] = tokens[1:]
    return parsed


def _assert_hardened_headers(response, name):
    assert response.status_code == 200, f"{name}: {response.status_code}"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", name
    assert response["X-Frame-Options"] == "DENY", name
    assert response["Referrer-Policy"] == "same-origin", name
    assert response["X-Content-Type-Options"] == "nosniff", name
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"], name
    assert csp["frame-ancestors"] == ["'none'"], name
    assert csp["object-src"] == ["'none'"], name
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive], f"{name}: {directive} {csp[directive]}"
        assert "'unsafe-eval'" not in csp[directive], f"{name}: {directive} {csp[directive]}"
        assert not any(source.startswith(("http:", "https:", "*")) for source in csp[directive]), name
    assert "upgrade-insecure-requests" in csp, name


@pytest.mark.parametrize("name", PAGES)
def test_real_pages_carry_the_security_headers(client, prod, name):
    with override_settings(**prod, ALLOWED_HOSTS=["medecin.example.fr"]):
        response = client.get(PAGES[name], secure=True, headers={"host": "medecin.example.fr"})
        _assert_hardened_headers(response, name)


def test_plain_http_is_redirected_to_https(client, prod):
    with override_settings(**prod, ALLOWED_HOSTS=["medecin.example.fr"]):
        response = client.get("/compte/connexion/", headers={"host": "medecin.example.fr"})
    assert response.status_code == 301
    assert response["Location"] == "https://medecin.example.fr/compte/connexion/"


def test_session_and_csrf_cookies_are_secure_and_http_only(client, prod):
    doctor = f.DoctorFactory()
    with override_settings(**prod, ALLOWED_HOSTS=["medecin.example.fr"]):
        page = client.get("/compte/connexion/", secure=True, headers={"host": "medecin.example.fr"})
        csrf = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
        response = client.post(
            "/compte/connexion/",
            {"username": doctor.user.email, "password": f.PASSWORD, "csrfmiddlewaretoken": token},
            secure=True,
            headers={"host": "medecin.example.fr", "referer": "https://medecin.example.fr/compte/connexion/"},
        )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    assert session["max-age"] == ""  # expires with the browser; the server forgets it after SESSION_COOKIE_AGE


def test_csp_is_applied_outside_production_too(client):
    """Developers meet the policy while they write templates, not on the day of the release."""
    response = client.get("/compte/connexion/")
    csp = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"]
    assert response["X-Frame-Options"] == "DENY"


def test_csrf_failure_is_explained_in_french(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/compte/connexion/", {"username": "a@b.fr", "password": "x"})
    assert response.status_code == 403
    assert "Le formulaire a expiré" in response.content.decode()
    assert "Rien n'a été enregistré" in response.content.decode()
