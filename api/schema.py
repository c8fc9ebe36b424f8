"""The OpenAPI schema generator of the API: drf-spectacular's, plus the error responses every operation can
give, derived from the view itself (who may call it, whether it names an object, whether it is throttled).

Business-rule refusals (409) are declared per operation with `api.errors.conflict(...)`, since only the
operation knows which rules apply.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticated

from api.errors import VALIDATION_ERROR_SCHEMA, DetailSerializer, ErrorSerializer

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self.error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def error_responses(self) -> dict[str, OpenApiResponse]:
        permissions = self.view.get_permissions()
        public = any(isinstance(permission, AllowAny) for permission in permissions)
        restricted = any(type(permission) not in (AllowAny, IsAuthenticated) for permission in permissions)
        names_object = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        errors: dict[str, OpenApiResponse] = {}
        if self.method in {"POST", "PUT", "PATCH"} or is_list or self.get_override_parameters():
            errors["400"] = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Données invalides ou mal formées.")
        if not public:
            errors["401"] = OpenApiResponse(DetailSerializer, description="Authentification requise.")
            if restricted or self.method in UNSAFE_METHODS:
                errors["403"] = OpenApiResponse(
                    ErrorSerializer, description="Ce rôle ne permet pas cette opération (ou jeton CSRF absent)."
                )
        if names_object or is_list:
            errors["404"] = OpenApiResponse(
                DetailSerializer,
                description="Objet inexistant ou que vous ne pouvez pas voir (ou page hors limites).",
            )
        if self.view.get_throttles():
            errors["429"] = OpenApiResponse(DetailSerializer, description="Trop de requêtes : réessayez plus tard.")
        return errors
