"""Pages, exports and feeds with personal data are sent with `Cache-Control: no-store` (no browser or proxy keeps
a copy); anonymous public pages keep their caching."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from billing.services import generate_statement, issue_statement
from tests.billing.conftest import OCTOBER, attested_day, cpam  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def assert_no_store(response, name):
    assert response.status_code == 200, f"{name}: {response.status_code}"
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, f"{name}: {response.get('Cache-Control')!r}"


@pytest.fixture
def issued(doctor, cpam, attested_day, ars_staff):  # noqa: F811 (fixtures imported above)
    attested_day(doctor, datetime.date(2025, 10, 7))
    return issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)


def test_the_cpam_space_and_its_exports_are_never_stored(
    client, cpam_agent, issued, django_capture_on_commit_callbacks
):
    client.force_login(cpam_agent)
    with django_capture_on_commit_callbacks(execute=True):  # the XLSX is prepared (in-process: no broker)
        client.post(reverse("billing:statement_export_prepare", args=[issued.pk, "xlsx"]))
    response = client.get(reverse("billing:statement_export_file", args=[issued.pk, "xlsx"]))
    b"".join(response.streaming_content)
    assert_no_store(response, "statement_export_file")
    assert_no_store(client.get("/cpam/"), "/cpam/")
    for name in ("statement_detail", "statement_csv", "statement_xlsx", "statement_pdf"):
        url = reverse(f"billing:{name}", args=[issued.pk])
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert_no_store(response, url)


def test_api_exports_with_a_token_are_never_stored(client, cpam_agent, issued, django_capture_on_commit_callbacks):
    token = Token.objects.create(user=cpam_agent)
    for fmt in ("csv", "xlsx", "pdf"):
        url = f"/api/v1/statements/{issued.pk}/{fmt}/"
        with django_capture_on_commit_callbacks(execute=True):  # XLSX, PDF: prepared in-process (no broker)
            client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert_no_store(response, fmt)


def test_my_data_and_my_pages_are_never_stored(client, doctor):
    client.force_login(doctor.user)
    assert_no_store(client.get("/compte/mes-donnees.json"), "mes-donnees.json")
    assert_no_store(client.get("/medecin/calendrier/"), "/medecin/calendrier/")


def test_the_ical_feed_is_never_stored(client, doctor):
    assert_no_store(client.get(f"/calendrier/{doctor.ical_token}.ics"), "ical")


def test_anonymous_public_pages_are_not_marked(client):
    response = client.get("/")
    assert "no-store" not in response.get("Cache-Control", "")
