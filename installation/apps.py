from django.apps import AppConfig


class InstallationConfig(AppConfig):
    name = "installation"
    verbose_name = "Installation des médecins"
