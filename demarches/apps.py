from django.apps import AppConfig


class DemarchesConfig(AppConfig):
    name = "demarches"
    verbose_name = "Démarches Simplifiées"

    def ready(self) -> None:
        from demarches import notices, receivers  # noqa: F401 - the invitation notice; the decisions' hook
