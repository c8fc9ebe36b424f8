"""Helpers of the web-space tests: a logged-in browser (Django's test client) per persona."""

import re

import pytest


@pytest.fixture(autouse=True)
def _web_settings(settings):
    """A cheap password hasher (factories hash one per user); the second factor of ARS staff has its own tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_REQUIRED = False
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def doctor_client(client, doctor):
    client.force_login(doctor.user)
    return client


@pytest.fixture
def site_client(client, site_member):
    client.force_login(site_member)
    return client


@pytest.fixture
def ars_client(client, ars_staff):
    client.force_login(ars_staff)
    return client


def text_of(response) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&nbsp;", " ").split())
