from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.emails import AmbiguousEmail, normalize_email, validate_unambiguous_email


class UserManager(BaseUserManager):
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
    """A person who logs in with an e-mail address. Roles come from memberships (see accounts.roles)."""

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

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

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

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class AccessLog(models.Model):
    """Who looked at whose personal record, and when: the audit trail of consultations (not only changes)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="access_logs", verbose_name="consulté par"
    )
    accessed_at = models.DateTimeField("consulté le", default=timezone.now)
    object_type = models.CharField("type de dossier", max_length=60)
    object_id = models.CharField("identifiant du dossier", max_length=64)
    view_name = models.CharField("page", max_length=200)
    path = models.CharField("adresse", max_length=500)

    class Meta:
        verbose_name = "consultation de dossier"
        verbose_name_plural = "consultations de dossiers"
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "accessed_at"], name="accesslog_object_idx")]

    def __str__(self) -> str:
        return f"{self.user} – {self.object_type} {self.object_id} – {self.accessed_at:%d/%m/%Y %H:%M}"
