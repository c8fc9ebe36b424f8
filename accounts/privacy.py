"""Personal data: what we hold on someone (export, as JSON) and closing their account (anonymisation).

Each app says what it holds on a person in its own `privacy.py`, which calls `register(...)` at import; this
module finds them (like the admin finds `admin.py`), so accounts never imports the apps that depend on it.

Closing an account anonymises the identity and keeps what the law requires: billing lines already written into
CPAM statements are accounting records of public money and stay as they were written (name, RPPS, amounts); the
doctor's RPPS and dedicated billing number stay on the record so that a later correction can still be paid or
reversed. Everything else that names or reaches the person is erased, and they can no longer log in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from accounts.authority import may
from accounts.credentials import revoke_credentials
from core.errors import NotAllowed, RuleViolation

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_FORMAT = "un-medecin-pres-de-chez-vous/donnees-personnelles/v1"
ANONYMOUS_FIRST_NAME = "Médecin"
ANONYMOUS_LAST_NAME = "anonymisé"
CLOSED_MESSAGE_SUBJECT = "[Message d'un compte fermé]"
CLOSED_MESSAGE_BODY = "[Contenu supprimé à la fermeture du compte du destinataire]"


@dataclass(frozen=True)
class Provider:
    """What one app holds on a person: `export(user) -> JSON-able`, and `close(user, by)` to anonymise it."""

    name: str
    export: Callable[[Any], Any]
    close: Callable[[Any, Any], None] | None = None
    order: int = 100


_providers: dict[str, Provider] = {}
_discovered = False


def register(
    name: str,
    *,
    export: Callable[[Any], Any],
    close: Callable[[Any, Any], None] | None = None,
    order: int = 100,
) -> None:
    _providers[name] = Provider(name=name, export=export, close=close, order=order)


def providers() -> list[Provider]:
    global _discovered
    if not _discovered:
        autodiscover_modules("privacy")
        _discovered = True
    return sorted(_providers.values(), key=lambda p: (p.order, p.name))


def jsonable(value: Any) -> Any:
    """Dates as ISO 8601, money as a string of its exact decimal value (never a float)."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _account(user) -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return {
        "adresse_email": user.email,
        "prenom": user.first_name,
        "nom": user.last_name,
        "actif": user.is_active,
        "inscrit_le": user.date_joined,
        "derniere_connexion": user.last_login,
        "ferme_le": user.closed_at,
        "equipe_ars": user.is_staff,
        "lieux_d_accueil": [m.site.name for m in user.site_memberships.select_related("site")],
        "double_authentification": [
            {"appareil": d.name, "confirme": d.confirmed} for d in TOTPDevice.objects.filter(user=user)
        ],
    }


def _messages(user) -> list[dict]:
    from notifications.models import Message

    return [
        {
            "type": m.kind,
            "objet": m.subject,
            "texte": m.body_text,
            "statut": m.get_status_display(),
            "cree_le": m.created_at,
            "envoye_le": m.sent_at,
        }
        for m in Message.objects.filter(recipient__iexact=user.email).order_by("created_at", "pk")
    ]


def export_personal_data(user) -> dict:
    """Everything we hold on `user`, section by section, ready for `json.dumps`."""
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "genere_le": timezone.now(),
        "compte": _account(user),
        "messages_recus": _messages(user),
    }
    for provider in providers():
        data[provider.name] = provider.export(user)
    return jsonable(data)


def anonymous_email(user: User) -> str:
    return f"compte-ferme-{user.pk}@anonyme.invalid"


def can_close_account(user: User, by: User | None) -> bool:
    """The person themselves; a superuser; ARS staff for a doctor of their region (never a staff account)."""
    if by is None:
        return False
    if getattr(by, "pk", None) == user.pk:
        return True
    return may(by, "account.close", user)


def close_account(user: User, *, by: User) -> User:
    """Anonymise `user` (at their request, or by ARS staff) and every app's data on them, in one transaction."""
    from axes.models import AccessAttempt, AccessFailureLog
    from axes.models import AccessLog as AxesAccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from notifications.models import Message

    if not can_close_account(user, by):
        raise NotAllowed("Seuls la personne elle-même et l'équipe ARS peuvent fermer ce compte.")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.closed_at is not None:
            raise RuleViolation("account_closed", "Ce compte est déjà fermé.")
        old_email = user.email
        for provider in providers():
            if provider.close is not None:
                provider.close(user, by)
        Message.objects.filter(recipient__iexact=old_email).update(
            recipient=anonymous_email(user),
            subject=CLOSED_MESSAGE_SUBJECT,
            body_text=CLOSED_MESSAGE_BODY,
            body_html="",
            last_error="",
            dedup_key=Replace("dedup_key", Value(old_email), Value(anonymous_email(user))),
        )
        TOTPDevice.objects.filter(user=user).delete()
        for model in (AccessAttempt, AccessFailureLog, AxesAccessLog):
            model.objects.filter(username__iexact=old_email).delete()
        user.email = anonymous_email(user)
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.closed_at = timezone.now()
        user.set_unusable_password()
        user.save()
        revoke_credentials(user)  # every open session and API token ends now
        user.groups.clear()
        user.user_permissions.clear()
    return user
