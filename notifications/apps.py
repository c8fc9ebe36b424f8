from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        autodiscover_modules("notices")  # each app's notices.py declares its kinds of message (notifications.notices)
