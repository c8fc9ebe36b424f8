"""The OpenAPI schema describes every operation with its error responses and is valid; the documentation pages
render it with assets served by the application (no CDN)."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from api.urls import router


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_generates_without_a_single_warning(tmp_path):
    """What CI would run: `manage.py spectacular --validate --fail-on-warn` (it raises on any warning)."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/bookings/{id}/attest/" in yaml.safe_load(target.read_text())["paths"]


def test_every_routed_operation_is_in_the_schema(schema):
    routed = {"/api/v1/auth/token/"} | {
        "/api/v1/" + re.sub(r"\(\?P<\w+>[^)]+\)", "{id}", url.pattern.regex.pattern.lstrip("^").rstrip("$"))
        for url in router.urls
        if url.name != "api-root"  # the browsable index of /api/v1/ is navigation, not an operation
    }
    assert routed <= set(schema["paths"])


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert codes & {"200", "201", "204"}, where
        if (
            operation.get("security") != [{}]
            and path not in {"/api/v1/auth/token/"}
            and not (path == "/api/v1/doctors/" and method == "post")
        ):
            assert "401" in codes, where
        if method in {"post", "put", "patch"}:
            assert "400" in codes, where
        if "{id}" in path:
            assert "404" in codes, where
        assert all(operation["responses"][code].get("description") for code in codes if code >= "400"), where


def test_business_rules_document_their_409_codes(schema):
    booking = schema["paths"]["/api/v1/bookings/"]["post"]
    assert "409" in booking["responses"]
    for code in (
        "slot_full",
        "monthly_cap_reached",
        "already_booked_that_day",
        "doctor_not_validated",
        "zone_not_covered",
        "replacement_required",
        "replacement_not_declared",
    ):
        assert code in booking["responses"]["409"]["description"]
    [conflict] = [c["enum"] for c in schema["components"]["schemas"].values() if "slot_full" in c.get("enum", [])]
    assert {"zone_not_covered", "replacement_required", "replacement_not_declared"} <= set(conflict)
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in booking["parameters"])
    for action in ("confirm", "decline", "cancel", "attest"):
        assert "409" in schema["paths"][f"/api/v1/bookings/{{id}}/{action}/"]["post"]["responses"]


def test_throttled_operations_document_429(schema):
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/v1/doctors/"]["post"]["responses"]


def test_list_parameters_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/slots/"]["get"]["parameters"]}
    assert {"zone", "site", "date_after", "date_before", "available", "page", "page_size"} <= names
    names = {p["name"] for p in schema["paths"]["/api/v1/bookings/"]["get"]["parameters"]}
    assert {"status", "date_after", "date_before"} <= names
    names = {p["name"] for p in schema["paths"]["/api/v1/coverage/"]["get"]["parameters"]}
    assert "month" in names


@pytest.mark.django_db
def test_the_schema_is_served_as_openapi():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert "/api/v1/bookings/{id}/confirm/" in served["paths"]


@pytest.mark.django_db
def test_the_documentation_page_loads_everything_from_the_application():
    client = APIClient()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [s for s in sources if not s.startswith("/")], sources  # nothing from another origin
    assets = [s for s in sources if s.startswith("/static/")]
    assert any(s.endswith("swagger-ui-bundle.js") for s in assets), sources
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    # No inline script (our CSP forbids them): the start-up script comes from the view itself.
    assert not re.search(r"<script>", html)
    [script] = [s for s in sources if "script" in s and not s.startswith("/static/")]
    start_up = client.get(script.replace("&amp;", "&"))
    assert start_up.status_code == 200
    assert "/api/schema/" in start_up.content.decode()
    csp = page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
