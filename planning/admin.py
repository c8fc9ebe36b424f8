"""Admin of monthly plans: the list of a region's plans (read-only: they change through planning.services), the
action « Proposer un planning » (the next month, for the selected schedules' regions, or again for the selected
plans' months), and the region's standing order for the `planning` job."""

from datetime import date, timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.person import signed_in
from config.admin_authority import ScopedAdminMixin
from missions.admin import apply_each
from planning import services
from planning.models import Plan, PlanSchedule


def next_month(today: date | None = None) -> date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


@admin.register(Plan)
class PlanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "solver", "proposed_lines", "created_at", "review_link"]
    list_select_related = ["region"]
    list_filter = ["status", "month", "region"]
    readonly_fields = ["region", "month", "status", "solver", "figures", "created_at", "created_by", "sent_at"]
    exclude = ["sent_by", "discarded_at", "discarded_by"]
    actions = ["propose_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # « Proposer un planning » (the page, or the actions) proposes them

    def has_change_permission(self, request: HttpRequest, obj: Plan | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Plan | None = None) -> bool:
        return False  # a plan is the trail of what was proposed and sent

    @admin.display(description="propositions")
    def proposed_lines(self, plan: Plan) -> int:
        return plan.figures.get("proposed_lines", 0)

    @admin.display(description="relecture")
    def review_link(self, plan: Plan) -> str:
        return format_html('<a href="{}">Relire et envoyer</a>', reverse("planning:plan", args=[plan.pk]))

    @admin.action(description="Proposer à nouveau le planning de ces mois", permissions=["service"])
    def propose_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        by = signed_in(request)
        apply_each(
            self,
            request,
            queryset,
            lambda plan: services.propose_plan(region=plan.region, month=plan.month, by=by),
            "{count} planning(s) proposé(s) : relisez-les depuis « Planning » avant de les envoyer.",
        )


@admin.register(PlanSchedule)
class PlanScheduleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["region", "day_of_month", "active"]
    list_select_related = ["region"]
    actions = ["propose_next_month"]

    @admin.action(description="Proposer un planning du mois prochain pour ces régions", permissions=["service"])
    def propose_next_month(self, request: HttpRequest, queryset: QuerySet) -> None:
        by = signed_in(request)
        month = next_month()
        apply_each(
            self,
            request,
            queryset.select_related("region"),
            lambda schedule: services.propose_plan(region=schedule.region, month=month, by=by),
            "{count} planning(s) proposé(s) : relisez-les depuis « Planning » avant de les envoyer.",
        )
