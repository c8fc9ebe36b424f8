from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_ars_group(sender, **kwargs):
    from accounts.roles import ensure_ars_group

    ensure_ars_group()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes"

    def ready(self):
        post_migrate.connect(_sync_ars_group, sender=self, dispatch_uid="accounts_sync_ars_group")
        from accounts import lockout  # noqa: F401  (connects the lockout receiver for DRF requests)
