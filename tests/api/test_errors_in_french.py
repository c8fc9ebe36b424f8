"""Every error a client or a person reads from the API is in French: a walk through DRF's known error paths."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

# Words that only an English message would hold.
ENGLISH = re.compile(
    r"\b(No|not|matches|given|query|Failed|missing|Invalid|Method|allowed|Unsupported|media|"
    r"Authentication|credentials|provided|Request|throttled|Expected|available|seconds|Not found)\b"
)


def assert_french(response, status):
    assert response.status_code == status, response.content[:300]
    text = response.content.decode()
    detail = response.json()["detail"]
    assert detail, text
    assert not ENGLISH.search(detail), detail


def test_the_known_error_paths_answer_in_french(client, doctor, zone):
    cache.clear()
    client.force_login(doctor.user)
    # 404 from get_object_or_404 (Django's Http404 carries « No Booking matches the given query. »)
    for url in ["/api/v1/bookings/999999/", "/api/v1/zones/999999/", "/api/v1/slots/999999/"]:
        assert_french(client.get(url), 404)
    assert_french(client.get("/api/v1/zones/?page=999"), 404)
    assert_french(client.delete("/api/v1/zones/"), 405)
    assert_french(client.get("/api/v1/zones/", HTTP_ACCEPT="text/csv"), 406)
    assert_french(client.post("/api/v1/bookings/", "a=b", content_type="text/plain"), 415)
    assert_french(client.get("/api/v1/statements/"), 403)

    # CSRF: a browser session writing without the token
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(doctor.user)
    assert_french(csrf_client.post("/api/v1/bookings/", {}, content_type="application/json"), 403)
    csrf_client.cookies["csrftoken"] = "x" * 32
    assert_french(csrf_client.post("/api/v1/bookings/", {}, content_type="application/json"), 403)

    anonymous = Client()
    assert_french(anonymous.get("/api/v1/zones/"), 401)
    for header in ["Token abc", "Token a b", "Token", "Basic Zm9vOmJhcg=="]:
        response = anonymous.get("/api/v1/zones/", HTTP_AUTHORIZATION=header)
        assert response.status_code in (401, 403)
        assert_french(response, response.status_code)

    # 429: throttled token endpoint
    for _ in range(12):
        response = anonymous.post(
            "/api/v1/auth/token/", {"email": "x@exemple.fr", "password": "x"}, content_type="application/json"
        )
    assert_french(response, 429)
    cache.clear()


def test_a_django_permission_denied_in_the_api_is_french():
    from django.core.exceptions import PermissionDenied

    from api.errors import FORBIDDEN, api_exception_handler

    response = api_exception_handler(PermissionDenied("You do not have permission"), {})
    assert response.status_code == 403
    assert response.data == {"detail": FORBIDDEN}
