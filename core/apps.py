from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: the refusals (core.errors), the lifecycles engine and its log (core.transitions)."""

    name = "core"
    verbose_name = "Socle"
    default_auto_field = "django.db.models.BigAutoField"
