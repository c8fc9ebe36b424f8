"""A volunteer's application, as one typed value: what missions.services.register_doctor takes.

The web form (missions.forms.RegistrationForm.registration) and the API serializer build it; building it checks and
normalises what a person typed, so a `Registration` that exists is well formed and the service trusts it. What
only the service can know (is the address or the RPPS number taken, even by a concurrent registration?) stays there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.emails import AmbiguousEmail, normalize_email
from missions.models import DoctorMode, DoctorSector
from sites.identifiers import validate_rpps
from sites.models import Commune, Department, Zone

DEFAULT_SPECIALTY = "Médecine générale"


@dataclass(frozen=True)
class Registration:
    email: str
    # None: no password (the account opens through Pro Santé Connect only; Django stores an unusable password).
    password: str | None = field(repr=False)
    first_name: str
    last_name: str
    rpps: str
    specialty: str
    sector: str
    mode: str
    practice_commune: Commune
    phone: str = ""
    zones: Iterable[Zone] = ()
    cdom_department: Department | None = None
    replacement_declared: bool = False
    # The web form must not tell anyone which addresses have an account (missions.services.register_doctor).
    discreet: bool = False

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        email = (self.email or "").strip()
        try:
            email = normalize_email(email)
        except AmbiguousEmail as exc:
            errors["email"] = exc.messages
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [
                    "Saisissez une adresse e-mail valide : c'est elle qui vous servira à vous connecter."
                ]
        try:
            validate_rpps(self.rpps)
        except ValidationError as exc:
            errors["rpps"] = exc.messages
        if self.sector not in DoctorSector.values:
            errors["sector"] = ["Secteur conventionnel inconnu."]
        if self.mode not in DoctorMode.values:
            errors["mode"] = ["Mode d'exercice inconnu."]
        first_name, last_name = (self.first_name or "").strip(), (self.last_name or "").strip()
        if not first_name:
            errors["first_name"] = ["Le prénom est obligatoire."]
        if not last_name:
            errors["last_name"] = ["Le nom est obligatoire."]
        if self.password is not None:
            try:
                user = get_user_model()(email=email, first_name=self.first_name, last_name=self.last_name)
                validate_password(self.password, user)
            except ValidationError as exc:
                errors["password"] = exc.messages
        zones = tuple(self.zones)
        if any(not zone.active for zone in zones):
            errors["zones"] = ["Une des zones choisies n'est plus ouverte à la mission."]
        if errors:
            # Every problem at once: add what the service would refuse next (the address or RPPS number taken).
            for name, messages in already_used(email, self.rpps, discreet=self.discreet).items():
                if name not in errors:
                    errors[name] = messages
            raise ValidationError(errors)
        normalised = {
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "specialty": (self.specialty or "").strip() or DEFAULT_SPECIALTY,
            "phone": (self.phone or "").strip(),
            "zones": zones,
            "cdom_department": self.cdom_department or self.practice_commune.department,
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)


def already_used(email: str, rpps: str, *, discreet: bool) -> dict[str, list[str]]:
    """The uniqueness refusals, by field: an address with an account (unless `discreet`), an RPPS number already
    filed (unless the address is taken: its owner may be filing again)."""
    from missions.models import Doctor

    taken = get_user_model().objects.filter(email=email).exists()
    if taken and not discreet:
        return {"email": ["Un compte existe déjà avec cette adresse e-mail."]}
    if not taken and Doctor.objects.filter(rpps=rpps).exists():
        return {"rpps": ["Un dossier existe déjà avec ce numéro RPPS."]}
    return {}
