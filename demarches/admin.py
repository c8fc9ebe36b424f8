"""The console's view of the Démarches Simplifiées import, for ARS staff of the dossier's region (and superusers).

« Dossiers DS »: every dossier read, filterable on « À compléter » with the reasons; the action « Relire dans DS »
(after the démarche or the field map was fixed) and the button « Synchroniser avec Démarches Simplifiées » call the
services (demarches.services), which ask accounts.authority. Decisions waiting for DS, and those it refused, are
listed with the action « Renvoyer ». Nothing here is edited by hand.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.authority import may
from accounts.person import signed_in
from config.admin_authority import ScopedAdminMixin
from core.words import counted
from demarches import services
from demarches.client import configured
from demarches.models import Decision, DemarcheSync, Dossier


class ReadOnly(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnly):
    list_display = ["number", "last_name", "first_name", "status", "reasons_list", "state", "department", "doctor_link"]
    list_select_related = ["department", "doctor"]
    list_filter = ["status", "state", "department"]
    search_fields = ["=number", "last_name", "email"]
    readonly_fields = [
        "number",
        "demarche_number",
        "state",
        "ds_updated_at",
        "deposited_at",
        "status",
        "reasons_list",
        "note",
        "doctor_link",
        "last_name",
        "first_name",
        "email",
        "department",
        "first_seen_at",
        "synced_at",
    ]
    exclude = ["problems", "doctor", "ds_id"]
    actions = ["resync"]
    change_list_template = "admin/demarches/dossier/change_list.html"

    @admin.display(description="à compléter")
    def reasons_list(self, dossier: Dossier) -> str:
        if not dossier.problems:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p["reason"],) for p in dossier.problems))
        )

    @admin.display(description="médecin", ordering="doctor__last_name")
    def doctor_link(self, dossier: Dossier) -> str:
        if dossier.doctor is None:
            return "—"
        url = reverse("admin:missions_doctor_change", args=[dossier.doctor_id])
        return format_html('<a href="{}">{}</a>', url, dossier.doctor)

    @admin.action(description="Relire les dossiers sélectionnés dans Démarches Simplifiées", permissions=["service"])
    def resync(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not configured():
            self.message_user(request, "Démarches Simplifiées n'est pas configuré.", messages.ERROR)
            return
        report = services.retry_dossiers(queryset.order_by("number"), by=signed_in(request))
        self.message_user(request, report.summary(), messages.ERROR if report.error else messages.SUCCESS)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        sync = DemarcheSync.objects.filter(demarche_number=services.settings.DS_DEMARCHE_NUMBER).first()
        extra = {
            "ds_configured": configured() and self._may_sync(request),
            "ds_sync": sync,
            "to_complete": Dossier.objects.filter(pk__in=self.get_queryset(request).values("pk"))
            .filter(status=Dossier.Status.TO_COMPLETE)
            .count(),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def _may_sync(self, request: HttpRequest) -> bool:
        state, _ = DemarcheSync.objects.get_or_create(demarche_number=services.settings.DS_DEMARCHE_NUMBER)
        return may(request.user, "demarches.sync", state)

    def get_urls(self):
        view = self.admin_site.admin_view(self.sync_view)
        return [path("synchroniser/", view, name="demarches_dossier_sync"), *super().get_urls()]

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        """« Synchroniser avec Démarches Simplifiées »: the same import as the scheduled job, now."""
        if request.method != "POST" or not configured() or not self._may_sync(request):
            return redirect("admin:demarches_dossier_changelist")
        report = services.sync_demarche()
        level = messages.ERROR if report.error or report.skipped else messages.SUCCESS
        self.message_user(request, report.summary(), level)
        return redirect("admin:demarches_dossier_changelist")


@admin.register(Decision)
class DecisionAdmin(ReadOnly):
    list_display = ["dossier", "kind", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    list_select_related = ["dossier"]
    list_filter = ["status", "kind"]
    search_fields = ["=dossier__number"]
    readonly_fields = [
        "dossier",
        "kind",
        "motivation",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    actions = ["retry"]

    @admin.action(description="Renvoyer à DS les décisions en échec sélectionnées", permissions=["service"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.retry_decisions(queryset.select_related("dossier"), by=signed_in(request))
        self.message_user(request, counted("{count} décision(s) remise(s) en file d'envoi.", count), messages.SUCCESS)
