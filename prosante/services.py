"""What a Pro Santé Connect identity opens here: a session for a known doctor, a prefilled registration for an unknown
one, or a refusal said in French.

Who may log in this way is decided here once:
- the national identifier must hold an RPPS number, and the person must practise as a doctor (profession 10);
- the RPPS number links to the Doctor record (the only link: PSC's e-mail, if any, is never trusted to match);
- the account behind it must be open (not closed, not deactivated) and not locked out by repeated failed password
  logins from this address (accounts/lockout.py: the same counter as every login door);
- ARS staff and superusers are refused: their access goes through a password and the TOTP second factor
  (accounts/second_factor.py), and the console's audit assumes it. PSC with eIDAS substantial (`eidas1`) is strong
  authentication in itself, but admitting it for them would be a second, differently-audited way into the console;
  that is a decision for the ARS's security officer, not a default — a staff member who is also a volunteer doctor
  keeps the password door.
The session is opened like the password door opens it (django.contrib.auth.login): its hash carries the user's
session epoch, so suspending the doctor or changing the password ends it as it ends the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest

from accounts.lockout import lockout_message
from accounts.models import User
from missions.models import Doctor
from prosante.identity import PscIdentity

SESSION_LOGIN_METHOD = "login_method"
LOGIN_METHOD = "pro_sante_connect"
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"

NOT_A_DOCTOR = (
    "Pro Santé Connect vous a bien identifié, merci. La mission de solidarité territoriale s'adresse toutefois aux "
    "médecins, et votre profession enregistrée au RPPS n'en fait pas partie : vous ne pouvez pas vous inscrire ici. "
    "Si vous êtes médecin, vérifiez votre inscription auprès de votre conseil départemental de l'Ordre."
)
NO_RPPS = (
    "Pro Santé Connect vous a identifié sans numéro RPPS : seuls les médecins inscrits au RPPS peuvent participer à "
    "la mission. Si vous êtes médecin, vérifiez votre inscription auprès de votre conseil départemental de l'Ordre."
)
STAFF_REFUSED = (
    "Les comptes de l'équipe ARS et des administrateurs se connectent avec leur adresse e-mail, leur mot de passe "
    "et leur code de double authentification, pas avec Pro Santé Connect."
)
INACTIVE = "Ce compte est désactivé. Contactez l'ARS si vous pensez qu'il s'agit d'une erreur."


def closed_message() -> str:
    return (
        "Ce compte a été fermé à votre demande. Pour reprendre part à la mission, écrivez à l'ARS : "
        f"{settings.ARS_CONTACT_EMAIL}."
    )


@dataclass(frozen=True)
class LoggedIn:
    user: User


@dataclass(frozen=True)
class Register:
    identity: PscIdentity


@dataclass(frozen=True)
class Refused:
    message: str
    status: int = 403


def refusal_for_account(request: HttpRequest, user: User) -> Refused | None:
    """Why this account may not be opened through PSC, or None."""
    if user.closed_at is not None:
        return Refused(closed_message())
    if not user.is_active:
        return Refused(INACTIVE)
    if user.is_staff or user.is_superuser:
        return Refused(STAFF_REFUSED)
    if AxesProxyHandler.is_locked(request, credentials={"username": user.email}):
        return Refused(lockout_message(), status=429)
    return None


def sign_in(request: HttpRequest, identity: PscIdentity) -> LoggedIn | Register | Refused:
    """Open the session of the doctor PSC identified, or say what comes next."""
    if identity.rpps is None:
        return Refused(NO_RPPS)
    if not identity.is_doctor:
        return Refused(NOT_A_DOCTOR)
    doctor = Doctor.objects.select_related("user").filter(rpps=identity.rpps).first()
    if doctor is None:
        return Register(identity)
    user = doctor.user
    refused = refusal_for_account(request, user)
    if refused is not None:
        return refused
    login(request, user, backend=PASSWORD_BACKEND)
    request.session[SESSION_LOGIN_METHOD] = LOGIN_METHOD
    return LoggedIn(user)
