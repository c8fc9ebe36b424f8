"""The OpenID Connect client of Pro Santé Connect (PSC), built on Authlib.

Why Authlib rather than mozilla-django-oidc: PSC publishes a discovery document (`PSC_DISCOVERY_URL`), and Authlib
reads it (endpoints, issuer, JWKS, signing algorithms) where mozilla-django-oidc wants each endpoint as a setting;
Authlib validates the ID token with the provider's JWKS (refetched when a key id is unknown: key rotation) and checks
any claim we name (`acr`), and it leaves the decision « which account is this » to us, where mozilla-django-oidc is
an authentication backend built to match or create users by e-mail — here the link is the RPPS number, and an
unknown doctor is sent to a registration form, not given an account. It is maintained, typed enough, and the same
project provides the OpenID provider the tests run against.

The flow (ANS, « Pro Santé Connect — documentation technique »): authorization code, `scope=openid scope_all`,
`acr_values=eidas1`; `state` and `nonce` are generated per attempt and kept in the session (Authlib); on return the
state must match a pending attempt, the code is exchanged at the token endpoint (client secret), the ID token is
verified — signature against the JWKS, `iss` = the discovery's issuer, `aud` = our client id, `exp`, `nonce` = the
attempt's, `acr` = eidas1 — and the userinfo is fetched with the access token (JSON, or a JWT signed with the
same keys, both of which PSC may answer), its `sub` equal to the ID token's.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from authlib.integrations.django_client.apps import DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

log = logging.getLogger(__name__)

SCOPE = "openid scope_all"
# The only level PSC knows, and the one the ANS's own connector demands back in the ID token's `acr`
# (ansforge/keycloak-prosanteconnect, EidasLevel.java: EIDAS1; ProSanteConnectIdentityProvider.getFederatedIdentity).
ACR = "eidas1"
# How long the provider's discovery document and keys are trusted before being read again.
METADATA_TTL_SECONDS = 3600


class ProviderUnavailable(Exception):
    """PSC could not be reached, or answered with an error page: nobody's fault on our side, try again later."""


class AuthenticationFailed(Exception):
    """The answer does not prove who the person is (state, nonce, signature, issuer, audience, expiry, level)."""

    def __init__(self, reason: str, *, cancelled: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.cancelled = cancelled


def configured() -> bool:
    """All three settings are set: the button shows and the pages answer; otherwise the feature is absent."""
    return bool(settings.PSC_CLIENT_ID and settings.PSC_CLIENT_SECRET and settings.PSC_DISCOVERY_URL)


_apps: dict[tuple[str, str, str], tuple[float, DjangoOAuth2App]] = {}


def _app() -> DjangoOAuth2App:
    """The Authlib client for the current settings, kept an hour (its discovery document and keys with it)."""
    key = (settings.PSC_CLIENT_ID, settings.PSC_CLIENT_SECRET, settings.PSC_DISCOVERY_URL)
    cached = _apps.get(key)
    if cached and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return cached[1]
    registry = OAuth()
    app = registry.register(
        name="prosanteconnect",
        client_id=settings.PSC_CLIENT_ID,
        client_secret=settings.PSC_CLIENT_SECRET,
        server_metadata_url=settings.PSC_DISCOVERY_URL,
        client_kwargs={"scope": SCOPE, "default_timeout": settings.PSC_TIMEOUT_SECONDS},
    )
    _apps.clear()  # one provider at a time: a changed setting drops the old client
    _apps[key] = (time.monotonic(), app)
    return app


def authorization_redirect(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Send the browser to PSC; state and nonce are kept in the session for the return."""
    try:
        return _app().authorize_redirect(request, redirect_uri, acr_values=ACR)
    except (requests.RequestException, ValueError) as exc:
        log.warning("Pro Santé Connect unreachable (discovery): %s", type(exc).__name__)
        raise ProviderUnavailable from exc


def _decode_signed(app: DjangoOAuth2App, token: str) -> dict[str, Any]:
    metadata = app.load_server_metadata()
    registry = JWSRegistry(algorithms=metadata.get("id_token_signing_alg_values_supported"))
    try:
        return jwt.decode(token, KeySet.import_key_set(app.fetch_jwk_set()), registry=registry).claims
    except JoseError:
        return jwt.decode(token, KeySet.import_key_set(app.fetch_jwk_set(force=True)), registry=registry).claims


def _userinfo(app: DjangoOAuth2App, token: dict) -> dict[str, Any]:
    metadata = app.load_server_metadata()
    response = app.get(metadata["userinfo_endpoint"], token=token)
    if response.status_code >= 500:
        raise ProviderUnavailable(f"userinfo answered {response.status_code}")
    if response.status_code != 200:
        raise AuthenticationFailed(f"userinfo answered {response.status_code}")
    if response.headers.get("Content-Type", "").split(";")[0].strip() == "application/jwt":
        claims = _decode_signed(app, response.text)
        # OpenID Connect Core 5.3.2: a signed userinfo carries iss and aud, which must be the provider's and ours.
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if claims.get("iss") != metadata.get("issuer") or settings.PSC_CLIENT_ID not in audiences:
            raise AuthenticationFailed("signed userinfo for another issuer or audience")
        return dict(claims)
    return dict(response.json())


def authenticated_claims(request: HttpRequest) -> dict[str, Any]:
    """Finish the login PSC sent the browser back with: the userinfo claims of the person it proved, once.

    Raises AuthenticationFailed when the answer proves nothing (or the person cancelled), ProviderUnavailable when
    PSC could not be asked."""
    app = _app()
    if error := request.GET.get("error"):
        raise AuthenticationFailed(f"provider error {error}", cancelled=error == "access_denied")
    state = request.GET.get("state") or ""
    pending = app.framework.get_state_data(request.session, state) if state else None
    if state:
        app.framework.clear_state_data(request.session, state)  # one answer per attempt: a replay finds nothing
    if not pending or not pending.get("nonce"):
        raise AuthenticationFailed("unknown state")
    code = request.GET.get("code")
    if not code:
        raise AuthenticationFailed("no code")
    try:
        token = app.fetch_access_token(code=code, redirect_uri=pending.get("redirect_uri"))
    except OAuthError as exc:
        raise AuthenticationFailed(f"token endpoint refused: {exc.error}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable from exc
    if "id_token" not in token:
        raise AuthenticationFailed("no id_token")
    metadata = app.load_server_metadata()
    options = {
        "iss": {"essential": True, "values": [metadata.get("issuer")]},
        "aud": {"essential": True, "values": [settings.PSC_CLIENT_ID]},
        "acr": {"essential": True, "values": [ACR]},
    }
    try:
        id_token = app.parse_id_token(token, nonce=pending["nonce"], claims_options=options, leeway=60)
    except JoseError as exc:
        raise AuthenticationFailed(f"id_token rejected: {type(exc).__name__} {exc}") from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable from exc
    try:
        claims = _userinfo(app, token)
    except JoseError as exc:
        raise AuthenticationFailed(f"userinfo rejected: {type(exc).__name__}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable from exc
    if not claims.get("sub") or claims.get("sub") != id_token.get("sub"):
        raise AuthenticationFailed("userinfo for another subject")
    return claims
