"""Logs never contain passwords, tokens, Authorization headers or request bodies."""

import io
import logging

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from accounts.log_scrubbing import MASK, ScrubSecretsFilter, scrub
from tests import factories as f

pytestmark = pytest.mark.django_db

SECRET_PASSWORD = "Mot2Passe-Tres-Secret-4521"
BODY_MARKER = "CORPS-DE-REQUETE-7f3a9c"


@pytest.fixture
def log_output():
    """What the product's console handler (the one every logger writes through) prints during the test."""
    handlers = [
        h for h in logging.getLogger().handlers if any(isinstance(flt, ScrubSecretsFilter) for flt in h.filters)
    ]
    assert handlers, "the console handler of settings.LOGGING must carry the scrubbing filter"
    handler = handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    levels = {name: logging.getLogger(name).level for name in ("", "django", "django.request", "axes")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    cache.clear()
    yield stream
    handler.setStream(previous)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_failed_login_leaves_no_password_in_the_logs(client, log_output):
    user = f.UserFactory()
    for _ in range(6):  # up to the lockout, which axes logs with the client's details
        client.post("/compte/connexion/", {"username": user.email, "password": SECRET_PASSWORD})
    client.post("/api/v1/auth/token/", {"email": user.email, "password": SECRET_PASSWORD})
    output = log_output.getvalue()
    assert "AXES" in output  # the failures are logged…
    assert SECRET_PASSWORD not in output  # …without the password


def test_an_api_call_with_a_token_leaves_neither_token_nor_body_in_the_logs(client, doctor, log_output):
    token = Token.objects.create(user=doctor.user)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    client.get("/api/v1/bookings/999999/", **auth)  # 404, logged by django.request
    client.post(
        "/api/v1/bookings/",
        data='{"slot": "' + BODY_MARKER + '", "password": "' + SECRET_PASSWORD + '"}',
        content_type="application/json",
        **auth,
    )  # 400, logged too
    client.post("/api/v1/bookings/", data="{pas du json " + BODY_MARKER, content_type="application/json", **auth)
    client.get("/api/v1/zones/", HTTP_AUTHORIZATION="Token " + "f" * 40)  # an unknown token: 401
    output = log_output.getvalue()
    assert "/api/v1/bookings/" in output  # the requests are logged…
    for secret in (token.key, "f" * 40, BODY_MARKER, SECRET_PASSWORD):
        assert secret not in output  # …never what they carried


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("login failed password=hunter2-secret&next=/", "hunter2-secret"),
        ('payload {"email": "a@b.fr", "password": "hunter2-secret"}', "hunter2-secret"),
        ("{'token': 'abcdef0123456789abcdef'}", "abcdef0123456789abcdef"),
        (
            "headers Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
            "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        ),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9.e30.sig"),
        ("{'HTTP_AUTHORIZATION': 'Token 9944b09199c62bcf'}", "9944b09199c62bcf"),
        (
            '"GET /compte/mot-de-passe/nouveau/MTA/cfn3kq-4a7b1c2d3e4f5a6b7c8d/ HTTP/1.1" 200',
            "cfn3kq-4a7b1c2d3e4f5a6b7c8d",
        ),
        ('"GET /calendrier/Zp8sLQ3vN1xY_7uWq9rT2eK5mJ0aBcDe.ics HTTP/1.1" 200', "Zp8sLQ3vN1xY_7uWq9rT2eK5mJ0aBcDe"),
        ('"GET /invitation/Zp8sLQ3vN1xY_7uWq9rT2eK5/ HTTP/1.1" 200', "Zp8sLQ3vN1xY_7uWq9rT2eK5"),
        ("otp_token=123456", "123456"),
        ("sessionid=abcdefghijklmnop1234", "abcdefghijklmnop1234"),
    ],
)
def test_the_filter_masks_every_shape_of_secret(line, secret):
    cleaned = scrub(line)
    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "Not Found: /api/v1/bookings/12/",
        'booking refused {"code": "slot_full", "detail": "Ce créneau est complet."}',
        '"GET /medecin/calendrier/ HTTP/1.1" 200 5120',
        '"POST /medecin/calendrier/renouveler/ HTTP/1.1" 302 0',
    ],
)
def test_the_filter_leaves_ordinary_lines_alone(line):
    assert scrub(line) == line


def test_the_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "login with %s", ("password=hunter2-secret",), None)
    try:
        raise ValueError("token=abcdef0123456789")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    record.request = object()
    assert ScrubSecretsFilter().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert "hunter2-secret" not in formatted
    assert "abcdef0123456789" not in formatted
    assert record.request is None
