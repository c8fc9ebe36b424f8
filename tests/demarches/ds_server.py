"""A local Démarches Simplifiées API for the tests: a real GraphQL server built from DS's published schema
(tests/demarches/ds_schema.graphql) with graphql-core, served over HTTP (wsgiref) in a thread on a free port.

It checks the `Authorization: Bearer` token, validates every query against the schema (a field or an argument the
schema lacks is an error, as in DS), pages dossiers with cursors the way DS does (`updatedSince` inclusive and
ordered by modification, otherwise by deposit; 100 a page at most), and its mutations move dossiers through DS's
states and answer DS's own errors (« Le dossier est déjà accepté »: app/graphql/mutations/*.rb).

`stop()` / `start()` take it down and up on the same port (an outage); `lose_next_response` applies the next
mutation and answers 502 (DS did it, we never heard).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import graphql

SCHEMA = graphql.build_schema((Path(__file__).parent / "ds_schema.graphql").read_text(encoding="utf-8"))
STATE_LABELS = {
    "en_construction": "en construction",
    "en_instruction": "en instruction",
    "accepte": "accepté",
    "refuse": "refusé",
    "sans_suite": "classé sans suite",
}
MAX_PAGE = 100


def gid(kind: str, pk: int | str) -> str:
    return base64.b64encode(f"{kind}-{pk}".encode()).decode()


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class FakeDossier:
    number: int
    state: str
    deposited: datetime
    updated: datetime
    email: str
    nom: str
    prenom: str
    champs: list[dict[str, Any]]
    motivation: str = ""

    def node(self, demarche: int) -> dict[str, Any]:
        return {
            "id": gid("Dossier", self.number),
            "number": self.number,
            "state": self.state,
            "dateDepot": iso(self.deposited),
            "dateDerniereModification": iso(self.updated),
            "demarche": {"number": demarche},
            "usager": {"id": gid("Usager", self.number), "email": self.email},
            "demandeur": {
                "__typename": "PersonnePhysique",
                "id": gid("Individual", self.number),
                "civilite": "M",
                "nom": self.nom,
                "prenom": self.prenom,
                "email": None,
            },
            "champs": self.champs,
            "motivation": self.motivation,
        }


def text(label: str, value: str, typename: str = "TextChamp") -> dict[str, Any]:
    return {"__typename": typename, "id": gid("Champ", label), "label": label, "stringValue": value}


def drop_down(label: str, value: str) -> dict[str, Any]:
    return text(label, value, "DropDownListChamp")


def multiple(label: str, values: list[str]) -> dict[str, Any]:
    return {**text(label, ", ".join(values), "MultipleDropDownListChamp"), "values": values}


def commune(label: str, insee: str, name: str, department: str) -> dict[str, Any]:
    return {
        **text(label, f"{name} ({insee})", "CommuneChamp"),
        "commune": {"code": insee, "name": name, "postalCode": None},
        "departement": {"code": department, "name": f"Département {department}"},
    }


def yes_no(label: str, value: bool) -> dict[str, Any]:
    return {**text(label, "Oui" if value else "Non", "YesNoChamp"), "value": value}


def date_champ(label: str, value: str) -> dict[str, Any]:
    return {**text(label, value, "DateChamp"), "date": value}


@dataclass
class FakeDs:
    demarche: int
    token: str
    instructeur_id: str
    dossiers: dict[int, FakeDossier] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every GraphQL request received
    mutations: Counter = field(default_factory=Counter)  # (mutation, number) → times applied
    lose_next_response: bool = False
    unavailable_from_request: int | None = None  # the n-th request (1-based) and later answer 503
    clock: datetime | None = None  # the time DS stamps modifications with (tests set it)

    # --- resolvers ---------------------------------------------------------------------------------------------

    def root(self) -> dict[str, Any]:
        return {
            "demarche": self._demarche,
            "dossier": self._dossier,
            "dossierPasserEnInstruction": self._mutation(
                "dossierPasserEnInstruction", {"en_construction"}, "en_instruction"
            ),
            "dossierAccepter": self._mutation("dossierAccepter", {"en_instruction"}, "accepte"),
            "dossierRefuser": self._mutation("dossierRefuser", {"en_instruction"}, "refuse"),
        }

    def _demarche(self, info: Any, number: int) -> dict[str, Any]:
        if number != self.demarche:
            raise graphql.GraphQLError("Demarche not found", extensions={"code": "not_found"})
        return {"id": gid("Procedure", number), "number": number, "dossiers": self._dossiers}

    def _dossiers(
        self, info: Any, first: int | None = None, after: str | None = None, updatedSince: str | None = None, **_: Any
    ) -> dict[str, Any]:
        items = list(self.dossiers.values())
        if updatedSince:
            since = datetime.fromisoformat(updatedSince)
            items = [d for d in items if d.updated >= since]
            key = lambda d: (d.updated, d.number)  # noqa: E731
        else:
            key = lambda d: (d.deposited, d.number)  # noqa: E731
        items.sort(key=key)
        if after:
            mark = json.loads(base64.b64decode(after))
            items = [d for d in items if (iso(key(d)[0]), key(d)[1]) > (mark[0], mark[1])]
        limit = min(first or MAX_PAGE, MAX_PAGE)
        page, more = items[:limit], len(items) > limit
        end = page[-1] if page else None
        cursor = base64.b64encode(json.dumps([iso(key(end)[0]), end.number]).encode()).decode() if end else None
        return {
            "nodes": [d.node(self.demarche) for d in page],
            "pageInfo": {"hasNextPage": more, "hasPreviousPage": bool(after), "endCursor": cursor, "startCursor": None},
        }

    def _dossier(self, info: Any, number: int) -> dict[str, Any]:
        if number not in self.dossiers:
            raise graphql.GraphQLError("Dossier not found", extensions={"code": "not_found"})
        return self.dossiers[number].node(self.demarche)

    def _mutation(self, name: str, sources: set[str], target: str):  # type: ignore[no-untyped-def]
        def resolve(info: Any, input: dict[str, Any]) -> dict[str, Any]:
            number = int(base64.b64decode(input["dossierId"]).decode().split("-")[1])
            dossier = self.dossiers[number]
            if input["instructeurId"] != self.instructeur_id:
                return {
                    "dossier": None,
                    "errors": [{"message": "L’instructeur n’a pas les droits d’accès à ce dossier"}],
                }
            if dossier.state not in sources:
                return {"dossier": None, "errors": [{"message": f"Le dossier est déjà {STATE_LABELS[dossier.state]}"}]}
            dossier.state = target
            dossier.motivation = input.get("motivation") or ""
            dossier.updated = self.now()
            self.mutations[(name, number)] += 1
            return {"dossier": dossier.node(self.demarche), "errors": None}

        return resolve

    def now(self) -> datetime:
        if self.clock is None:
            return max(
                (d.updated for d in self.dossiers.values()), default=datetime.fromisoformat("2026-01-01T00:00:00+01:00")
            ) + timedelta(seconds=1)
        return self.clock

    # --- HTTP ------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        def answer(status: str, body: dict[str, Any]) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json; charset=utf-8")])
            return [json.dumps(body).encode()]

        if environ["REQUEST_METHOD"] != "POST":
            return answer("405 Method Not Allowed", {"errors": [{"message": "POST only"}]})
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return answer(
                "401 Unauthorized", {"errors": [{"message": "Without a token, only persisted queries are allowed"}]}
            )
        if self.unavailable_from_request and len(self.requests) + 1 >= self.unavailable_from_request:
            return answer("503 Service Unavailable", {"errors": [{"message": "maintenance"}]})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
        self.requests.append(payload)
        root = self.root()
        result = graphql.graphql_sync(
            SCHEMA, payload["query"], root_value=root, variable_values=payload.get("variables")
        )
        if self.lose_next_response and payload["query"].lstrip().startswith("mutation"):
            self.lose_next_response = False
            return answer("502 Bad Gateway", {"errors": [{"message": "upstream timed out"}]})
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return answer("200 OK", body)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class Server:
    """The fake DS over HTTP in a thread; `url` stays the same across stop() and start()."""

    def __init__(self, app: FakeDs):
        self.app = app
        self.port = 0
        self._httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2/graphql"

    def start(self) -> None:
        self._httpd = make_server("127.0.0.1", self.port, self.app, handler_class=_Quiet)
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def validate_insured(doctor, *, by):
    """The ARS validates an imported file once the doctor has declared their RCP insurance (required since #15: the
    DS dossier carries no insurance), through the doctor's own service."""
    from missions.doctor_file import Insurance, declare_insurance
    from missions.services import validate_doctor

    declare_insurance(doctor, Insurance("MACSF", "RCP-000001", True), by=doctor.user)
    return validate_doctor(doctor, by=by)
