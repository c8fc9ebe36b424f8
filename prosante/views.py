"""The Pro Santé Connect pages: the start of a login, PSC's return, and the registration it prefills.

All three answer 404 when PSC is not configured (prosante.client.configured): the feature is then absent."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from api.throttles import registration_allowed
from core.errors import RuleViolation
from missions import services as missions_services
from missions.forms import apply_service_errors
from missions.views.doctor import REGISTRATION_THROTTLED, SESSION_REGISTRATION
from prosante import client, services
from prosante.forms import PscRegistrationForm, initial_from
from prosante.identity import Practice, PscIdentity, identity_from_claims

log = logging.getLogger(__name__)

SESSION_NEXT = "psc_next"
SESSION_IDENTITY = "psc_identity"
# How long the identity PSC proved stays usable to file an application (then: identify again).
IDENTITY_TTL_SECONDS = 30 * 60

UNAVAILABLE = (
    "Pro Santé Connect ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous avec votre "
    "adresse e-mail et votre mot de passe."
)
FAILED = (
    "La connexion avec Pro Santé Connect n'a pas pu être vérifiée (demande expirée, déjà utilisée ou incomplète). "
    "Recommencez depuis la page de connexion."
)
CANCELLED = "Vous avez interrompu la connexion avec Pro Santé Connect : rien n'a été enregistré."


def when_configured(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not client.configured():
            raise Http404("Pro Santé Connect n'est pas configuré.")
        return view(request, *args, **kwargs)

    return wrapper


def _problem(request: HttpRequest, message: str, *, status: int, title: str) -> HttpResponse:
    return render(request, "prosante/problem.html", {"message": message, "title": title}, status=status)


def callback_url() -> str:
    """The redirect URI registered at PSC: the product's public address (SITE_URL), whatever host was asked."""
    return f"{settings.SITE_URL}{reverse('prosante:callback')}"


@never_cache
@when_configured
def start(request: HttpRequest) -> HttpResponse:
    """The button: off to PSC, remembering where to come back to."""
    if request.user.is_authenticated:
        return redirect("accounts:home")
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        request.session[SESSION_NEXT] = target
    else:
        request.session.pop(SESSION_NEXT, None)  # not a previous attempt's
    try:
        return client.authorization_redirect(request, callback_url())
    except client.ProviderUnavailable:
        return _problem(request, UNAVAILABLE, status=503, title="Pro Santé Connect indisponible")


@never_cache
@when_configured
def callback(request: HttpRequest) -> HttpResponse:
    """PSC sends the browser back here: prove who it is, then open their session or their application."""
    try:
        claims = client.authenticated_claims(request)
    except client.ProviderUnavailable:
        return _problem(request, UNAVAILABLE, status=503, title="Pro Santé Connect indisponible")
    except client.AuthenticationFailed as exc:
        log.warning("Pro Santé Connect login refused: %s", exc.reason)
        if exc.cancelled:
            return _problem(request, CANCELLED, status=200, title="Connexion interrompue")
        return _problem(request, FAILED, status=400, title="Connexion non vérifiée")
    identity = identity_from_claims(claims)
    outcome = services.sign_in(request, identity)
    if isinstance(outcome, services.Refused):
        return _problem(request, outcome.message, status=outcome.status, title="Connexion impossible")
    if isinstance(outcome, services.Register):
        request.session[SESSION_IDENTITY] = {"identity": asdict(identity), "at": time.time()}
        return redirect("prosante:register")
    return redirect(request.session.pop(SESSION_NEXT, "") or reverse("accounts:home"))


def _proven_identity(request: HttpRequest) -> PscIdentity | None:
    kept = request.session.get(SESSION_IDENTITY)
    if not kept or time.time() - kept.get("at", 0) > IDENTITY_TTL_SECONDS:
        return None
    data = dict(kept["identity"])
    data["practice"] = Practice(**data["practice"])
    data["profession_codes"] = tuple(data["profession_codes"])
    return PscIdentity(**data)


@never_cache
@when_configured
def register(request: HttpRequest) -> HttpResponse:
    """The application, prefilled from what PSC proved; the RPPS number is the proven one, whatever is posted."""
    identity = _proven_identity(request)
    if identity is None or identity.rpps is None:
        request.session.pop(SESSION_IDENTITY, None)
        return redirect("missions:register")
    form = PscRegistrationForm(request.POST or None, initial=initial_from(identity), rpps=identity.rpps)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not registration_allowed(request):
            form.add_error(None, REGISTRATION_THROTTLED)
            status = 429
        else:
            try:
                missions_services.register_doctor(form.registration())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                data = form.cleaned_data
                request.session.pop(SESSION_IDENTITY, None)
                request.session[SESSION_REGISTRATION] = {
                    "last_name": data["last_name"].strip(),
                    "email": data["email"].strip(),
                    "zones": sorted(zone.name for zone in data["zones"]),
                    "pro_sante_connect": True,
                }
                return redirect("missions:registered")
    return render(request, "prosante/register.html", {"form": form, "identity": identity}, status=status)
