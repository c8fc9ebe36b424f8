"""Responses holding personal data are never stored by a browser or a proxy cache (`Cache-Control: no-store`).

The simplest rule that covers every page, export (CSV, XLSX, PDF), `mes-donnees.json` and API answer: every
response to an authenticated request (session or API token), plus the iCal feed, authenticated by the secret in
its address. Anonymous public pages and static files (served earlier, by WhiteNoise) keep their caching.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

UNAUTHENTICATED_PERSONAL_VIEWS = frozenset({"ical_feed"})


def holds_personal_data(request: HttpRequest) -> bool:
    """Cheap tests first, none of which reads the database: the iCal feed, an API token, then a session cookie
    (a signed-in browser). A page that never looked at the person (the feed, a public page) costs no query."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in UNAUTHENTICATED_PERSONAL_VIEWS:
        return True
    if request.META.get("HTTP_AUTHORIZATION"):
        return True
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class PersonalDataNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if holds_personal_data(request):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private; Expires now
        return response
