"""Accounts, and the third-party models the admin shows (groups, API tokens, second-factor devices, lockouts, the
DSFR settings): national administrators only (accounts.authority.admin_permissions gives ARS staff nothing here).

Least privilege: an ARS agent neither creates nor edits accounts, groups, permissions, tokens, devices or
memberships; a national administrator (superuser) does, and assigns each agent their region (ArsMembership).
"""

# The third-party admin modules register their models first (some of their apps come after this one in
# INSTALLED_APPS); they are then registered again below, through ScopedAdminMixin.
import axes.admin
import django.contrib.auth.admin
import django_otp.plugins.otp_totp.admin
import dsfr.admin
import rest_framework.authtoken.admin
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import AccessLog, User
from accounts.privacy import close_account
from config.admin_authority import ScopedAdminMixin, ScopedInlineMixin
from core.errors import RuleViolation
from core.words import counted


def _through_authority(model_admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """The same ModelAdmin (and inlines), asking accounts.authority first."""
    inlines = [
        type(f"Scoped{inline.__name__}", (ScopedInlineMixin, inline), {}) for inline in model_admin_class.inlines
    ]
    return type(f"Scoped{model_admin_class.__name__}", (ScopedAdminMixin, model_admin_class), {"inlines": inlines})


for _module in (
    django.contrib.auth.admin,
    rest_framework.authtoken.admin,
    axes.admin,
    django_otp.plugins.otp_totp.admin,
    dsfr.admin,
):
    for _model, _model_admin in list(admin.site._registry.items()):
        if type(_model_admin).__module__ == _module.__name__:
            admin.site.unregister(_model)
            admin.site.register(_model, _through_authority(type(_model_admin)))


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    """People who log in. Their roles come from memberships, edited with the site, the CPAM or the region.

    National administrators only: they create the accounts (ARS agents do not), grant `is_staff` and
    `is_superuser`, set passwords and close accounts."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]})
    ]
    actions = ["close_accounts"]

    def user_change_password(self, request, id, form_url=""):
        self._in_scope_or_404(request, id)  # someone else's password page: 404 to whoever may not see them
        return super().user_change_password(request, id, form_url)

    @admin.action(
        description="Fermer les comptes sélectionnés (identité anonymisée, facturation conservée)",
        permissions=["change"],
    )
    def close_accounts(self, request, queryset) -> None:
        closed = 0
        for user in queryset.filter(closed_at__isnull=True):
            try:
                close_account(user, by=request.user)
            except RuleViolation as refusal:
                self.message_user(request, f"{user.email} : {refusal.message}", level=messages.ERROR)
            else:
                closed += 1
        self.message_user(
            request, counted("{count} compte(s) fermé(s) et anonymisé(s).", closed), level=messages.SUCCESS
        )


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the trail of who consulted which personal record (written by accounts.audit)."""

    list_display = ["accessed_at", "user", "object_type", "object_id", "view_name"]
    list_filter = ["object_type", "accessed_at"]
    search_fields = ["user__email", "user__last_name", "object_id"]
    list_select_related = ["user"]
    date_hierarchy = "accessed_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
