"""Pages of the security layer: the second factor (verify, enrol), the personal-data export, closing an account."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login

from accounts.authority import is_doctor
from accounts.person import signed_in
from accounts.privacy import close_account, export_personal_data
from accounts.second_factor import base32_secret, confirmed_device, enrolment_device, qr_code_svg, safe_next
from accounts.security_forms import CloseAccountForm, SecondFactorForm


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("accounts:home"))
    user = request.user
    assert user.is_authenticated, "login_required let only a signed-in person through"
    # django-otp's middleware gives the signed-in user is_verified(), on the instance: no model declares it.
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    if confirmed_device(request.user) is None:
        return redirect(f"{reverse('security:otp_setup')}?{request.GET.urlencode()}")
    form = SecondFactorForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.verified_device)
        return redirect(next_url)
    return render(request, "security/otp_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, reverse("accounts:home"))
    if confirmed_device(request.user) is not None:
        return redirect(f"{reverse('security:otp_verify')}?{request.GET.urlencode()}")
    device = enrolment_device(request.user)
    form = SecondFactorForm(request.POST or None, user=request.user, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(request, "Double authentification activée : ce code vous sera demandé à chaque connexion.")
        return redirect(next_url)
    context = {"form": form, "next": next_url, "qr_code": qr_code_svg(device), "secret": base32_secret(device)}
    return render(request, "security/otp_setup.html", context)


@never_cache
@require_GET
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything we hold on the logged-in person, as a JSON file to download."""
    data = export_personal_data(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
def close_my_account(request: HttpRequest) -> HttpResponse:
    if not is_doctor(request.user):
        context = {"ars_contact_email": settings.ARS_CONTACT_EMAIL}
        return render(request, "security/close_account_by_ars.html", context, status=403)
    form = CloseAccountForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = signed_in(request)
        close_account(user, by=user)
        logout(request)
        messages.success(
            request,
            "Votre compte est fermé et votre identité anonymisée. Les journées déjà facturées restent dans les "
            "relevés des CPAM, comme la loi l'impose.",
        )
        return redirect("home")
    return render(request, "security/close_account.html", {"form": form})
