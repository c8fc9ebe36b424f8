"""Repeated failed logins lock out the (e-mail, address) pair for a while, on the web, the admin and the API."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from tests import factories as f

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def web_login(client, email, password, *, ip="198.51.100.7", url="/compte/connexion/"):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip)


def api_token(client, email, password, *, ip="198.51.100.7"):
    return client.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, content_type="application/json", REMOTE_ADDR=ip
    )


@pytest.mark.parametrize("url", ["/compte/connexion/", "/admin/login/"])
def test_web_and_admin_logins_lock_out_after_the_limit(client, url):
    user = f.UserFactory(is_staff=url.startswith("/admin"))
    for _ in range(LIMIT - 1):
        response = web_login(client, user.email, "mauvais-mot-de-passe", url=url)
        assert response.status_code == 200  # the form again, with its error
    locked = web_login(client, user.email, "mauvais-mot-de-passe", url=url)
    assert locked.status_code == 429
    assert "Trop de tentatives de connexion infructueuses" in locked.content.decode()
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))

    # Even the right password is refused during the cool-off, and nobody is logged in.
    again = web_login(client, user.email, f.PASSWORD, url=url)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_address_so_an_attacker_cannot_lock_the_owner_out(client):
    user = f.UserFactory()
    for _ in range(LIMIT):
        web_login(client, user.email, "mauvais-mot-de-passe", ip="203.0.113.66")
    assert web_login(client, user.email, f.PASSWORD, ip="203.0.113.66").status_code == 429
    assert web_login(client, user.email, f.PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_email_is_counted_whatever_its_case(client):
    user = f.UserFactory()
    for i in range(LIMIT):
        web_login(client, user.email.upper() if i % 2 else user.email, "mauvais-mot-de-passe")
    assert web_login(client, user.email, f.PASSWORD).status_code == 429


def test_a_success_before_the_limit_resets_the_count(client):
    user = f.UserFactory()
    for _ in range(LIMIT - 1):
        web_login(client, user.email, "mauvais-mot-de-passe")
    assert web_login(client, user.email, f.PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_the_lockout_ends_after_the_cool_off(client):
    user = f.UserFactory()
    for _ in range(LIMIT):
        web_login(client, user.email, "mauvais-mot-de-passe")
    assert web_login(client, user.email, f.PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)
    assert web_login(client, user.email, f.PASSWORD).status_code == 302


def test_the_api_token_endpoint_locks_out_with_a_json_answer(client):
    user = f.UserFactory()
    for _ in range(LIMIT - 1):
        response = api_token(client, user.email, "mauvais-mot-de-passe")
        assert response.status_code == 400
    locked = api_token(client, user.email, "mauvais-mot-de-passe")
    assert locked.status_code == 429
    assert locked.json() == {"code": "locked_out", "detail": locked.json()["detail"]}
    assert "Trop de tentatives" in locked.json()["detail"]
    assert api_token(client, user.email, f.PASSWORD).status_code == 429


def test_web_and_api_failures_add_up(client):
    user = f.UserFactory()
    for i in range(LIMIT):
        if i % 2:
            api_token(client, user.email, "mauvais-mot-de-passe")
        else:
            web_login(client, user.email, "mauvais-mot-de-passe")
    assert api_token(client, user.email, f.PASSWORD).status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_our_proxy_the_address_is_the_one_it_saw_not_one_the_client_claims(client):
    user = f.UserFactory()
    for i in range(LIMIT):
        # The client forges a different X-Forwarded-For each time; our proxy appends the real address last.
        client.post(
            "/compte/connexion/",
            {"username": user.email, "password": "mauvais-mot-de-passe"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.66",
        )
    response = client.post(
        "/compte/connexion/",
        {"username": user.email, "password": f.PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.66",
    )
    assert response.status_code == 429
