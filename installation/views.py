"""« S'installer ici »: public pages per zone and per commune (zonage in force, the aids that would apply today,
whom to contact), the volunteer's « en savoir plus » that opens a lead, and the doctor's year in figures."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.authority import is_doctor
from accounts.person import signed_in
from core.errors import RuleViolation
from installation.document import year_pdf
from installation.forms import AskForm, YearForm
from installation.queries import (
    aids_at,
    contacts_of,
    decree_in_force,
    doctor_year,
    kinds_of_lines,
    mission_zone_of,
    open_leads,
    qpv_kinds_of,
    zonage_history,
    zonage_of,
    zonages_of,
    zone_communes,
)
from installation.services import ask_about
from missions.models import Doctor
from missions.views.access import doctor_space
from sites.models import Commune, HostSite, Zone

COMMUNE_RESULTS = 20


def index(request: HttpRequest) -> HttpResponse:
    """The zones of the mission, and a commune looked up by name, postcode or INSEE code."""
    term = request.GET.get("q", "").strip()[:100]
    communes: list[Commune] = []
    if len(term) >= 2:
        found = Commune.objects.filter(
            Q(name__istartswith=term) | Q(insee_code__startswith=term) | Q(postcodes__contains=term)
        ).select_related("department")
        communes = list(found.order_by("name")[:COMMUNE_RESULTS])
    zones = Zone.objects.filter(active=True).select_related("department").order_by("department__code", "name")
    return render(request, "installation/index.html", {"zones": zones, "term": term, "communes": communes})


def _doctor_of(request: HttpRequest) -> Doctor | None:
    return Doctor.objects.filter(user=signed_in(request)).first() if is_doctor(request.user) else None


def _page(request: HttpRequest, *, zone: Zone | None, commune: Commune | None, **extra: Any) -> dict[str, Any]:
    """What both pages show: the aids that would apply today, the contacts, and the « en savoir plus » form."""
    today = timezone.localdate()
    department = commune.department if commune is not None else zone.department  # type: ignore[union-attr]
    doctor = _doctor_of(request)
    open_lead = open_leads(doctor.pk, zone=zone, commune=commune).first() if doctor is not None else None
    form = AskForm(initial={"zone": zone.pk if zone else None, "commune": commune.insee_code if commune else ""})
    return {
        "today": today,
        "department": department,
        "decree": decree_in_force(department.region_id, today),
        "contacts": contacts_of(department),
        "doctor": doctor,
        "open_lead": open_lead,
        "form": form,
        "zone": zone,
        "commune": commune,
        **extra,
    }


def zone_page(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(Zone.objects.select_related("department__region"), pk=zone_id, active=True)
    today = timezone.localdate()
    communes = list(zone_communes(zone))
    lines = zonages_of(communes, today)
    for commune in communes:
        commune.zonage = lines.get(commune.pk)  # type: ignore[attr-defined]  # for the template
    counts = Counter(line.get_kind_display() for line in lines.values())
    sites = list(HostSite.objects.filter(zone=zone, active=True).select_related("commune").order_by("name"))
    for site in sites:
        site.zonage = lines.get(site.commune_id)  # type: ignore[attr-defined]
    aids = aids_at(today, kinds_of_lines(lines.values()), zone.department.region)
    context = _page(request, zone=zone, commune=None, communes=communes, counts=sorted(counts.items()), sites=sites)
    return render(request, "installation/place.html", {**context, "aids": aids, "place": zone})


def commune_page(request: HttpRequest, insee_code: str) -> HttpResponse:
    commune = get_object_or_404(Commune.objects.select_related("department__region", "epci"), insee_code=insee_code)
    today = timezone.localdate()
    line = zonage_of(commune, today)
    qpv = qpv_kinds_of(commune, today)
    aids = aids_at(today, kinds_of_lines([line], qpv), commune.department.region)
    context = _page(
        request,
        zone=None,
        commune=commune,
        zonage=line,
        qpv=sorted(qpv),
        history=list(zonage_history(commune)),
        mission_zone=mission_zone_of(commune),
        sites=list(HostSite.objects.filter(commune=commune, active=True).order_by("name")),
    )
    return render(request, "installation/place.html", {**context, "aids": aids, "place": commune})


@require_POST
@login_required
def ask(request: HttpRequest) -> HttpResponse:
    doctor = _doctor_of(request)
    if doctor is None:
        raise PermissionDenied("Seuls les médecins volontaires peuvent demander à en savoir plus.")
    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.non_field_errors()) or "Demande incomplète.")
        return redirect("installation:index")
    zone = commune = None
    if form.cleaned_data.get("commune"):
        commune = get_object_or_404(Commune, insee_code=form.cleaned_data["commune"])
        back = reverse("installation:commune", args=[commune.insee_code])
    else:
        zone = get_object_or_404(Zone, pk=form.cleaned_data["zone"], active=True)
        back = reverse("installation:zone", args=[zone.pk])
    try:
        lead, created = ask_about(
            doctor, by=signed_in(request), zone=zone, commune=commune, message=form.cleaned_data.get("message", "")
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if created:
        messages.success(
            request,
            f"Votre demande est transmise au référent installation de l'ARS ({lead.department.name}) : "
            "il vous contactera.",
        )
    else:
        messages.info(request, "Vous avez déjà une demande en cours pour ce lieu : le référent de l'ARS la suit.")
    return redirect(back)


def _year(request: HttpRequest) -> int:
    form = YearForm(request.GET)
    if form.is_valid() and form.cleaned_data.get("annee"):
        return form.cleaned_data["annee"]
    if request.GET.get("annee"):
        raise Http404("Année invalide.")
    return timezone.localdate().year


@doctor_space
def my_year(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    year = _year(request)
    return render(request, "installation/my_year.html", {"doctor": doctor, "figures": doctor_year(doctor.pk, year)})


@doctor_space
def my_year_pdf(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    year = _year(request)
    response = HttpResponse(year_pdf(doctor, doctor_year(doctor.pk, year)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mon-annee-{year}.pdf"'
    return response
