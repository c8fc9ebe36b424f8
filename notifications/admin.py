from django.contrib import admin, messages

from notifications import relay
from notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject", "dedup_key"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Renvoyer les messages sélectionnés")
    def resend(self, request, queryset):
        count = relay.resend(queryset.values_list("pk", flat=True))
        if count:
            self.message_user(request, f"{count} message(s) remis en file d'envoi.", messages.SUCCESS)
        else:
            self.message_user(request, "Aucun message à renvoyer : ils sont déjà en attente d'envoi.", messages.WARNING)
