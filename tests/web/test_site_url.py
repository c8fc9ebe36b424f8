"""Absolute links (iCal URL, .ics events, e-mails) follow the address served in development without SITE_URL;
work done without a request keeps SITE_URL; production-like settings always use SITE_URL."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from config.site_url import site_url
from notifications.outbox import render
from tests import factories as f
from tests.security.production import ROOT

pytestmark = pytest.mark.django_db

SERVED = "localhost:8765"


@pytest.fixture
def follow(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.SITE_URL_FROM_REQUEST = True
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    return settings


def test_the_ical_address_follows_the_address_served(client, doctor, follow):
    client.force_login(doctor.user)
    page = client.get("/medecin/calendrier/", HTTP_HOST=SERVED).content.decode()
    assert f"http://{SERVED}/calendrier/{doctor.ical_token}.ics" in page
    assert "127.0.0.1:8000" not in page


def test_the_ics_feed_links_to_the_address_served(client, doctor, site, follow):
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=5)))
    body = client.get(f"/calendrier/{doctor.ical_token}.ics", HTTP_HOST=SERVED).content.decode()
    assert f"http://{SERVED}/medecin/missions/" in body.replace("\r\n ", "")


def test_an_e_mail_sent_while_serving_links_to_the_address_served(client, doctor, follow):
    from notifications.models import Message

    client.post("/compte/mot-de-passe/oublie/", {"email": doctor.user.email}, HTTP_HOST=SERVED)
    message = Message.objects.get(kind="password_reset")
    assert f"http://{SERVED}/compte/mot-de-passe/nouveau/" in message.body_text


def test_without_a_request_links_keep_site_url(follow):
    assert site_url() == "http://127.0.0.1:8000"
    user = f.UserFactory()
    _, text, _ = render("password_reset", {"user": user, "uid": "MQ", "token": "abc-def"})
    assert "http://127.0.0.1:8000/compte/mot-de-passe/nouveau/" in text


def test_with_site_url_set_the_request_is_ignored(client, doctor, settings):
    settings.SITE_URL = "https://medecin.example.fr"
    settings.SITE_URL_FROM_REQUEST = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    client.force_login(doctor.user)
    page = client.get("/medecin/calendrier/", HTTP_HOST=SERVED).content.decode()
    assert f"https://medecin.example.fr/calendrier/{doctor.ical_token}.ics" in page


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_ENV": "development"}, True),
        ({"DJANGO_ENV": "development", "SITE_URL": "https://medecin.example.fr"}, False),
        ({"DJANGO_ENV": "development", "DEBUG": "false"}, False),
        ({"DJANGO_ENV": "test"}, False),
    ],
)
def test_the_setting_is_on_only_in_development_without_site_url(env, expected):
    """Read in a child process: settings are computed once per process."""
    environment = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "DEBUG", "DJANGO_ENV")}
    code = "import django; from django.conf import settings; django.setup(); print(settings.SITE_URL_FROM_REQUEST)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(expected)
