"""The bad-input catalogue, URL surface: NUL and lone surrogates in a path or a query string are refused at the
door (404 for a path, 400 for a query parameter), in French, on every database — PostgreSQL raised on them (500)."""

import pytest
from django.utils.html import escape

from config.security_input import BAD_PATH_TEXT, BAD_QUERY_TEXT

pytestmark = pytest.mark.django_db

QUERIES = [
    "/communes/recherche/?q=ab%00",
    "/communes/recherche/?q%00=ab",
    "/lieux/?departement=%00",
    "/compte/connexion/?next=%00",
]
PATHS = ["/calendrier/%00.ics", "/calendrier/ab%00cd.ics", "/lieux/%00/"]


@pytest.mark.parametrize("url", QUERIES)
def test_a_nul_in_a_query_parameter_is_a_french_400(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert escape(BAD_QUERY_TEXT) in response.content.decode()


@pytest.mark.parametrize("url", PATHS)
def test_a_nul_in_a_path_is_a_french_404(client, url):
    response = client.get(url)
    assert response.status_code == 404, url
    assert "Page introuvable" in response.content.decode()


def test_the_api_answers_in_json(client, doctor):
    client.force_login(doctor.user)
    response = client.get("/api/v1/slots/?zone=%00")
    assert response.status_code == 400
    assert response.json() == {"zone": [BAD_QUERY_TEXT]}
    response = client.get("/api/v1/bookings/%00/")
    assert response.status_code == 404
    assert response.json() == {"detail": BAD_PATH_TEXT}


def test_ordinary_text_still_goes_through(client):
    assert client.get("/communes/recherche/?q=Saint-%C3%89tienne").status_code == 200
