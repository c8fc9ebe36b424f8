from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import AccessLog, User
from accounts.privacy import close_account
from accounts.rules import RuleViolation


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """People who log in. Their roles come from memberships, edited with the site, the CPAM or the region."""

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

    @admin.action(description="Fermer les comptes sélectionnés (identité anonymisée, facturation conservée)")
    def close_accounts(self, request, queryset) -> None:
        closed = 0
        for user in queryset.filter(closed_at__isnull=True):
            try:
                close_account(user, by=request.user)
            except RuleViolation as refusal:
                self.message_user(request, f"{user.email} : {refusal.message}", level=messages.ERROR)
            else:
                closed += 1
        self.message_user(request, f"{closed} compte(s) fermé(s) et anonymisé(s).", level=messages.SUCCESS)


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
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
