"""Throttles of the endpoints anyone can call: obtaining a token and registering as a doctor.

Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token" | "registration"]), counted per client
address. The address is REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] says how many trusted proxies
append to X-Forwarded-For (otherwise a client could pick its own address and escape the limit).

The counters live in the cache (Redis in production). When the cache cannot be reached the throttle fails open:
it logs a warning and lets the request through — a registration or a login must not fail because Redis is down;
the lockout (in the database) still guards passwords meanwhile.
"""

import logging
from typing import cast

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class _PerAddressThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # The settings of the moment (DRF's class attribute keeps the rates of import time, or of whoever set it).
        # drf-stubs type the rates as numbers; they are strings ("10/min"), or None for no limit.
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope) if self.scope is not None else None

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - any cache failure (connection refused, timeout): degrade, never a 500
            logger.warning("Throttle %s skipped: the cache cannot be reached.", self.scope, exc_info=True)
            return True


class TokenThrottle(_PerAddressThrottle):
    scope = "token"


class RegistrationThrottle(_PerAddressThrottle):
    scope = "registration"


def registration_allowed(request) -> bool:
    """The API's registration throttle, for the web form: the same rate and the same counter per address."""
    return RegistrationThrottle().allow_request(request, None)
