from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: the refusals (core.errors), the lifecycles engine and its log (core.transitions)."""

    name = "core"
    verbose_name = "Socle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import search  # noqa: F401 - registers the __fold transform and SQLite's fold()
