"""Lockout after repeated failed logins (django-axes), the same on the web login, the admin and the API token.

django-axes counts failures per (e-mail, client address) and, past `AXES_FAILURE_LIMIT`, refuses every further
attempt of that pair for `AXES_COOLOFF_TIME`, even with the right password. This module tells axes who is trying
(the e-mail, whatever the form calls the field), from where (behind our reverse proxies), and answers a locked-out
person in French: a page for the web, `429 {"code": "locked_out", "detail": …}` for the API.
"""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.emails import lockout_key


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    return (
        "Trop de tentatives de connexion infructueuses. Par sécurité, la connexion à ce compte depuis votre "
        f"adresse est bloquée pendant {lockout_minutes()} minutes. Réessayez plus tard, ou réinitialisez votre "
        "mot de passe."
    )


def username_from(request: HttpRequest, credentials: dict | None) -> str | None:
    """The e-mail being tried: `username` for Django's login forms, `email` for the API token endpoint."""
    source = credentials
    if not source:
        source = getattr(request, "data", None) or getattr(request, "POST", {})
    value = None
    if hasattr(source, "get"):
        value = source.get("username") or source.get("email")
    if not isinstance(value, str):
        return None
    return lockout_key(value)[:254] or None  # the login's own normal form: one counter per account


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one our own `TRUSTED_PROXY_COUNT` proxies saw, never one the client claims."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops[-count] if len(hops) >= count else remote


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": lockout_message()}, status=429)
    else:
        response = render(request, "security/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = retry_after
    return response


@receiver(user_login_failed, dispatch_uid="accounts_lockout_flag_for_drf")
def _carry_lockout_flag_to_django_request(sender, credentials, request=None, **kwargs):
    """DRF wraps the request: axes flags the wrapper, the middleware only sees the Django request under it.

    Connected after axes' own receiver (axes is installed before accounts), so the flag is already set.
    """
    django_request = getattr(request, "_request", None)
    if django_request is not None and getattr(request, "axes_locked_out", False):
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", credentials)
