"""The « S'identifier avec Pro Santé Connect » button, for the templates that show it (login, registration):
`pro_sante_connect` is in their context only when PSC is configured, so the button hides by itself."""

from django.http import HttpRequest
from django.urls import reverse

from prosante.client import configured


def pro_sante_connect(request: HttpRequest) -> dict:
    if not configured():
        return {}
    return {"pro_sante_connect": {"url": reverse("prosante:start")}}
