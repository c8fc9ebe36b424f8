from django.contrib import admin, messages
from django.db.models import Q

from config.admin_authority import ScopedAdminMixin
from core.words import counted
from notifications import outbox
from notifications.kinds import is_secret, secret_kinds
from notifications.models import Message

HIDDEN_FOR_SECRETS = frozenset({"body_text", "body_html", "dedup_key"})


@admin.register(Message)
class MessageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The outbox, read-only. A message carrying a personal link (its Notice says `secret = True`) never shows its body here,
    to anyone: the link is the recipient's alone (and the relay erases it once sent)."""

    list_display = ["created_at", "kind", "recipient", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Message._meta.fields] + ["secret_body"]
    actions = ["resend"]

    def get_fields(self, request, obj=None):
        fields = [f.name for f in Message._meta.fields]
        if obj is not None and is_secret(obj.kind):
            return [name for name in fields if name not in HIDDEN_FOR_SECRETS] + ["secret_body"]
        return fields

    @admin.display(description="contenu")
    def secret_body(self, message: Message) -> str:
        return "Masqué : ce message contient un lien personnel, réservé à son destinataire."

    def has_add_permission(self, request):
        return False

    @admin.action(description="Renvoyer les messages sélectionnés", permissions=["service"])
    def resend(self, request, queryset):
        # A personal link already sent is erased: the person asks for a new one (a new message).
        spent = Q(kind__in=secret_kinds(), status=Message.Status.SENT)
        if queryset.filter(spent).exists():
            self.message_user(
                request,
                "Un message contenant un lien personnel déjà envoyé ne peut pas être renvoyé : "
                "la personne en demande un nouveau.",
                messages.WARNING,
            )
        count = outbox.resend(queryset.exclude(spent).values_list("pk", flat=True))
        if count:
            self.message_user(request, counted("{count} message(s) remis en file d'envoi.", count), messages.SUCCESS)
        else:
            self.message_user(request, "Aucun message à renvoyer : ils sont déjà en attente d'envoi.", messages.WARNING)
