from urllib.parse import urlsplit

import pytest
import requests

from prosante import client as psc_client
from tests.prosante.provider import LocalProSanteConnect

SITE_URL = "http://testserver"
CALLBACK = f"{SITE_URL}/compte/pro-sante-connect/retour/"


@pytest.fixture
def psc(settings):
    """A local Pro Santé Connect, and the product configured to use it."""
    settings.SITE_URL = SITE_URL
    with LocalProSanteConnect(client_id="medecin-solidaire", client_secret="s3cr3t-psc", redirect_uri=CALLBACK) as p:
        settings.PSC_CLIENT_ID = "medecin-solidaire"
        settings.PSC_CLIENT_SECRET = "s3cr3t-psc"
        settings.PSC_DISCOVERY_URL = p.discovery_url
        psc_client._apps.clear()
        yield p
    psc_client._apps.clear()


def through_provider(client, start_response):
    """Follow the browser's way: from our redirect to the provider's authorize endpoint, back to our callback.
    Returns the callback's path and query (what the browser would ask us next)."""
    assert start_response.status_code == 302, start_response.content[:300]
    answer = requests.get(start_response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return f"{back.path}?{back.query}"


def log_in_with_psc(client, start="/compte/pro-sante-connect/"):
    return client.get(through_provider(client, client.get(start)))
