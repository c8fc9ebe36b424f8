"""Admin of the installation app: the zonage (read; loaded by `manage.py load_zonage`), the aids catalogue (loaded
from data/installation/aides.toml, edited by national administrators, every version kept), the referents (ARS staff
of the region edit them), and the leads, which move only through the lifecycle's acts (installation.services)."""

from django.contrib import admin
from django.db.models import QuerySet
from simple_history.admin import SimpleHistoryAdmin

from config.admin_authority import ScopedAdminMixin
from installation import services
from installation.models import Aid, CommuneZonage, InstallationLead, InstallationReferent, ZonageDecree
from missions.admin import OptionalReasonForm, ReasonForm, apply_each, apply_with_form


@admin.register(ZonageDecree)
class ZonageDecreeAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["reference", "region", "valid_from", "valid_until", "file_name", "loaded_at"]
    list_filter = ["region"]
    readonly_fields = ["loaded_at", "loaded_by", "file_name"]


@admin.register(CommuneZonage)
class CommuneZonageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["commune", "kind", "qpv", "territory", "decree"]
    list_select_related = ["commune", "decree"]
    list_filter = ["kind", "qpv", "decree"]
    search_fields = ["commune__name", "commune__insee_code", "territory"]
    raw_id_fields = ["commune"]
    show_full_result_count = False


@admin.register(Aid)
class AidAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "payer", "amount", "valid_from", "valid_until", "confidence", "catalogue_version"]
    list_filter = ["confidence", "region"]
    search_fields = ["name", "key", "payer"]


@admin.register(InstallationReferent)
class InstallationReferentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "department", "email", "phone", "active"]
    list_select_related = ["department"]
    list_filter = ["active", "department"]
    search_fields = ["name", "email"]


@admin.register(InstallationLead)
class InstallationLeadAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The referent's console: each lead, its message, and the acts that move it (history kept)."""

    list_display = ["doctor", "place_name", "department", "status", "created_at", "contacted_at", "closed_at"]
    list_select_related = ["doctor", "zone", "commune", "department"]
    list_filter = ["status", "department"]
    search_fields = ["doctor__last_name", "doctor__first_name", "zone__name", "commune__name"]
    readonly_fields = [
        "doctor",
        "zone",
        "commune",
        "department",
        "message",
        "status",
        "created_at",
        "contacted_at",
        "contacted_by",
        "closed_at",
        "closed_by",
        "note",
    ]
    actions = ["contact", "plan", "install", "abandon"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("doctor", "zone", "commune", "department")

    @admin.display(description="lieu")
    def place_name(self, lead: InstallationLead) -> str:
        return lead.place_name

    def has_add_permission(self, request) -> bool:
        return False  # a volunteer asks, from « S'installer ici » (installation.services.ask_about)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # closed (installed or abandoned), never deleted: the history depends on it

    @admin.action(description="Marquer « contacté »", permissions=["service"])
    def contact(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda lead: services.follow_lead(lead, "contact", by=request.user),
            "{count} demande(s) marquée(s) « contacté ».",
        )

    @admin.action(description="Passer « en projet »", permissions=["service"])
    def plan(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda lead: services.follow_lead(lead, "plan", by=request.user),
            "{count} demande(s) passée(s) « en projet ».",
        )

    @admin.action(description="Enregistrer l'installation", permissions=["service"])
    def install(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=OptionalReasonForm,
            title="Enregistrer l'installation (lieu, date, remarques)",
            call=lambda lead, data: services.follow_lead(lead, "install", by=request.user, note=data["reason"]),
            done="{count} installation(s) enregistrée(s).",
        )

    @admin.action(description="Clore (abandon)", permissions=["service"])
    def abandon(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Clore des demandes (abandon)",
            call=lambda lead, data: services.follow_lead(lead, "abandon", by=request.user, note=data["reason"]),
            done="{count} demande(s) close(s).",
        )
