"""How the API says no: one exception handler and the shapes of its error bodies (also used by the schema).

- `RuleViolation` (a business rule refused) → 409 `{"code", "detail"}`;
- `NotAllowed` (the caller's role may never do this) → 403 `{"code": "not_allowed", "detail"}`;
- Django `ValidationError` raised by a service → 400 `{field: [messages]}` (like DRF's own validation errors);
- everything else keeps DRF's shape (`{"detail": …}` for 401/403/404/429, `{field: [messages]}` for 400),
  in French through LANGUAGE_CODE — except the few messages DRF passes through from Django untranslated
  (Http404's « No Booking matches the given query. », CSRF's reasons), replaced here by French ones.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from core.errors import Code, NotAllowed, RuleViolation

# Every `code` a 409 may carry, so clients can branch on it (the schema lists them): core.errors.Code, but the
# role refusal, which is a 403.
CONFLICT_CODES = tuple(code.value for code in Code if code is not Code.NOT_ALLOWED)


def validation_error_body(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF renders its own: field → messages; non-field messages under
    `non_field_errors`."""
    if hasattr(exc, "error_dict"):
        body = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field
            body[key] = list(messages)
        return body
    return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}


NOT_FOUND = "Introuvable : cet objet n'existe pas, ou vous n'y avez pas accès."
FORBIDDEN = "Vous n'avez pas la permission d'effectuer cette action."
CSRF_FAILED = (
    "Vérification CSRF échouée : avec une session de navigateur, envoyez le jeton CSRF dans l'en-tête "
    "X-CSRFToken (ou authentifiez-vous avec un jeton d'API : en-tête « Authorization: Token … »)."
)


def _in_french(exc: Exception) -> Exception:
    """DRF turns Django's Http404 and PermissionDenied into its own with their (English) text, and writes CSRF
    refusals as « CSRF Failed: <Django's English reason> »: give each its French message."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(FORBIDDEN)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return exceptions.PermissionDenied(CSRF_FAILED)
    return exc


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _in_french(exc)
    if isinstance(exc, NotAllowed):
        return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation):
        return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


# --- shapes, for the OpenAPI schema -----------------------------------------------------------------------------


# Class docstrings of serializers are published as schema descriptions: these say it in French.


class DetailSerializer(serializers.Serializer):
    """Erreur au format de DRF (401, 403, 404, 429)."""

    detail = serializers.CharField(help_text="Message en français, pour une personne.")


class ErrorSerializer(serializers.Serializer):
    """Refus avec un code stable (`not_allowed` pour un 403 venu d'une règle de rôle)."""

    code = serializers.CharField(
        required=False, help_text="Code stable sur lequel un client peut s'appuyer (absent des 403 génériques)."
    )
    detail = serializers.CharField(help_text="Message en français, pour une personne.")


class ConflictSerializer(serializers.Serializer):
    """Refus par une règle métier (409)."""

    code = serializers.ChoiceField(choices=CONFLICT_CODES, help_text="Code stable de la règle qui refuse.")
    detail = serializers.CharField(help_text="Message en français, pour une personne.")


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Champ → messages d'erreur (en français) ; `non_field_errors` pour le reste.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def conflict(*codes: str) -> OpenApiResponse:
    """The 409 response of an operation, naming the codes it may carry."""
    unknown = set(codes) - set(CONFLICT_CODES)
    if unknown:
        raise ValueError(f"unknown conflict codes: {sorted(unknown)}")
    listed = ", ".join(f"`{code}`" for code in codes)
    return OpenApiResponse(ConflictSerializer, description=f"Refus par une règle métier : {listed}.")
