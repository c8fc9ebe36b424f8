"""How API calls authenticate (settings REST_FRAMEWORK): imported by DRF's settings, so it must not import DRF's
views (the token endpoint lives in config.api_auth)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the account's doctor profile (if any) in the same query: most API
    calls ask « is this a doctor, and which one? » right after authenticating."""

    def authenticate_credentials(self, key: str) -> tuple:
        try:
            token = self.get_model().objects.select_related("user", "user__doctor").get(key=key)
        except self.get_model().DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
