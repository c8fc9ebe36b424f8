"""A local OpenID Connect provider shaped like Pro Santé Connect, started by the tests on 127.0.0.1.

Built with Authlib's OpenID Connect server (authorization code grant + the OpenID Code extension + its UserInfo
endpoint) on Flask, served by Werkzeug in a thread: the same protocol code a real deployment of Authlib runs,
not a hand-written imitation of a token endpoint. Chosen over node-oidc-provider (a Node process and its
interaction pages to drive) and pyop/oic (less maintained, more setup): one dev dependency (Flask), in-process,
a port per test.

It serves what PSC serves, at Keycloak's paths like PSC's (realm `esante-wallet`): discovery, JWKS (an RSA key
generated per provider), authorize (the person « authenticates » at once as `provider.person`: the card or e-CPS
step is outside OpenID Connect), token (client_secret_basic/post) and userinfo (JSON, or a JWT signed with the same
key when `signed_userinfo`), with the claims of PSC's userinfo (`SubjectNameID`, `SubjectRefPro`…, see `psc_claims`).

`tamper` makes it misbehave on purpose, to check that the client refuses: "nonce", "issuer", "audience", "expired",
"signature" (signed with a key it does not publish), "acr" (a level below eidas1), "userinfo_sub".
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import OAuth2Error, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

REALM_PATH = "/auth/realms/esante-wallet"


def psc_claims(
    rpps: str,
    *,
    first_name: str = "Claire",
    last_name: str = "MARTIN",
    profession: str = "10",
    specialty: str = "SM54",
    postcode: str = "63000",
    commune_code: str = "63113",
    mode: str = "L",
    organisation: str = "CABINET DU DR MARTIN",
    national_id: str | None = None,
) -> dict[str, Any]:
    """The userinfo of a professional, shaped like PSC's (claims of prosanteconnect/psc-context-sharing-api's
    UserInfos, values like the ANS sandbox's)."""
    return {
        "sub": f"f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:{national_id or '8' + rpps}",
        "SubjectNameID": national_id or f"8{rpps}",
        "preferred_username": national_id or f"8{rpps}",
        "given_name": first_name,
        "family_name": last_name,
        "SubjectOrganization": organisation,
        "SubjectRole": [f"{profession}^1.2.250.1.213.1.1.5.5"],
        "Secteur_Activite": "SA07^1.2.250.1.71.4.2.4",
        "SubjectRefPro": {
            "codeCivilite": "MME",
            "exercices": [
                {
                    "codeProfession": profession,
                    "codeCategorieProfessionnelle": "C",
                    "codeCiviliteDexercice": "DR",
                    "nomDexercice": last_name,
                    "prenomDexercice": first_name,
                    "codeTypeSavoirFaire": "S",
                    "codeSavoirFaire": specialty,
                    "activities": [
                        {
                            "codeModeExercice": mode,
                            "codeSecteurDactivite": "SA07",
                            "raisonSocialeSite": organisation,
                            "numeroVoie": "2",
                            "libelleVoie": "DE LA REPUBLIQUE",
                            "bureauCedex": f"{postcode} CLERMONT-FERRAND",
                            "codePostal": postcode,
                            "codeCommune": commune_code,
                            "codePays": "99000",
                        }
                    ],
                }
            ],
        },
    }


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str
    client_metadata: dict = field(default_factory=dict)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in {"openid", "scope_all"})

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str
    acr: str
    person: dict
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return None


@dataclass
class Token:
    access_token: str
    client: Client
    scope: str
    person: dict
    issued_at: float = field(default_factory=time.time)

    def check_client(self, client):
        return client.client_id == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return 3600

    def is_expired(self):
        return time.time() > self.issued_at + 3600

    def is_revoked(self):
        return False

    def get_user(self):
        return self.person

    def get_client(self):
        return self.client


class LocalProSanteConnect:
    def __init__(self, *, client_id: str, client_secret: str, redirect_uri: str):
        self.client = Client(client_id, client_secret, redirect_uri)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "psc-test-1", "use": "sig", "alg": "RS256"})
        self.stranger_key = RSAKey.generate_key(2048, parameters={"kid": "psc-test-1", "use": "sig", "alg": "RS256"})
        self.person: dict = {}
        self.tamper: str = ""
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.requests: list[dict] = []  # what the client sent to the authorize endpoint
        self.app = self._build()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.issuer = f"http://127.0.0.1:{self.port}{REALM_PATH}"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalProSanteConnect:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    @property
    def signed_userinfo(self) -> bool:
        return bool(self.client.client_metadata.get("userinfo_signed_response_alg"))

    @signed_userinfo.setter
    def signed_userinfo(self, value: bool) -> None:
        if value:
            self.client.client_metadata["userinfo_signed_response_alg"] = "RS256"
        else:
            self.client.client_metadata.pop("userinfo_signed_response_alg", None)

    # --- the Authlib server -----------------------------------------------------------------------------------

    def _build(self) -> Flask:
        provider = self
        app = Flask("local-pro-sante-connect")

        def query_client(client_id):
            return provider.client if client_id == provider.client.client_id else None

        def save_token(token, request):
            provider.tokens[token["access_token"]] = Token(
                token["access_token"], request.client, token.get("scope", ""), request.user
            )

        server = AuthorizationServer(app, query_client=query_client, save_token=save_token)

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.requests.append(dict(data))
                provider.codes[code] = Code(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    nonce=data.get("nonce", ""),
                    acr="eidas0" if provider.tamper == "acr" else data.get("acr_values", ""),
                    person=request.user,
                )

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                return item if item and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.person

        class PscOpenIDCode(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.stranger_key if provider.tamper == "signature" else provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "psc-test-1"}

            def get_client_claims(self, client):
                now = int(time.time())
                claims: dict[str, Any] = {"iss": provider.issuer, "aud": [client.get_client_id()]}
                if provider.tamper == "issuer":
                    claims["iss"] = "http://127.0.0.1:1/auth/realms/un-autre-fournisseur"
                if provider.tamper == "audience":
                    claims["aud"] = ["un-autre-service"]
                if provider.tamper == "expired":
                    claims.update(iat=now - 7200, exp=now - 3600, auth_time=now - 7200)
                return claims

            def get_authorization_code_claims(self, authorization_code):
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.tamper == "nonce":
                    claims["nonce"] = "un-autre-nonce"
                return claims

            def generate_user_info(self, user, scope):
                return UserInfo(sub=user["sub"])

        class PscUserInfo(UserInfoEndpoint):
            def get_issuer(self):
                return provider.issuer

            def resolve_private_key(self):
                return provider.key.as_dict(private=True)

            def get_supported_algorithms(self):
                return ["RS256"]

            def generate_user_info(self, user, scope):
                info = dict(user)
                if provider.tamper == "userinfo_sub":
                    info["sub"] = "f:quelqu-un-d-autre"
                return UserInfo(info)

        class Bearer(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        protector = ResourceProtector()
        protector.register_token_validator(Bearer())
        server.register_grant(CodeGrant, [PscOpenIDCode(require_nonce=True)])
        server.register_endpoint(PscUserInfo(resource_protector=protector))

        @app.get(f"{REALM_PATH}/.well-known/openid-configuration")
        def discovery():
            base = f"{provider.issuer}/protocol/openid-connect"
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{base}/auth",
                token_endpoint=f"{base}/token",
                userinfo_endpoint=f"{base}/userinfo",
                jwks_uri=f"{base}/certs",
                end_session_endpoint=f"{base}/logout",
                response_types_supported=["code"],
                grant_types_supported=["authorization_code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                userinfo_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                scopes_supported=["openid", "scope_all"],
                acr_values_supported=["eidas1"],
                claims_parameter_supported=False,
            )

        @app.get(f"{REALM_PATH}/protocol/openid-connect/certs")
        def certs():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get(f"{REALM_PATH}/protocol/openid-connect/auth")
        def authorize():
            try:
                grant = server.get_consent_grant(end_user=provider.person)
            except OAuth2Error as error:
                return jsonify(dict(error.get_body())), error.status_code
            return server.create_authorization_response(grant=grant, grant_user=provider.person)

        @app.post(f"{REALM_PATH}/protocol/openid-connect/token")
        def token():
            return server.create_token_response()

        @app.route(f"{REALM_PATH}/protocol/openid-connect/userinfo", methods=["GET", "POST"])
        def userinfo():
            return server.create_endpoint_response("userinfo")

        return app
