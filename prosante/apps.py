from django.apps import AppConfig


class ProsanteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prosante"
    verbose_name = "Pro Santé Connect"
