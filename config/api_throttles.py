"""Throttles of the endpoints anyone can call: obtaining a token and registering as a doctor.

Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token" | "registration"]), counted per client
address. The address is REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] says how many trusted proxies
append to X-Forwarded-For (otherwise a client could pick its own address and escape the limit).
"""

from rest_framework.throttling import SimpleRateThrottle


class _PerAddressThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenThrottle(_PerAddressThrottle):
    scope = "token"


class RegistrationThrottle(_PerAddressThrottle):
    scope = "registration"
