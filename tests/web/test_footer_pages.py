"""The footer leads to the accessibility statement, the legal notice and the personal-data page; /favicon.ico
answers; in development an unknown address shows our 404 page, not Django's list of routes."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def test_the_footer_links_to_its_pages_and_they_answer(client):
    home = client.get("/").content.decode()
    for name, title in [
        ("accessibility", "Déclaration d'accessibilité"),
        ("legal_notice", "Mentions légales"),
        ("privacy", "Données personnelles"),
    ]:
        url = reverse(name)
        assert f'href="{url}"' in home
        assert title in text_of(client.get(url))
    assert "partiellement conforme" in text_of(client.get(reverse("accessibility")))


def test_favicon_ico_is_found(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")


def test_an_unknown_address_in_development_shows_our_page(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "config.not_found.OwnNotFoundMiddleware"]
    with override_settings(DEBUG=True):
        response = client.get("/nulle-part/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in page and "Using the URLconf" not in page and "admin/" not in page
