from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_ars_group(sender, **kwargs):
    """After each app's migrate: Django creates that app's permissions in a receiver connected before this one, so
    by the last app every permission the group needs exists (on a fresh database, the first `migrate` is enough)."""
    from accounts.authority import ensure_ars_group

    ensure_ars_group()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes"

    def ready(self):
        # No `sender`: the group is synchronised after every app, not only after `accounts` (whose post_migrate
        # runs before the permissions of sites, missions, billing and notifications exist).
        post_migrate.connect(_sync_ars_group, dispatch_uid="accounts_sync_ars_group")
        from accounts import lockout  # noqa: F401  (connects the lockout receiver for DRF requests)
