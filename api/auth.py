"""POST /api/v1/auth/token/ {email, password} → {token}; then `Authorization: Token <token>`."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.second_factor import SECOND_FACTOR_REQUIRED, check_code, requires_second_factor
from api.throttles import TokenThrottle


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"}, write_only=True)
    otp_token = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Code à 6 chiffres de l'application d'authentification (obligatoire pour l'équipe ARS).",
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        # The Django request: the authentication backends (lockout included) record what they need on it.
        user = authenticate(request._request, username=attrs["email"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                "Adresse e-mail ou mot de passe incorrect (ou compte désactivé).", code="authorization"
            )
        if requires_second_factor(user) and check_code(user, attrs.get("otp_token", "")) is None:
            raise serializers.ValidationError({"otp_token": [SECOND_FACTOR_REQUIRED]}, code="second_factor")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="À envoyer dans l'en-tête `Authorization: Token <jeton>`.")


# Exchanges an e-mail and a password for the account's API token (the same token until it is revoked).
class ObtainTokenView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenThrottle,)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Obtenir un jeton d'API",
        description="Échange l'adresse e-mail et le mot de passe d'un compte contre son jeton d'API (toujours le "
        "même tant qu'il n'est pas révoqué). L'équipe ARS ajoute le code de son application d'authentification "
        "(`otp_token`). Limité par adresse IP (voir le README).",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
