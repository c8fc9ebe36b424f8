"""Admin of CPAMs, their agents, flat rates and statements, for ARS staff.

Statements change only through billing.services: everything on them is read-only here, and the actions
(« générer », « émettre », « marquer payé ») call the same functions as the API and the CPAM space. An issued
statement cannot be deleted.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from accounts.person import signed_in
from billing import services
from billing.models import Cpam, CpamMembership, FlatRate, Statement, StatementLine, month_label
from config.admin_authority import ScopedAdminMixin, ScopedInlineMixin
from core.errors import RuleViolation
from core.words import counted
from missions.admin import ConfirmForm, apply_each, apply_with_form

INLINE_LINES = 200


@admin.register(Cpam)
class CpamAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "department", "email", "phone"]
    list_editable = ["email"]  # the mission's addresses arrive one CPAM at a time
    list_select_related = ["department"]
    search_fields = ["name", "department__code", "department__name", "email"]
    autocomplete_fields = ["department"]


@admin.register(CpamMembership)
class CpamMembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "cpam"]
    list_select_related = ["user", "cpam"]
    list_filter = ["cpam"]
    search_fields = ["user__email", "user__last_name", "cpam__name", "cpam__department__code"]
    autocomplete_fields = ["user", "cpam"]


@admin.register(FlatRate)
class FlatRateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["amount", "valid_from", "valid_to"]
    ordering = ["-valid_from"]


class FirstLinesFormSet(BaseInlineFormSet):
    """The first lines only: a statement may hold thousands (the exports and the line list show them all)."""

    def get_queryset(self) -> QuerySet:
        return super().get_queryset()[:INLINE_LINES]


class StatementLineInline(ScopedInlineMixin, admin.TabularInline):
    model = StatementLine
    formset = FirstLinesFormSet
    fields = (
        "kind",
        "doctor_last_name",
        "doctor_first_name",
        "doctor_rpps",
        "doctor_billing_number",
        "date",
        "period_label",
        "site_name",
        "day_fraction",
        "rate",
        "amount",
        "note",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = f"lignes (les {INLINE_LINES} premières)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class GenerateForm(forms.Form):
    month = forms.DateField(
        label="Mois",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text="Les journées attestées et non encore facturées jusqu'à la fin de ce mois, pour chaque CPAM.",
    )


@admin.register(Statement)
class StatementAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "reference",
        "cpam",
        "month_label",
        "status",
        "line_count",
        "total_days",
        "total_amount",
        "issued_at",
        "paid_at",
    ]
    list_select_related = ["cpam__department"]
    list_filter = ["status", "month", "cpam"]  # month: by month (config.admin_authority.MonthListFilter)
    search_fields = ["cpam__name", "cpam__department__code"]
    exclude = ["month"]  # shown as « novembre 2026 » (month_label), never as the date of its first day
    readonly_fields = [
        "cpam",
        "month_label",
        "status",
        "line_count",
        "total_days",
        "total_amount",
        "generated_at",
        "generated_by",
        "issued_at",
        "issued_by",
        "paid_at",
        "paid_by",
        "downloads",
        "all_lines",
    ]
    inlines = [StatementLineInline]
    actions = ["regenerate", "issue", "mark_paid"]
    change_list_template = "admin/billing/statement/change_list.html"

    @admin.display(description="référence", ordering="month")
    def reference(self, statement: Statement) -> str:
        return statement.reference

    @admin.display(description="mois", ordering="month")
    def month_label(self, statement: Statement) -> str:
        return month_label(statement.month)

    @admin.display(description="exports")
    def downloads(self, statement: Statement) -> str:
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}">XLSX</a> · <a href="{}">PDF</a>',
            reverse("billing:statement_csv", args=[statement.pk]),
            reverse("billing:statement_xlsx", args=[statement.pk]),
            reverse("billing:statement_pdf", args=[statement.pk]),
        )

    @admin.display(description="toutes les lignes")
    def all_lines(self, statement: Statement) -> str:
        url = reverse("admin:billing_statementline_changelist") + f"?statement__id__exact={statement.pk}"
        return format_html('<a href="{}">{} ligne{}</a>', url, statement.line_count, pluralize(statement.line_count))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and obj.status == Statement.Status.DRAFT and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # an issued statement must never go with a bulk delete
        return actions

    @admin.action(description="Régénérer les brouillons sélectionnés", permissions=["service"])
    def regenerate(self, request: HttpRequest, queryset: QuerySet) -> None:
        apply_each(
            self,
            request,
            queryset.select_related("cpam"),
            lambda s: services.generate_statement(s.cpam, s.month, by=signed_in(request)),
            "{count} brouillon(s) régénéré(s).",
        )

    # Irreversible: each asks for a confirmation page first (missions.admin.apply_with_form).
    @admin.action(description="Émettre les relevés sélectionnés (la CPAM est prévenue)", permissions=["service"])
    def issue(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ConfirmForm,
            title="Émettre des relevés : un relevé émis ne change plus, et la CPAM est prévenue",
            call=lambda s, data: services.issue_statement(s, by=signed_in(request)),
            done="{count} relevé(s) émis.",
        )

    @admin.action(description="Marquer payés les relevés sélectionnés", permissions=["service"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        return apply_with_form(
            self,
            request,
            queryset,
            form_class=ConfirmForm,
            title="Marquer des relevés payés (définitif)",
            call=lambda s, data: services.mark_statement_paid(s, by=signed_in(request)),
            done="{count} relevé(s) marqué(s) payé(s).",
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.generate_view)
        return [path("generer/", view, name="billing_statement_generate"), *super().get_urls()]

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        """Generate (or refresh) the drafts of a month for every CPAM with something to pay."""
        if not self.has_service_permission(request):
            return redirect("admin:index")
        form = GenerateForm(request.POST or None, initial={"month": _previous_month()})
        if request.method == "POST" and form.is_valid():
            try:
                result = services.generate_statements(form.cleaned_data["month"], by=signed_in(request))
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                label = month_label(form.cleaned_data["month"])
                self.message_user(
                    request,
                    f"Relevés de {label} : "
                    + counted("{count} brouillon(s) créé(s) ou rafraîchi(s), ", len(result.statements))
                    + counted("{count} déjà émis laissé(s) tel(s) quel(s).", len(result.already_issued)),
                    messages.SUCCESS,
                )
                return redirect("admin:billing_statement_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Générer les relevés d'un mois",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/statement/generate.html", context)


def _previous_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


@admin.register(StatementLine)
class StatementLineAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Every line, read-only: to find a doctor's days across statements."""

    list_display = ["statement", "kind", "doctor_last_name", "doctor_first_name", "doctor_rpps", "date", "amount"]
    list_select_related = ["statement__cpam__department"]
    list_filter = ["kind", "statement__month", "statement__cpam"]
    search_fields = ["doctor_last_name", "doctor_rpps", "doctor_billing_number", "site_name"]
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
