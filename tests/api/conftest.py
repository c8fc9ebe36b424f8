"""Helpers of the API tests: clients that authenticate like real clients (with a token), a clean throttle
state for each test, and dates relative to today (Europe/Paris)."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.throttles import RegistrationThrottle, TokenThrottle

CLIENT_ADDRESS = "127.0.0.1"
OTHER_ADDRESS = "198.51.100.7"


def in_days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def client_for(user=None) -> APIClient:
    """An API client sending `Authorization: Token …` for `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def otp_code(user) -> str:
    """A valid second-factor code for `user` (ARS staff must give one to obtain a token)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttles count per client address in the cache: each test starts with a clean count."""
    keys = [
        throttle.cache_format % {"scope": throttle.scope, "ident": address}
        for throttle in (TokenThrottle, RegistrationThrottle)
        for address in (CLIENT_ADDRESS, OTHER_ADDRESS)
    ]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)
