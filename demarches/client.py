"""The client of Démarches Simplifiées' GraphQL API v2 (https://doc.demarches-simplifiees.fr/api-graphql).

`POST DS_API_URL` with `{"query", "variables"}` and the header `Authorization: Bearer <DS_API_TOKEN>`. Only types,
fields, arguments and mutations of DS's published schema (app/graphql/schema.graphql of
demarches-simplifiees/demarches-simplifiees.fr; a copy for the tests in tests/demarches/ds_schema.graphql).

The token is a secret: it is held by the client only, never in its repr, its errors or any log line (an error
message that would carry it has it masked).

Failures are of two kinds: `DsUnavailable` (network, timeout, 5xx, 429: try again later) and `DsError` (DS
answered and refused: bad token, unknown démarche, a GraphQL error). A mutation's own `errors` (« Le dossier est
déjà accepté ») are returned to the caller, who decides (demarches.services reads the dossier's state first).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

MASK = "[masqué]"
PAGE_SIZE = 100  # DS answers at most 100 dossiers a page

DOSSIER_FIELDS = """
fragment DossierFields on Dossier {
  id
  number
  state
  dateDepot
  dateDerniereModification
  demarche { number }
  usager { email }
  demandeur {
    __typename
    ... on PersonnePhysique { civilite nom prenom email }
  }
  champs {
    __typename
    id
    label
    stringValue
    ... on DateChamp { date }
    ... on CheckboxChamp { checked: value }
    ... on YesNoChamp { yesNo: value }
    ... on CommuneChamp { commune { code name } departement { code name } }
    ... on DepartementChamp { departement { code name } }
    ... on MultipleDropDownListChamp { values }
  }
}
"""

DOSSIERS_QUERY = (
    """
query getDossiers($demarcheNumber: Int!, $first: Int, $after: String, $updatedSince: ISO8601DateTime) {
  demarche(number: $demarcheNumber) {
    number
    dossiers(first: $first, after: $after, updatedSince: $updatedSince) {
      pageInfo { hasNextPage endCursor }
      nodes { ...DossierFields }
    }
  }
}
"""
    + DOSSIER_FIELDS
)

DOSSIER_QUERY = (
    """
query getDossier($number: Int!) {
  dossier(number: $number) { ...DossierFields }
}
"""
    + DOSSIER_FIELDS
)

STATE_QUERY = """
query getDossierState($number: Int!) {
  dossier(number: $number) { id number state }
}
"""

MUTATIONS = {
    "dossierPasserEnInstruction": "DossierPasserEnInstructionInput",
    "dossierAccepter": "DossierAccepterInput",
    "dossierRefuser": "DossierRefuserInput",
}


def mutation_query(name: str) -> str:
    return (
        f"mutation {name}($input: {MUTATIONS[name]}!) {{\n"
        f"  {name}(input: $input) {{ dossier {{ id number state }} errors {{ message }} }}\n"
        "}\n"
    )


class DsFailure(Exception):
    """Anything that stopped a call to DS. The message is French and never carries the token."""


class DsUnavailable(DsFailure):
    """DS could not be reached or answered with a server error: try again later."""


class DsError(DsFailure):
    """DS answered and refused the request (token, démarche, query)."""


@dataclass(frozen=True)
class Page:
    nodes: list[dict[str, Any]]
    has_next_page: bool
    end_cursor: str | None


class DsClient:
    def __init__(self, url: str, token: str, *, timeout: float = 30, transport: httpx.BaseTransport | None = None):
        self.url = url
        self._token = token
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    @classmethod
    def from_settings(cls) -> DsClient:
        return cls(settings.DS_API_URL, settings.DS_API_TOKEN, timeout=settings.DS_TIMEOUT_SECONDS)

    def __repr__(self) -> str:
        return f"DsClient(url={self.url!r}, token={MASK})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -------------------------------------------------------------------------------------------

    def _masked(self, text: str) -> str:
        return text.replace(self._token, MASK) if self._token else text

    def execute(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST one GraphQL request; the `data` of the answer."""
        try:
            response = self._http.post(
                self.url,
                json={"query": query, "variables": dict(variables)},
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise DsUnavailable(
                self._masked(f"Démarches Simplifiées injoignable ({type(exc).__name__}) : {exc}")
            ) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise DsUnavailable(f"Démarches Simplifiées indisponible (HTTP {response.status_code}).")
        if response.status_code in (401, 403):
            raise DsError(f"Jeton d'API refusé par Démarches Simplifiées (HTTP {response.status_code}).")
        try:
            body = response.json()
        except ValueError:
            raise DsError(f"Réponse illisible de Démarches Simplifiées (HTTP {response.status_code}).") from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            found = [str(e.get("message", e)) for e in errors if isinstance(e, dict)]
            messages = "; ".join(list(dict.fromkeys(found))[:3])  # the same error for each node is said once
            raise DsError(self._masked(f"Démarches Simplifiées a refusé la requête : {messages}"))
        if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise DsError(f"Réponse inattendue de Démarches Simplifiées (HTTP {response.status_code}).")
        return body["data"]

    # --- reads -----------------------------------------------------------------------------------------------

    def dossiers(
        self,
        demarche_number: int,
        *,
        updated_since: str | None = None,
        after: str | None = None,
        first: int = PAGE_SIZE,
    ) -> Page:
        data = self.execute(
            DOSSIERS_QUERY,
            {"demarcheNumber": demarche_number, "first": first, "after": after, "updatedSince": updated_since},
        )
        connection = data["demarche"]["dossiers"]
        info = connection["pageInfo"]
        return Page(
            nodes=[n for n in connection.get("nodes") or [] if n],
            has_next_page=bool(info["hasNextPage"]),
            end_cursor=info.get("endCursor"),
        )

    def dossier(self, number: int) -> dict[str, Any]:
        return self.execute(DOSSIER_QUERY, {"number": number})["dossier"]

    def dossier_state(self, number: int) -> str:
        return self.execute(STATE_QUERY, {"number": number})["dossier"]["state"]

    # --- writes: each returns the mutation's `errors` messages (empty: done) ------------------------------------

    def mutate(self, name: str, **input_fields: Any) -> list[str]:
        payload = self.execute(mutation_query(name), {"input": input_fields})[name] or {}
        return [str(e.get("message", "")) for e in payload.get("errors") or []]

    def passer_en_instruction(self, dossier_id: str, instructeur_id: str) -> list[str]:
        return self.mutate("dossierPasserEnInstruction", dossierId=dossier_id, instructeurId=instructeur_id)

    def accepter(self, dossier_id: str, instructeur_id: str, motivation: str = "") -> list[str]:
        fields: dict[str, Any] = {"dossierId": dossier_id, "instructeurId": instructeur_id}
        if motivation:
            fields["motivation"] = motivation
        return self.mutate("dossierAccepter", **fields)

    def refuser(self, dossier_id: str, instructeur_id: str, motivation: str) -> list[str]:
        return self.mutate("dossierRefuser", dossierId=dossier_id, instructeurId=instructeur_id, motivation=motivation)


def configured() -> bool:
    """The import is on when a token and a démarche are set; otherwise the feature hides (README)."""
    return bool(settings.DS_API_TOKEN and settings.DS_DEMARCHE_NUMBER)


def write_back_configured() -> bool:
    return configured() and bool(settings.DS_INSTRUCTEUR_ID)
