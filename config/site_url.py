"""The absolute address of the site, for links that leave the page (e-mails, the iCal feed and its events).

In production it is `SITE_URL`, always. In development, when `SITE_URL` is not set (`PORT=8765 make run`), links
follow the address the browser used: the middleware below remembers it for the request being served. Work done
without a request (jobs, commands, the relay) keeps `SITE_URL`.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_served: ContextVar[str | None] = ContextVar("served_site_url", default=None)


def site_url() -> str:
    """The base address for absolute links: the one served when development follows the request, else SITE_URL."""
    if settings.SITE_URL_FROM_REQUEST:
        served = _served.get()
        if served:
            return served
    return str(settings.SITE_URL)


class SiteUrlMiddleware:
    """Remember the address served while a request is handled (only when SITE_URL_FROM_REQUEST is on)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.SITE_URL_FROM_REQUEST:
            return self.get_response(request)
        token = _served.set(request.build_absolute_uri("/").rstrip("/"))
        try:
            return self.get_response(request)
        finally:
            _served.reset(token)
