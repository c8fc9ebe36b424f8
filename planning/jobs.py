"""The `planning` job (operations.jobs): every day, follow the offers out (accepted ones, expired ones: their slots
are freed), then, for each region whose ARS scheduled it (planning.PlanSchedule) on this day of the month, propose
next month's plan — a draft ARS staff are told to review; nothing goes to doctors without them.

Idempotent: a region's plan of a month is proposed once by the job, claimed by a conditional UPDATE of the
schedule's `last_month` that only one run wins."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.words import counted
from notifications.jobs import JobReport, finish
from planning import services
from planning.models import PlanSchedule
from planning.notices import PlanReady


def run_plans(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = JobReport("Planification", dry_run=dry_run)
    if not dry_run:
        followed = services.reconcile(now=now)
        if followed["accepted"] or followed["expired"]:
            report.lines.append(
                f"Propositions suivies : {counted('{count} acceptée(s)', followed['accepted'])}, "
                f"{counted('{count} expirée(s)', followed['expired'])}."
            )
    month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    due = PlanSchedule.objects.filter(active=True, day_of_month=today.day).select_related("region")
    for schedule in due:
        region = schedule.region
        line = f"Planning de {services.month_label(month)} proposé pour {region.name}"
        if dry_run:
            report.record(line, 1)
            continue
        claim = PlanSchedule.objects.filter(pk=schedule.pk).exclude(last_month=month)
        if claim.update(last_month=month) != 1:
            report.lost += 1  # another run (or an earlier one) proposed this month already
            continue
        plan = services.propose_plan(region=region, month=month, by=None)
        url = settings.SITE_URL + reverse("planning:plan", args=[plan.pk])
        proposed = counted("{count} proposition(s)", plan.figures.get("proposed_lines", 0))
        report.record(f"{line} : {proposed}", PlanReady(plan, url).send())
    return finish(report)
