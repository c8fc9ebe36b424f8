from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django's admin, served by the console's own site (config/admin_site.py): every ModelAdmin registered on it
    asks accounts.authority who sees and does what, and `manage.py check` fails when one does not."""

    default_site = "config.admin_site.ConsoleAdminSite"
