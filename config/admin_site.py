"""The ARS console's admin site: the one `admin.site` every app registers on (config.apps.ConsoleAdminConfig).

It adds two things to Django's site: a staff account that no region was given is told why it sees nothing, and
the system checks refuse a ModelAdmin or an inline that does not go through `config.admin_authority` (a new admin
is closed until it asks accounts.authority, like a new model)."""

from django.contrib import admin, messages
from django.core import checks

from accounts import authority

NO_REGION = (
    "Votre compte n'est rattaché à aucune région : demandez à un administrateur national de vous en attribuer une."
)


class ConsoleAdminSite(admin.AdminSite):
    site_header = "Un médecin près de chez vous — console ARS"
    site_title = "Console ARS"
    index_title = "Administration de la mission"

    def index(self, request, extra_context=None):
        if authority.is_staff_without_region(request.user):
            messages.warning(request, NO_REGION)
        return super().index(request, extra_context)

    def check(self, app_configs):
        from config.admin_authority import ScopedAdminMixin, ScopedInlineMixin

        errors = super().check(app_configs)
        for model, model_admin in self._registry.items():
            if not isinstance(model_admin, ScopedAdminMixin):
                errors.append(
                    checks.Error(
                        f"{type(model_admin).__qualname__} ({model._meta.label}) does not use ScopedAdminMixin.",
                        hint="Every ModelAdmin asks accounts.authority: add config.admin_authority.ScopedAdminMixin.",
                        obj=type(model_admin),
                        id="console.E001",
                    )
                )
            for inline in model_admin.inlines:
                if not issubclass(inline, ScopedInlineMixin):
                    errors.append(
                        checks.Error(
                            f"{inline.__qualname__} (inline of {model._meta.label}) does not use ScopedInlineMixin.",
                            hint="Every inline asks accounts.authority: add config.admin_authority.ScopedInlineMixin.",
                            obj=inline,
                            id="console.E002",
                        )
                    )
        return errors
