from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.emails import AmbiguousEmail, normalize_email, validate_unambiguous_email


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        """By the exact normal form (accounts.emails): never a case-insensitive match the database does its way."""
        try:
            return self.get(email=normalize_email(username))
        except AmbiguousEmail:
            raise self.model.DoesNotExist from None


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address. Roles come from memberships (see accounts.authority)."""

    email = models.EmailField("adresse e-mail", unique=True, validators=[validate_unambiguous_email])
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField(
        "équipe ARS", default=False, help_text="Donne accès à la console d'administration de l'ARS."
    )
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    closed_at = models.DateTimeField(
        "compte fermé le", null=True, blank=True, help_text="Identité anonymisée à la demande de la personne."
    )
    session_epoch = models.PositiveIntegerField(
        "génération des sessions",
        default=0,
        editable=False,
        help_text="Augmente à chaque changement de mot de passe ou suspension : les sessions ouvertes avant prennent fin.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self._credentials_changed = True

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        revoke = getattr(self, "_credentials_changed", False) and not self._state.adding
        if revoke:
            # A new password ends every session opened with the old one (the session hash includes the epoch) and
            # every API token; the caller's own session may then be kept with update_session_auth_hash.
            self.session_epoch += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "session_epoch"}
        super().save(*args, **kwargs)
        self._credentials_changed = False
        if revoke:
            from accounts.credentials import delete_api_tokens

            delete_api_tokens(self)

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's HMAC of the password hash, with the session epoch once it has moved (so that sessions opened
        before this field existed stay valid until the first revocation)."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class AccessLog(models.Model):
    """Who looked at whose personal record, and when: the audit trail of consultations (not only changes).

    One record (`object_id` set), or a list or an export of records in bulk (`object_id` empty, `query` and
    `record_count` say what was asked and how many records it showed)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="access_logs", verbose_name="consulté par"
    )
    accessed_at = models.DateTimeField("consulté le", default=timezone.now)
    object_type = models.CharField("type de dossier", max_length=60)
    object_id = models.CharField("identifiant du dossier", max_length=64)
    view_name = models.CharField("page", max_length=200)
    path = models.CharField("adresse", max_length=500)
    query = models.CharField(
        "filtres et recherche",
        max_length=1000,
        blank=True,
        help_text="Pour une liste ou un export : ce qui a été demandé.",
    )
    record_count = models.PositiveIntegerField(
        "nombre de dossiers", null=True, blank=True, help_text="Pour une liste ou un export ; vide pour un dossier."
    )

    class Meta:
        verbose_name = "consultation de dossier"
        verbose_name_plural = "consultations de dossiers"
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "accessed_at"], name="accesslog_object_idx")]

    def __str__(self) -> str:
        return f"{self.user} – {self.object_type} {self.object_id} – {self.accessed_at:%d/%m/%Y %H:%M}"
