"""Login, logout, password reset, and the door to each person's space(s)."""

from dataclasses import dataclass

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy

from accounts.authority import cpam_ids, is_ars_staff, is_doctor, is_staff_without_region, site_ids
from accounts.forms import LoginForm, NewPasswordForm, PasswordResetRequestForm


@dataclass(frozen=True)
class Space:
    title: str
    description: str
    url: str


def _cpam_url() -> str:
    try:
        return reverse("billing:home")
    except NoReverseMatch:
        return "/cpam/"


def spaces_for(user) -> list[Space]:
    """The web spaces a person may enter, from their roles (one person may hold several)."""
    spaces = []
    if is_ars_staff(user) or is_staff_without_region(user):  # the latter is told there why they see nothing
        spaces.append(
            Space(
                "Tableau de bord ARS", "Couverture des zones, dossiers et alertes.", reverse("missions:ars_dashboard")
            )
        )
    if is_doctor(user):
        spaces.append(
            Space("Espace médecin", "Créneaux, missions, gains et calendrier.", reverse("missions:doctor_home"))
        )
    if site_ids(user):
        spaces.append(
            Space("Espace lieu d'accueil", "Créneaux, réservations et attestations.", reverse("missions:host_home"))
        )
    if cpam_ids(user):
        spaces.append(Space("Espace CPAM", "Relevés des forfaits et numéros dédiés.", _cpam_url()))
    return spaces


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their space; show a choice when they hold several roles (or none yet)."""
    spaces = spaces_for(request.user)
    if len(spaces) == 1:
        return redirect(spaces[0].url)
    return render(request, "accounts/home.html", {"spaces": spaces})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
