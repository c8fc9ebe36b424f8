from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = "Médecins et missions"

    def ready(self) -> None:
        from missions import doctor_regions  # noqa: F401 - connects the receivers that keep DoctorRegion
