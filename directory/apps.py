from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """The public RPPS directory (ANS « Annuaire Santé » extraction) and the check of a doctor against it."""

    name = "directory"
    verbose_name = "Annuaire santé (RPPS)"
    default_auto_field = "django.db.models.BigAutoField"
