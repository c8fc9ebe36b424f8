"""Forms of the security pages: the second-factor code, and the confirmation of an account closure."""

from django import forms
from django.contrib.auth import authenticate
from dsfr.forms import DsfrBaseForm

from accounts.second_factor import check_code, normalise_code


class SecondFactorForm(DsfrBaseForm):
    otp_token = forms.CharField(
        label="Code à 6 chiffres",
        help_text="Le code affiché par votre application d'authentification (il change toutes les 30 secondes).",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, user, device=None, **kwargs):
        """`device`: the device being enrolled (setup page); otherwise any confirmed device of `user`."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device
        self.verified_device = None

    def clean_otp_token(self) -> str:
        code = normalise_code(self.cleaned_data["otp_token"])
        if not code:
            raise forms.ValidationError("Saisissez les 6 chiffres du code, sans lettre.")
        if self.device is not None:
            verified = self.device if self.device.verify_token(code) else None
        else:
            verified = check_code(self.user, code)
        if verified is None:
            raise forms.ValidationError(
                "Code incorrect ou expiré. Vérifiez que l'heure de votre téléphone est juste, attendez le code "
                "suivant et réessayez."
            )
        self.verified_device = verified
        return code


class CloseAccountForm(DsfrBaseForm):
    password = forms.CharField(
        label="Votre mot de passe",
        help_text="Pour confirmer qu'il s'agit bien de vous.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="Je comprends que mon compte sera fermé définitivement et mon identité anonymisée.",
        error_messages={"required": "Cochez cette case pour confirmer la fermeture de votre compte."},
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        if authenticate(self.request, username=user.email, password=password) is None:
            raise forms.ValidationError("Mot de passe incorrect.")
        return password
