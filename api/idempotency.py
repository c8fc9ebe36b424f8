"""`Idempotency-Key` on creating POSTs: the same key and body replay the first response and create nothing.

The key is claimed by inserting its `IdempotentRequest` row *before* the work, in the same transaction as the
work (`INSERT … ON CONFLICT DO NOTHING`: one statement, no savepoint); the unique constraint (user, scope, key)
does the rest. A concurrent request with the same key blocks on
that insert (PostgreSQL waits on the uncommitted unique key; SQLite's immediate transactions wait for the
writer) until the first one commits, then fails it and replays the stored response. If the work fails, the
claim rolls back with it: only a successful response is recorded, and a refused request may be retried.
"""

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.person import signed_in
from api.models import KEY_MAX_LENGTH as MAX_KEY_LENGTH
from api.models import IdempotentRequest
from core.errors import RuleViolation

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Clé choisie par le client (1 à {MAX_KEY_LENGTH} caractères, par exemple un UUID). Rejouer la même "
        "requête avec la même clé renvoie la première réponse sans rien créer ; la même clé avec un autre "
        "corps est refusée (409 `idempotency_key_reused`)."
    ),
)


# Set while `create` runs inside the claim's transaction: any error of it rolls that transaction back whole.
_within_claim: ContextVar[bool] = ContextVar("idempotency_within_claim", default=False)


def within_claim() -> bool:
    """Whether the caller runs inside an Idempotency-Key claim's transaction, which any error ends (rolled back
    whole, the claim with it): work done here needs no savepoint of its own to undo a refusal."""
    return _within_claim.get()


class _NotRecorded(Exception):
    """Carries a response that must not be recorded out of the claim's transaction (rolling it back)."""

    def __init__(self, response: Response):
        self.response = response


def body_hash(data) -> str:
    if hasattr(data, "lists"):  # a QueryDict (form or multipart body)
        data = {key: values for key, values in data.lists()}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(request: Request, *, scope: str, create: Callable[[], Response]) -> Response:
    """Run `create` at most once per (user, scope, Idempotency-Key); without the header, just run it."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [f"L'en-tête {HEADER} doit comporter de 1 à {MAX_KEY_LENGTH} caractères."]}
        )
    digest = body_hash(request.data)
    user = signed_in(request)
    try:
        with transaction.atomic():
            claim_id = _claim(user.pk, scope=scope, key=key, digest=digest)
            if claim_id is None:
                return _replay(request, scope=scope, key=key, digest=digest)
            token = _within_claim.set(True)
            try:
                response = create()
            finally:
                _within_claim.reset(token)
            if not status.is_success(response.status_code):
                raise _NotRecorded(response)
            _record(claim_id, response)
            return response
    except _NotRecorded as unrecorded:
        return unrecorded.response


def _claim(user_id: int, *, scope: str, key: str, digest: str) -> int | None:
    """Insert the key's row, or return None when (user, scope, key) already has one: one statement, no savepoint
    (`ON CONFLICT DO NOTHING` waits for a concurrent claim of the same key to commit or roll back, as the unique
    index did when the INSERT failed, and a conflict leaves the transaction usable)."""
    table = IdempotentRequest._meta.db_table
    body = IdempotentRequest._meta.get_field("response_body").get_db_prep_save({}, connection)
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(c) for c in ("user_id", "scope", "key", "body_hash", "response_status", "response_body", "created_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(table)} ({columns}) "
            f"VALUES (%s, %s, %s, %s, 0, %s, %s) ON CONFLICT DO NOTHING RETURNING {qn('id')}",
            [user_id, scope, key, digest, body, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _record(claim_id: int, response: Response) -> None:
    """The response, stored against the claimed key (in the claim's transaction)."""
    body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    table = IdempotentRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(table)} SET {connection.ops.quote_name('response_status')} = %s, "
            f"{connection.ops.quote_name('response_body')} = %s WHERE {connection.ops.quote_name('id')} = %s",
            [
                response.status_code,
                IdempotentRequest._meta.get_field("response_body").get_db_prep_save(body, connection),
                claim_id,
            ],
        )


def _replay(request: Request, *, scope: str, key: str, digest: str) -> Response:
    first = IdempotentRequest.objects.get(user=signed_in(request), scope=scope, key=key)
    if first.body_hash != digest:
        raise RuleViolation(
            "idempotency_key_reused",
            f"Cette clé {HEADER} a déjà servi pour une autre requête : choisissez une nouvelle clé.",
        )
    return Response(first.response_body, status=first.response_status, headers={REPLAYED_HEADER: "true"})
