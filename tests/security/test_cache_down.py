"""Redis (the cache) down: the throttles and the lockout degrade — they log and let the request through — and the
application keeps serving. « Down » is a real Redis client pointed at a closed port, not a mock."""

import logging
import socket

import pytest
from rest_framework.test import APIClient

from missions.models import Doctor
from sites.identifiers import with_luhn_key
from tests import factories as f

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # released on exit: nobody listens there


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }


def test_the_token_endpoint_keeps_serving_without_its_cache(redis_down, caplog):
    user = f.UserFactory()
    with caplog.at_level(logging.WARNING):
        response = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": f.PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json()["token"]
    assert "cache" in caplog.text.lower()

    wrong = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": "mauvais-mot-de-passe"})
    assert wrong.status_code == 400


def test_registration_keeps_serving_without_its_cache(redis_down, zone):
    commune = f.CommuneFactory()
    body = {
        "email": "sans.cache@exemple.fr",
        "password": "Un-mot-de-passe-solide-2025",
        "first_name": "Claire",
        "last_name": "Dupont",
        "rpps": with_luhn_key("8100000042"),
        "sector": "1",
        "practice_commune": commune.insee_code,
        "zones": [zone.pk],
    }
    response = APIClient().post("/api/v1/doctors/", body)
    assert response.status_code == 201, response.content
    assert Doctor.objects.filter(user__email="sans.cache@exemple.fr").exists()


def test_the_web_login_keeps_serving_without_its_cache(redis_down, client):
    user = f.UserFactory()
    response = client.post("/compte/connexion/", {"username": user.email, "password": f.PASSWORD})
    assert response.status_code == 302


def test_the_lockout_still_holds_without_the_cache(redis_down, client):
    from django.conf import settings

    user = f.UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/compte/connexion/", {"username": user.email, "password": "mauvais-mot-de-passe"})
    assert client.post("/compte/connexion/", {"username": user.email, "password": f.PASSWORD}).status_code == 429
