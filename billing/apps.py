from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"

    def ready(self) -> None:
        from billing import receivers  # noqa: F401 - connects the receivers of missions' signals
