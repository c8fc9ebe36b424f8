"""Second factor (TOTP, django-otp) for the people who can change everything: ARS staff and superusers.

Who needs it is decided here once (`requires_second_factor`). After the password, such a person is sent to the
verification page (or, the first time, to the page that enrols an authenticator application) before any other
page of the product, the admin included; the API answers `403 {"code": "second_factor_required"}` to a session
without it, and the token endpoint asks them for the code (`check_code`). `OTP_REQUIRED=false` switches it off
outside production only (settings refuse it in production).
"""

from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Application d'authentification"
SECOND_FACTOR_REQUIRED = (
    "La double authentification est obligatoire pour l'équipe ARS et les administrateurs : "
    "saisissez le code à 6 chiffres de votre application d'authentification."
)

# Views a person who still owes the second factor may reach: the second-factor pages themselves and the exits.
EXEMPT_VIEWS = frozenset(
    {
        "security:otp_verify",
        "security:otp_setup",
        "accounts:logout",
        "admin:logout",
    }
)


def requires_second_factor(user) -> bool:
    return bool(
        settings.OTP_REQUIRED
        and user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user) -> TOTPDevice:
    """The device being enrolled: created on the first visit, kept until confirmed by a first valid code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def normalise_code(code: object) -> str:
    """A code as people type it ("123 456", "123-456") reduced to its digits; anything else to ''."""
    if not isinstance(code, str):
        return ""
    digits = "".join(ch for ch in code if ch not in " -\u00a0\t")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else ""


def check_code(user, code: object) -> TOTPDevice | None:
    """The confirmed device of `user` that accepts `code` (django-otp throttles repeated failures), or None."""
    digits = normalise_code(code)
    if not digits:
        return None
    return match_token(user, digits)


def qr_code_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an inline SVG (no script, no external image: fine under our CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def base32_secret(device: TOTPDevice) -> str:
    """The secret to type by hand into an authenticator application, grouped by four for reading."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def safe_next(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


class SecondFactorMiddleware:
    """Holds ARS staff and superusers at the second-factor door until their session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not requires_second_factor(user) or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEWS:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "second_factor_required", "detail": SECOND_FACTOR_REQUIRED}, status=403)
        target = "security:otp_verify" if confirmed_device(user) else "security:otp_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
