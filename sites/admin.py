"""Admin of the territory and of the host sites, for ARS staff. Slots are administered with their bookings
(missions/admin.py), since a slot's page shows who booked it."""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Count, QuerySet

from config.admin_authority import ScopedAdminMixin, ScopedInlineMixin
from sites.models import ArsMembership, Commune, Department, Epci, HostSite, Region, SiteMembership, Zone

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SiteCount(TypedDict):
    site_count: int  # ZoneAdmin.get_queryset


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "region", "cdom_name", "cdom_email", "cdom_phone"]
    list_select_related = ["region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "region"]}),
        (
            "Conseil départemental de l'Ordre des médecins",
            {"fields": ["cdom_name", "cdom_email", "cdom_phone", "cdom_address"]},
        ),
    ]


@admin.register(Epci)
class EpciAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["siren", "name", "kind", "population"]
    list_filter = ["kind"]
    search_fields = ["siren", "name"]


@admin.register(Commune)
class CommuneAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["insee_code", "name", "department", "epci", "population", "postcodes"]
    list_select_related = ["department", "epci"]
    list_filter = ["department"]
    search_fields = ["insee_code", "name", "postcodes"]
    autocomplete_fields = ["epci"]
    show_full_result_count = False


class HostSiteInline(ScopedInlineMixin, admin.TabularInline):
    model = HostSite
    fields = ["name", "kind", "commune", "active"]
    readonly_fields = ["name", "kind", "commune", "active"]
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("commune")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Zone)
class ZoneAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "siren", "department", "active", "target_days_per_month", "site_count"]
    list_editable = ["active", "target_days_per_month"]
    list_select_related = ["department"]
    list_filter = ["active", "department"]
    search_fields = ["siren", "name"]
    inlines = [HostSiteInline]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(site_count=Count("host_sites"))

    @admin.display(description="lieux d'accueil", ordering="site_count")
    def site_count(self, zone: "WithAnnotations[Zone, SiteCount]") -> int:
        return zone.site_count


class SiteMembershipInline(ScopedInlineMixin, admin.TabularInline):
    model = SiteMembership
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = "membre du lieu"
    verbose_name_plural = "membres du lieu (ils publient les créneaux et attestent les journées)"


@admin.register(HostSite)
class HostSiteAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "zone", "finess", "contact_email", "active"]
    list_select_related = ["commune", "zone"]
    # By department: a list of every zone has 2,000 entries at national scale (rendered on every page); a zone
    # is found by the search, or kept by a link's filter.
    list_filter = ["active", "kind", "zone__department"]
    LINK_FILTERS = frozenset({"zone__id__exact"})
    show_full_result_count = False
    search_fields = ["name", "finess", "commune__name", "commune__insee_code", "contact_name", "contact_email"]
    autocomplete_fields = ["commune", "zone"]
    inlines = [SiteMembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "finess", "active"]}),
        ("Adresse", {"fields": ["address", "commune", "zone"]}),
        ("Contact", {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        (
            "Accueil du médecin (informations pratiques envoyées avec chaque réservation)",
            {
                "fields": [
                    "premises_fee",
                    "sesam_vitale_reader",
                    "software",
                    "equipment_notes",
                    "lodging_notes",
                ]
            },
        ),
    ]

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup in self.LINK_FILTERS or super().lookup_allowed(lookup, value, request)


@admin.register(SiteMembership)
class SiteMembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "site"]
    list_select_related = ["user", "site"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__email", "user__last_name", "site__name"]
    autocomplete_fields = ["user", "site"]


@admin.register(ArsMembership)
class ArsMembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "region"]
    list_select_related = ["user", "region"]
    list_filter = ["region"]
    search_fields = ["user__email", "user__last_name"]
    autocomplete_fields = ["user"]
