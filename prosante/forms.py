"""The volunteer's application, prefilled from Pro Santé Connect: the same form as missions' with the RPPS number
shown but not editable (the value used is the one PSC proved, kept in the session, never the one posted) and the
password optional (the doctor may log in with PSC only)."""

from __future__ import annotations

from typing import Any

from missions.forms import RegistrationForm
from missions.models import Doctor
from missions.registration import Registration
from prosante.identity import PscIdentity
from sites.models import Commune

PASSWORD_OPTIONAL = (
    "Facultatif : vous pourrez toujours vous connecter avec Pro Santé Connect. Un mot de passe (au moins 10 "
    "caractères) vous permet aussi de vous connecter sans votre carte CPS ou votre application e-CPS."
)


def practice_commune_of(identity: PscIdentity) -> Commune | None:
    """The commune of the doctor's activity: by its INSEE code, else by a postcode that only one commune has."""
    practice = identity.practice
    if practice.commune_code:
        commune = Commune.objects.filter(insee_code=practice.commune_code.upper()).first()
        if commune is not None:
            return commune
    if len(practice.postcode) == 5 and practice.postcode.isdigit():
        found = list(Commune.objects.filter(postcodes__contains=practice.postcode)[:2])
        if len(found) == 1:
            return found[0]
    return None


def initial_from(identity: PscIdentity) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "first_name": identity.first_name.title() if identity.first_name.isupper() else identity.first_name,
        "last_name": identity.last_name.title() if identity.last_name.isupper() else identity.last_name,
        "rpps": identity.rpps,
    }
    if identity.specialty:
        initial["specialty"] = identity.specialty
    if identity.practice.mode in Doctor.Mode.values:
        initial["mode"] = identity.practice.mode
    commune = practice_commune_of(identity)
    if commune is not None:
        initial["practice_commune"] = commune.insee_code
    return initial


class PscRegistrationForm(RegistrationForm):
    def __init__(self, *args, rpps: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.proven_rpps = rpps
        self.initial["rpps"] = rpps
        field = self.fields["rpps"]
        field.disabled = True  # Django ignores a posted value and keeps the initial one
        field.help_text = "Transmis par Pro Santé Connect : il ne peut pas être modifié."
        for name in ("password", "password_confirm"):
            self.fields[name].required = False
        self.fields["password"].label = "Mot de passe (facultatif)"
        self.fields["password"].help_text = PASSWORD_OPTIONAL
        self.fields["password_confirm"].label = "Confirmation du mot de passe (facultatif)"

    def clean(self):
        data = super().clean()
        if data.get("password") and not data.get("password_confirm"):
            self.add_error("password_confirm", "Confirmez le mot de passe choisi.")
        return data

    def registration(self) -> Registration:
        data = self.cleaned_data
        return Registration(
            email=data["email"],
            password=data["password"] or None,
            first_name=data["first_name"],
            last_name=data["last_name"],
            rpps=self.proven_rpps,
            specialty=data["specialty"],
            sector=data["sector"],
            mode=data["mode"],
            practice_commune=data["practice_commune"],
            phone=data["phone"],
            zones=data["zones"],
            cdom_department=data["cdom_department"],
            replacement_declared=data["replacement_declared"],
            discreet=True,
        )
