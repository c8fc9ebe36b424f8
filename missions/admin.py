"""Admin of doctors, slots and bookings for ARS staff.

State changes go only through the services (missions.services): the status fields are read-only here, and the
actions call the same functions as the web pages and the API. When a rule says no, the admin shows its French
message for that object and carries on with the others.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from accounts import authority
from accounts.person import signed_in
from config.admin_authority import ScopedAdminMixin, ScopedInlineMixin, titled
from config.admin_scale import ProbedDatesAdminMixin
from core.errors import RuleViolation
from core.words import counted
from directory.check import RppsCheck, check_many
from missions import doctor_file, services
from missions.lifecycles import DOCTOR
from missions.models import Availability, Booking, Doctor
from missions.queries import FILE_STEP_BY_KEY, FILE_STEPS, active_bookings_count
from missions.rules import format_days, month_bounds
from sites import admin as sites_admin
from sites.models import Slot, Zone

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class Booked(TypedDict):
    booked: int  # SlotAdmin.get_queryset


# --- actions that take a few words from the person acting -------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motif", max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class ConfirmForm(forms.Form):
    """Nothing to type: the page is the confirmation of an irreversible act."""


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label="Motif (facultatif)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class ValidationReasonForm(forms.Form):
    reason = forms.CharField(
        label="Motif de la validation malgré l'écart avec l'annuaire RPPS",
        max_length=500,
        required=False,
        help_text="Obligatoire pour un dossier qui ne concorde pas avec l'annuaire ; conservé dans l'historique.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class AttestationForm(forms.Form):
    attended = forms.TypedChoiceField(
        label="Le médecin est-il venu ?",
        choices=[("1", "Oui, la journée a eu lieu"), ("0", "Non, le médecin est absent")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    consultations = forms.IntegerField(
        label="Nombre de consultations", min_value=0, max_value=200, required=False, help_text="Si le médecin est venu."
    )
    reason = forms.CharField(
        label="Motif de la correction", max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("attended") and data.get("consultations") is None:
            self.add_error("consultations", "Indiquez le nombre de consultations réalisées (0 ou plus).")
        if data.get("attended") is False:
            data["consultations"] = None
        return data


def apply_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    call: Callable[[Any], Any],
    done: str,
) -> None:
    """Call a service on each object; report what was done and, object by object, what a rule refused."""
    count = 0
    for obj in queryset:
        try:
            call(obj)
        except RuleViolation as exc:
            modeladmin.message_user(request, f"{obj} : {exc.message}", messages.ERROR)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj} : {' '.join(exc.messages)}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, counted(done, count), messages.SUCCESS)


def apply_with_form(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    call: Callable[[Any, dict[str, Any]], Any],
    done: str,
    notes: Callable[[Any], str] | None = None,
) -> TemplateResponse | None:
    """An action in two steps: a page asking for the form (a reason, an attestation), then the service calls.
    `notes(obj)` says something of each object on that page (the RPPS check of a doctor to validate)."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            apply_each(modeladmin, request, queryset, lambda obj: call(obj, form.cleaned_data), done)
            return None  # back to the list, with the messages
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": list(queryset),
        "items": [(obj, notes(obj) if notes else "") for obj in queryset],
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/action_with_form.html", context)


# --- doctors -------------------------------------------------------------------------------------------------


def rpps_check_html(verdict: RppsCheck) -> str:
    """The check as ARS staff read it: a badge, what differs, and which directory said so."""
    problems = format_html_join("", "<li>{}</li>", ((p,) for p in verdict.problems))
    return format_html(
        '<p><strong class="rpps-check rpps-check--{}">{}</strong>{}</p>{}',
        verdict.badge,
        verdict.headline,
        format_html(' <span class="help">({})</span>', verdict.source) if verdict.loaded else "",
        format_html("<ul>{}</ul>", problems) if verdict.problems else "",
    )


BOOKING_COLUMNS: tuple[str, ...] = ("date", "period", "slot", "status", "late_cancellation", "consultations")


class BookingInline(ScopedInlineMixin, admin.TabularInline):
    model = Booking
    fk_name = "doctor"
    fields = BOOKING_COLUMNS
    readonly_fields = BOOKING_COLUMNS
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-date"]
    verbose_name_plural = "réservations"

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("slot__site")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


FILE_STEP_FIELDS = [
    "cdom_status",
    "cdom_decided_at",
    "cdom_decided_by",
    "cdom_reason",
    "insurance_status",
    "insurer",
    "insurance_contract",
    "insurance_covers_sites",
    "insurance_declared_at",
    "insurance_declared_by",
    "billing_number_status",
    "billing_number_recorded_by",
    "cps_card_status",
]


class FileStepFilter(admin.SimpleListFilter):
    """The doctors waiting at one step of their file (the ARS dashboard links here: ?etape=cdom)."""

    title = "étape du dossier en attente"
    parameter_name = "etape"

    def lookups(self, request, model_admin):
        return [(step.key, step.label) for step in FILE_STEPS]

    def queryset(self, request, queryset):
        step = FILE_STEP_BY_KEY.get(self.value() or "")
        return queryset.filter(step.waiting) if step else queryset


@dataclass(frozen=True)
class FileAct:
    """A button of the doctor's file page: the lifecycle act it runs, its confirmation page, the service."""

    act: str  # the act of missions.lifecycles.DOCTOR
    label: str  # the button
    consequence: str  # what the confirmation page says will happen
    form: type[forms.Form] | None
    call: Callable[[Doctor, Any, dict[str, Any]], Any]
    done: str


FILE_ACTS: dict[str, FileAct] = {
    "valider": FileAct(
        "validate",
        "Valider le dossier",
        "Le médecin pourra réserver des créneaux ; le CDOM et la CPAM de rattachement sont prévenus (numéro "
        "Assurance Maladie dédié à attribuer). Si le dossier ne concorde pas avec l'annuaire RPPS, indiquez le "
        "motif de la validation malgré cet écart.",
        OptionalReasonForm,
        lambda doctor, by, data: services.validate_doctor(doctor, by=by, reason=data["reason"]),
        "Dossier validé : le CDOM et la CPAM sont prévenus.",
    ),
    "refuser": FileAct(
        "reject",
        "Refuser le dossier",
        "Le dossier est refusé ; le motif est communiqué au médecin.",
        ReasonForm,
        lambda doctor, by, data: services.reject_doctor(doctor, by=by, reason=data["reason"]),
        "Dossier refusé : le médecin est prévenu.",
    ),
    "suspendre": FileAct(
        "suspend",
        "Suspendre",
        "Ses réservations à venir sont annulées (les lieux d'accueil et le médecin sont prévenus) et ne sont pas "
        "rétablies s'il est réintégré ; ses sessions et jetons d'accès prennent fin.",
        OptionalReasonForm,
        lambda doctor, by, data: services.suspend_doctor(doctor, by=by, reason=data["reason"]),
        "Médecin suspendu.",
    ),
    "reintegrer": FileAct(
        "reinstate",
        "Réintégrer",
        "Le médecin pourra de nouveau réserver des créneaux ; il est prévenu.",
        None,
        lambda doctor, by, data: services.reinstate_doctor(doctor, by=by),
        "Médecin réintégré.",
    ),
}


@admin.register(Doctor)
class DoctorAdmin(ScopedAdminMixin, ProbedDatesAdminMixin, SimpleHistoryAdmin):
    # What ARS staff decide on first (who, where the file stands), then where and the numbers; the rest is in the file.
    list_display = [
        "last_name",
        "first_name",
        "status",
        "submitted_at",
        "practice_department",
        "rpps",
        "billing_number",
    ]
    list_display_links = ["last_name", "first_name"]
    list_select_related = ["practice_department"]
    # Covered zones by department: a list of every zone has 2,000 entries at national scale.
    list_filter = [
        "status",
        FileStepFilter,
        titled("practice_department", "département d'exercice"),
        "sector",
        "mode",
        titled("zones__department", "département des zones couvertes"),
    ]
    show_full_result_count = False  # one COUNT of 30,000 doctors, not two
    list_per_page = 50
    search_fields = ["last_name", "first_name", "rpps", "user__email"]
    date_hierarchy = "submitted_at"
    # Zones: a plain multiple select (the zones offered are the region's), which screen readers handle; the
    # autocomplete widget's markup is not accessible (axe: unlabelled search field, list of non-items).
    autocomplete_fields = ["user", "practice_commune", "cdom_department"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "status_changed_by",
        "status_reason",
        "submitted_at",
        "validated_at",
        "practice_department",
        "billing_number_recorded_at",
        "cps_followup_sent_at",
        "rpps_check",
        # the file's steps change through their acts only (missions.doctor_file, the actions below)
        *FILE_STEP_FIELDS,
    ]
    exclude = ["ical_token"]
    fieldsets = [
        ("Identité", {"fields": ["user", "first_name", "last_name", "rpps", "phone"]}),
        (
            "Exercice",
            {
                "fields": [
                    "specialty",
                    "sector",
                    "mode",
                    "practice_commune",
                    "practice_department",
                    "cdom_department",
                    "replacement_declared",
                    "zones",
                ]
            },
        ),
        ("Annuaire RPPS", {"fields": ["rpps_check"]}),
        (
            "Dossier",
            {
                "fields": [
                    "status",
                    "status_reason",
                    "status_changed_at",
                    "status_changed_by",
                    "submitted_at",
                    "validated_at",
                ]
            },
        ),
        ("Avis du CDOM", {"fields": ["cdom_status", "cdom_decided_at", "cdom_decided_by", "cdom_reason"]}),
        (
            "Assurance RCP",
            {
                "fields": [
                    "insurance_status",
                    "insurer",
                    "insurance_contract",
                    "insurance_covers_sites",
                    "insurance_declared_at",
                    "insurance_declared_by",
                ]
            },
        ),
        (
            "Assurance Maladie et carte CPS",
            {
                "fields": [
                    "billing_number_status",
                    "billing_number",
                    "billing_number_recorded_at",
                    "billing_number_recorded_by",
                    "cps_card_status",
                    "cps_card_requested_on",
                    "cps_card_received_on",
                    "cps_followup_sent_at",
                ]
            },
        ),
    ]
    inlines = [BookingInline]
    actions = ["validate", "suspend", "reinstate", "reject", "withdraw", "cdom_authorise", "cdom_refuse"]

    def get_readonly_fields(self, request, obj=None):
        # The dedicated billing number goes through billing.services.record_billing_number (checked, stamped, told
        # to the doctor: the CPAM's page); the account a record belongs to is a national administrator's matter.
        readonly = [*super().get_readonly_fields(request, obj), "billing_number"]
        if not authority.is_superuser(request.user):
            readonly.append("user")
        return readonly

    def has_add_permission(self, request) -> bool:
        return False  # doctors register themselves (missions.services.register_doctor), ARS staff validate

    # -- the file's buttons: one confirmation page per act, then the service ------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.file_act_view)
        return [
            path("<int:object_id>/dossier/<slug:verb>/", view, name="missions_doctor_file_act"),
            *super().get_urls(),
        ]

    def file_acts(self, request: HttpRequest, doctor: Doctor) -> list[tuple[str, FileAct]]:
        """The acts the doctor's state allows, for ARS staff who may act (the service checks the rest)."""
        if not self.has_service_permission(request):
            return []
        return [(verb, spec) for verb, spec in FILE_ACTS.items() if DOCTOR.can(doctor, spec.act)]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        doctor = self.get_object(request, unquote(object_id))
        acts = self.file_acts(request, doctor) if doctor is not None else []
        return super().change_view(request, object_id, form_url, {"file_acts": acts, **(extra_context or {})})

    def file_act_view(self, request: HttpRequest, object_id: int, verb: str) -> HttpResponse:
        doctor = self.get_object(request, str(object_id))
        spec = FILE_ACTS.get(verb)
        if doctor is None or spec is None:
            raise Http404
        if not self.has_service_permission(request):
            raise PermissionDenied
        change = reverse("admin:missions_doctor_change", args=[doctor.pk])
        form = spec.form(request.POST if request.method == "POST" else None) if spec.form else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                spec.call(doctor, signed_in(request), form.cleaned_data if form else {})
            except RuleViolation as exc:
                self.message_user(request, exc.message, messages.ERROR)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, spec.done, messages.SUCCESS)
            return redirect(change)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{spec.label} — Dr {doctor.full_name}",
            "doctor": doctor,
            "spec": spec,
            "form": form,
            "opts": self.model._meta,
            "change_url": change,
        }
        return TemplateResponse(request, "admin/missions/doctor/file_act.html", context)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdrawn, never deleted: bookings and statements refer to them

    def save_model(self, request, obj: Doctor, form, change) -> None:
        # The department of the main practice is the commune's (it decides the CPAM de rattachement, R8).
        obj.practice_department_id = obj.practice_commune.department_id
        super().save_model(request, obj, form, change)

    @admin.display(description="vérification dans l'annuaire RPPS")
    def rpps_check(self, doctor: Doctor) -> str:
        return rpps_check_html(check_many([doctor])[doctor.rpps])

    @admin.action(description="Valider les dossiers sélectionnés", permissions=["service"])
    def validate(self, request, queryset):
        """In one step when the RPPS directory agrees with every application; otherwise a page shows each check
        and asks the reason for validating in spite of the difference (missions.services.validate_doctor)."""
        doctors = list(queryset)
        checks = check_many(doctors)
        done = "{count} dossier(s) validé(s) : le CDOM et la CPAM sont prévenus."
        if "apply" not in request.POST and all(checks[d.rpps].clean for d in doctors):
            apply_each(self, request, queryset, lambda doctor: services.validate_doctor(doctor, by=request.user), done)
            return None
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ValidationReasonForm,
            title="Valider des dossiers (vérification dans l'annuaire RPPS)",
            call=lambda doctor, data: services.validate_doctor(doctor, by=request.user, reason=data["reason"]),
            done=done,
            notes=lambda doctor: checks[doctor.rpps].summary,
        )

    @admin.action(description="Suspendre les médecins sélectionnés", permissions=["service"])
    def suspend(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=OptionalReasonForm,
            title="Suspendre des médecins",
            call=lambda doctor, data: services.suspend_doctor(doctor, by=request.user, reason=data["reason"]),
            done="{count} médecin(s) suspendu(s).",
        )

    @admin.action(description="Réintégrer les médecins sélectionnés", permissions=["service"])
    def reinstate(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda doctor: services.reinstate_doctor(doctor, by=request.user),
            "{count} médecin(s) réintégré(s).",
        )

    @admin.action(description="Refuser les dossiers sélectionnés", permissions=["service"])
    def reject(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Refuser des dossiers (le motif est communiqué au médecin)",
            call=lambda doctor, data: services.reject_doctor(doctor, by=request.user, reason=data["reason"]),
            done="{count} dossier(s) refusé(s).",
        )

    @admin.action(description="Retirer de la mission les médecins sélectionnés", permissions=["service"])
    def withdraw(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=OptionalReasonForm,
            title="Retirer des médecins de la mission (leurs réservations à venir sont annulées)",
            call=lambda doctor, data: services.withdraw_doctor(doctor, by=request.user, reason=data["reason"]),
            done="{count} médecin(s) retiré(s) de la mission.",
        )

    @admin.action(description="Enregistrer l'autorisation du CDOM", permissions=["service"])
    def cdom_authorise(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda doctor: doctor_file.record_cdom_decision(doctor, authorised=True, by=request.user),
            "{count} autorisation(s) du CDOM enregistrée(s) : les médecins sont prévenus.",
        )

    @admin.action(description="Enregistrer le refus du CDOM", permissions=["service"])
    def cdom_refuse(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Enregistrer le refus du CDOM (le motif est communiqué au médecin)",
            call=lambda doctor, data: doctor_file.record_cdom_decision(
                doctor, authorised=False, reason=data["reason"], by=request.user
            ),
            done="{count} refus du CDOM enregistré(s).",
        )


@admin.register(Availability)
class AvailabilityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["date", "period", "doctor"]
    list_select_related = ["doctor"]
    list_filter = ["period"]
    date_hierarchy = "date"
    search_fields = ["doctor__last_name", "doctor__first_name", "doctor__rpps"]
    autocomplete_fields = ["doctor"]


# --- zones: the sites app's admin, with this month's coverage (bookings live here) -----------------------------


def _month_booked_days() -> Coalesce:
    """Doctor-days booked (requested, confirmed or completed) in the zone this month: what coverage counts."""
    first, last = month_bounds(timezone.localdate())
    booked = (
        Booking.objects.filter(zone=OuterRef("pk"), date__range=(first, last), status__in=Booking.ACTIVE_STATUSES)
        .order_by()
        .values("zone")
        .annotate(days=Sum("day_fraction"))
        .values("days")
    )
    return Coalesce(Subquery(booked), Value(Decimal("0")), output_field=DecimalField())


class UnderTargetFilter(admin.SimpleListFilter):
    title = "couverture du mois"
    parameter_name = "couverture"

    def lookups(self, request, model_admin):
        return [("sous-objectif", "Sous l'objectif"), ("atteint", "Objectif atteint")]

    def queryset(self, request, queryset):
        if self.value() == "sous-objectif":
            return queryset.filter(booked_days__lt=F("target_days_per_month"))
        if self.value() == "atteint":
            return queryset.filter(booked_days__gte=F("target_days_per_month"))
        return queryset


admin.site.unregister(Zone)


@admin.register(Zone)
class ZoneAdmin(sites_admin.ZoneAdmin):
    list_display = ["name", "department", "coverage", "target_days_per_month", "active", "site_count", "siren"]
    list_filter = [UnderTargetFilter, "active", "department"]

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(booked_days=_month_booked_days())

    @admin.display(description="couverture du mois", ordering="booked_days")
    def coverage(self, zone: Zone) -> str:
        booked, target = zone.booked_days, zone.target_days_per_month  # type: ignore[attr-defined]
        share = f" ({booked * 100 / target:.0f} %)" if target else ""
        return f"{format_days(booked)} sur {target}{share}"

    def has_delete_permission(self, request, obj=None) -> bool:
        """A zone with history (host sites, slots, bookings) is never deleted: deactivate it. (A bulk delete meets
        the same wall: those rows protect their zone in the database.)"""
        if obj is not None and (obj.host_sites.exists() or obj.slots.exists() or obj.bookings.exists()):
            return False
        return super().has_delete_permission(request, obj)


# --- slots -----------------------------------------------------------------------------------------------------


class SlotBookingInline(BookingInline):
    fk_name = "slot"
    fields = ("doctor", "status", "late_cancellation", "consultations")
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).select_related("doctor")


@admin.register(Slot)
class SlotAdmin(ScopedAdminMixin, ProbedDatesAdminMixin, SimpleHistoryAdmin):
    """Sites publish their slots (web pages, API); here ARS staff look, search and close."""

    list_display = ["date", "period", "site", "zone", "capacity", "booked", "status"]
    list_select_related = ["site", "zone"]
    # A million slots at national scale: newest first along the date index (the model's order, by site name,
    # sorted every slot), one count, filters by department (2,000 zones, and the « related only » site list
    # scanned every slot); a site or a zone is found by the search, or kept by a link's filter.
    ordering = ["-date", "-id"]
    show_full_result_count = False
    list_per_page = 50  # Django's admin renders each cell in Python: 100 rows cost ~80 ms of CPU
    list_filter = ["status", "period", "zone__department"]
    LINK_FILTERS = frozenset({"zone__id__exact", "site__id__exact"})
    date_hierarchy = "date"
    search_fields = ["site__name", "zone__name", "note"]
    readonly_fields = [
        "site",
        "zone",
        "date",
        "period",
        "capacity",
        "status",
        "created_at",
        "created_by",
        "closed_at",
        "closed_by",
        "closed_reason",
    ]
    fields = [
        *["site", "zone", "date", "period", "capacity", "note", "status", "created_at", "created_by"],
        *["closed_at", "closed_by", "closed_reason"],
    ]
    inlines = [SlotBookingInline]
    actions = ["close"]

    def get_queryset(self, request) -> QuerySet:
        # A subquery per listed slot, not a join and GROUP BY over every slot (the count needs no join then).
        return super().get_queryset(request).annotate(booked=active_bookings_count())

    @admin.display(description="réservés", ordering="booked")
    def booked(self, slot: "WithAnnotations[Slot, Booked]") -> int:
        return slot.booked

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup in self.LINK_FILTERS or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return False  # published by the sites, through sites.services.publish_slot

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # closed, never deleted: bookings and statements refer to it

    @admin.action(description="Fermer les créneaux sélectionnés (annule leurs réservations)", permissions=["service"])
    def close(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Fermer des créneaux (le motif est communiqué aux médecins)",
            call=lambda slot, data: services.close_slot(slot, by=request.user, reason=data["reason"]),
            done="{count} créneau(x) fermé(s).",
        )


# --- bookings --------------------------------------------------------------------------------------------------


@admin.register(Booking)
class BookingAdmin(ScopedAdminMixin, ProbedDatesAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "date",
        "period",
        "doctor",
        "site",
        "zone",
        "status",
        "in_own_zone",
        "late_cancellation",
        "consultations",
        "replaced",
    ]
    list_display_links = ["date", "doctor"]
    list_select_related = ["doctor", "slot__site", "zone"]
    # By department, not by zone or site: at national scale those lists have 2,000 and 5,000 entries (and the
    # « related only » site list scanned every booking); the search finds a site by name.
    list_filter = [
        "status",
        "zone__department",
        ("corrected_at", admin.EmptyFieldListFilter),  # corrections to read (site or ARS), with their reason
        "late_cancellation",
        "in_own_zone",
        "period",
    ]
    date_hierarchy = "date"
    show_full_result_count = False  # one COUNT of 720,000 rows, not two
    list_per_page = 50  # Django's admin renders each cell in Python: 100 rows cost ~80 ms of CPU
    search_fields = ["doctor__last_name", "doctor__first_name", "doctor__rpps", "slot__site__name"]
    LINK_FILTERS = frozenset({"zone__id__exact", "slot__site__id__exact"})  # kept for links, not listed
    fieldsets = [
        (None, {"fields": ["doctor", "slot", "zone", "date", "period", "day_fraction", "status", "in_own_zone"]}),
        ("Demande et confirmation", {"fields": ["requested_at", "requested_by", "confirmed_at", "confirmed_by"]}),
        (
            "Refus ou annulation",
            {"fields": ["declined_at", "declined_by", "cancelled_at", "cancelled_by", "reason", "late_cancellation"]},
        ),
        ("Attestation", {"fields": ["attested_at", "attested_by", "consultations"]}),
        (
            "Correction de l'attestation (lieu d'accueil ou ARS)",
            {"fields": ["corrected_at", "corrected_by", "correction_reason"]},
        ),
        (
            "Remplacement au cabinet du médecin ce jour-là (dérogation CNOM)",
            {"fields": ["replacement_name", "replacement_rpps", "derogation_requested_on"]},
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)
    actions = ["confirm", "cancel", "correct"]

    @admin.display(description="lieu d'accueil", ordering="slot__site__name")
    def site(self, booking: Booking) -> str:
        return booking.slot.site.name

    @admin.display(description="remplaçant au cabinet")
    def replaced(self, booking: Booking) -> str:
        if not booking.has_replacement:
            return "—"
        return f"{booking.replacement_name} ({booking.replacement_rpps})"

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup in self.LINK_FILTERS or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return False  # a booking is made by a doctor, through missions.services.book_slot

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancelled, never deleted: the audit trail and the statements depend on it

    @admin.action(description="Confirmer les réservations sélectionnées", permissions=["service"])
    def confirm(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda booking: services.confirm_booking(booking, by=request.user),
            "{count} réservation(s) confirmée(s).",
        )

    @admin.action(description="Annuler les réservations sélectionnées", permissions=["service"])
    def cancel(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Annuler des réservations (le motif est communiqué au médecin et au lieu)",
            call=lambda booking, data: services.cancel_booking(booking, by=request.user, reason=data["reason"]),
            done="{count} réservation(s) annulée(s).",
        )

    @admin.action(description="Corriger l'attestation des réservations sélectionnées", permissions=["service"])
    def correct(self, request, queryset):
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=AttestationForm,
            title="Corriger une attestation",
            call=lambda booking, data: services.correct_attestation(
                booking,
                by=request.user,
                attended=data["attended"],
                consultations=data["consultations"],
                reason=data["reason"],
            ),
            done="{count} attestation(s) corrigée(s).",
        )
