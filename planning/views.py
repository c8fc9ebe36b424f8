"""« Proposer un planning »: ARS staff propose a region's plan for a month, review it (zones × days, the doctor
proposed per slot; remove or swap lines) and send it; a doctor declines an offer from the link of its message.
Every page asks accounts.authority (ars_space, visible); the services decide."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.authority import offered, visible
from accounts.person import signed_in
from core.errors import RuleViolation
from core.words import counted
from missions.models import Doctor
from missions.queries import next_months
from missions.views.access import ars_space, doctor_space
from planning import services
from planning.models import Plan, PlanLine
from planning.queries import review
from sites.models import Region

MONTHS_AHEAD = 6


class ProposeForm(forms.Form):
    region = forms.ModelChoiceField(label="Région", queryset=Region.objects.none(), empty_label=None)
    month = forms.TypedChoiceField(label="Mois", coerce=date.fromisoformat)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        regions = offered(user, Region).order_by("name")
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        months = next_months(MONTHS_AHEAD + 1)[1:]  # from next month (this one is mostly booked already)
        self.fields["month"].choices = [  # type: ignore[attr-defined]
            (m.isoformat(), services.month_label(m).capitalize()) for m in months
        ]


@ars_space
def index(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    form = ProposeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.propose_plan(region=form.cleaned_data["region"], month=form.cleaned_data["month"], by=user)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Planning proposé : relisez-le avant d'envoyer les propositions aux médecins.")
            return redirect("planning:plan", plan.pk)
    plans = visible(user, Plan).select_related("region", "created_by")[:50]
    return render(request, "planning/index.html", {"form": form, "plans": plans})


def _plan(request: HttpRequest, pk: int) -> Plan:
    return get_object_or_404(visible(request.user, Plan).select_related("region"), pk=pk)


@ars_space
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    if plan.status == Plan.Status.SENT:
        services.reconcile(region=plan.region)
    return render(request, "planning/plan.html", {"plan": plan, "review": review(plan)})


def _line(request: HttpRequest, plan: Plan, line_id: int) -> PlanLine:
    return get_object_or_404(
        visible(request.user, PlanLine).select_related("doctor", "slot__site", "slot__zone", "plan__region"),
        pk=line_id,
        plan=plan,
    )


@ars_space
@require_POST
def remove_line(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    plan = _plan(request, pk)
    line = _line(request, plan, line_id)
    try:
        services.remove_line(line, by=signed_in(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Proposition retirée : Dr {line.doctor.full_name}, {line.slot.date:%d/%m/%Y}.")
    return redirect("planning:plan", plan.pk)


@ars_space
def swap_line(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    plan = _plan(request, pk)
    line = _line(request, plan, line_id)
    choices = list(services.alternatives(line)) if plan.status == Plan.Status.DRAFT else []
    error = None
    if request.method == "POST":
        doctor = next((d for d in choices if str(d.pk) == request.POST.get("doctor")), None)
        if doctor is None:
            error = "Choisissez un des médecins proposés."
        else:
            try:
                services.swap_line(line, doctor=doctor, by=signed_in(request))
            except RuleViolation as exc:
                error = exc.message
            else:
                messages.success(
                    request, f"Dr {doctor.full_name} est proposé à la place de Dr {line.doctor.full_name}."
                )
                return redirect("planning:plan", plan.pk)
    return render(request, "planning/swap.html", {"plan": plan, "line": line, "choices": choices, "error": error})


@ars_space
def send(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (who gets how many offers), then « Envoyer les propositions »."""
    plan = _plan(request, pk)
    proposed = list(
        plan.lines.filter(status=PlanLine.Status.PROPOSED)
        .select_related("doctor", "slot")
        .order_by("doctor__last_name")
    )
    if request.method == "POST":
        try:
            sent = services.send_plan(plan, by=signed_in(request))
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            text = (
                f"{counted('{count} proposition(s) envoyée(s)', sent.offers)} à "
                f"{counted('{count} médecin(s)', sent.doctors)}, un message chacun."
            )
            if sent.dropped == 1:
                text += " 1 proposition n'était plus possible et a été retirée."
            elif sent.dropped:
                text += f" {sent.dropped} propositions n'étaient plus possibles et ont été retirées."
            messages.success(request, text)
        return redirect("planning:plan", plan.pk)
    doctors: dict[int, tuple[Doctor, int]] = {}
    for line in proposed:
        doctors[line.doctor_id] = (line.doctor, doctors.get(line.doctor_id, (line.doctor, 0))[1] + 1)
    return render(request, "planning/send.html", {"plan": plan, "lines": proposed, "doctors": list(doctors.values())})


@doctor_space
def decline(request: HttpRequest, doctor: Doctor, token: str) -> HttpResponse:
    """« Je ne peux pas »: the doctor declines one offer of a plan; the slot is free for the next plan."""
    try:
        payload = services.line_of_token(token)
    except signing.SignatureExpired:
        return render(request, "doctor/offer_invalid.html", {"reason": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "doctor/offer_invalid.html", {"reason": "bad"}, status=400)
    if payload.get("doctor") != doctor.pk:
        raise Http404("Cette proposition est adressée à un autre médecin.")
    line = (
        visible(request.user, PlanLine)
        .select_related("slot__site__commune", "slot__zone")
        .filter(pk=payload.get("line"), doctor=doctor)
        .first()
    )
    if line is None:
        raise Http404("Cette proposition n'existe plus.")
    error = None
    if request.method == "POST":
        try:
            services.decline_line(line, by=signed_in(request))
        except RuleViolation as exc:
            error = exc.message
        else:
            messages.success(
                request, "C'est noté : ce créneau sera proposé à un autre médecin. Merci de votre réponse."
            )
            return redirect("missions:doctor_home")
    return render(request, "planning/decline.html", {"line": line, "slot": line.slot, "error": error})
