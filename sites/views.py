"""Public home page, and publishing slots (the part of the host-site space that only touches sites).

The home page and the commune search are public: the catalogue of active zones, and national reference data."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static

from accounts.authority import may, site_ids, visible
from accounts.person import signed_in
from core.errors import RuleViolation
from core.search import fold_term
from sites import services
from sites.forms import PracticalPackForm, PublishSlotsForm
from sites.models import Commune, HostSite, Zone


def home(request: HttpRequest) -> HttpResponse:
    zones = (
        Zone.objects.filter(active=True)
        .select_related("department")
        .annotate(site_count=Count("host_sites", filter=Q(host_sites__active=True)))
        .order_by("department__code", "name")
    )
    return render(request, "public/home.html", {"zones": zones})


@login_required
def publish(request: HttpRequest) -> HttpResponse:
    # The person's own sites, among those they may see (accounts.authority).
    sites = list(visible(request.user, HostSite).filter(pk__in=site_ids(request.user)).select_related("zone"))
    if not sites:
        raise PermissionDenied("Seules les équipes des lieux d'accueil publient des créneaux.")
    form = PublishSlotsForm(request.POST or None, sites=sites)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dates = services.recurring_dates(data["start"], data["end"], form.weekday_numbers)
            if not dates:
                raise ValidationError({"weekdays": "Aucune date ne tombe sur ces jours entre ces deux dates."})
            result = services.publish_slots(
                site=data["site"],
                dates=dates,
                period=data["period"],
                capacity=data["capacity"],
                note=data["note"],
                by=signed_in(request),
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc)]:
                form.add_error(field if field in form.fields else None, errors)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
    return render(request, "host/publish.html", {"form": form, "result": result, "sites": sites})


COMMUNE_SUGGESTIONS = 15


def commune_search(request: HttpRequest) -> JsonResponse:
    """Suggestions for the commune field of the registration form (by name, postcode or INSEE code).

    The form works without it (a name or an INSEE code can be typed); with it, a small script fills the field's
    datalist as the person types, so the page never ships the 35,000 communes of France. The name is compared
    folded: « montlucon », « saint etienne » or « Clermont ferrand » find their commune. Choosing a suggestion
    fills in « Name (postcode) », which the form reads back.
    """
    term = request.GET.get("q", "").strip()
    if len(term) < 2:
        return JsonResponse({"results": []})
    communes = Commune.objects.filter(
        Q(name__fold__startswith=fold_term(term)) | Q(insee_code__startswith=term) | Q(postcodes__contains=term)
    ).order_by(F("population").desc(nulls_last=True), "name")[:COMMUNE_SUGGESTIONS]
    results = [
        {"code": c.insee_code, "value": c.choice, "label": f"{c.name} ({c.postcodes or c.insee_code})"}
        for c in communes.only("insee_code", "name", "postcodes")
    ]
    return JsonResponse({"results": results})


@login_required
def practical_pack(request: HttpRequest, site_id: int) -> HttpResponse:
    """A host site's team (or ARS staff) edits the practical pack sent to doctors with each booking."""
    site = get_object_or_404(visible(request.user, HostSite).select_related("commune"), pk=site_id)
    if not may(request.user, "site.manage", site):
        raise PermissionDenied("Seule l'équipe du lieu d'accueil (ou l'ARS) modifie ces informations.")
    initial = {name: getattr(site, name) for name in services.PACK_FIELDS}
    form = PracticalPackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_practical_pack(site, by=signed_in(request), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc)]:
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Informations pratiques enregistrées : elles accompagnent chaque réservation.")
            return redirect("sites:practical_pack", site_id=site.pk)
    return render(request, "host/pack.html", {"form": form, "site": site})


LEGAL_PAGES = {"accessibility", "legal_notice", "privacy"}


def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    """The footer's pages, public: accessibility statement, legal notice, personal data."""
    if page not in LEGAL_PAGES:
        raise Http404
    return render(request, f"public/{page}.html", {"ars_contact": settings.ARS_CONTACT_EMAIL})


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page says: the DSFR's. Resolved per request: in production
    the static name goes through the manifest, which exists only after collectstatic."""
    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)
