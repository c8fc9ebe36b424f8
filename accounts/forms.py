"""Forms of the account pages (login, password reset), rendered with the État's design system."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from dsfr.forms import DsfrBaseForm

from accounts.notices import PasswordReset


class LoginForm(DsfrBaseForm, AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé. Contactez l'ARS si vous pensez qu'il s'agit d'une erreur.",
    }


class PasswordResetRequestForm(DsfrBaseForm, PasswordResetForm):
    """Asks for a reset link. The e-mail goes through the outbox like every other message."""

    email = forms.EmailField(
        label="Adresse e-mail de votre compte",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        PasswordReset(context["user"], uid=context["uid"], token=context["token"]).send()


class NewPasswordForm(DsfrBaseForm, SetPasswordForm):
    pass
