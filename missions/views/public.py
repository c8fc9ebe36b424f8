"""Public pages: the zones of the mission and their host sites, with the next days a doctor can still book."""

from collections import defaultdict
from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from missions.queries import open_slots
from sites.models import Department, HostSite, Zone

WINDOW_DAYS = 8 * 7
NEXT_DAYS_PER_SITE = 3
ZONES_PER_PAGE = 20


def public_sites(request: HttpRequest) -> HttpResponse:
    """Zones → host sites → their next open days (at most three each, over the next eight weeks).

    Filtered by department and paginated by zone, so the page stays small for the whole country.
    """
    today = timezone.localdate()
    departments = list(Department.objects.filter(zones__active=True).distinct().order_by("code"))
    chosen = request.GET.get("departement", "")
    zones = Zone.objects.filter(active=True).select_related("department").order_by("department__code", "name")
    if chosen:
        zones = zones.filter(department__code=chosen)
    page = Paginator(zones, ZONES_PER_PAGE).get_page(request.GET.get("page"))
    zone_list = list(page.object_list)
    zone_ids = [z.pk for z in zone_list]
    sites = HostSite.objects.filter(active=True, zone_id__in=zone_ids).select_related("commune").order_by("name")
    slots = (
        open_slots(date_to=today + timedelta(days=WINDOW_DAYS))
        .filter(zone_id__in=zone_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("site_id")], order_by=[F("date"), F("pk")]))
        .filter(rank__lte=NEXT_DAYS_PER_SITE)
    )
    next_days = defaultdict(list)
    for slot in slots:
        next_days[slot.site_id].append(slot)
    sites_by_zone = defaultdict(list)
    for site in sites:
        # For the template only: the site's next open days (not a field of the model).
        site.next_days = sorted(next_days.get(site.pk, []), key=lambda s: (s.date, s.pk))  # type: ignore[attr-defined]
        sites_by_zone[site.zone_id].append(site)
    for zone in zone_list:
        zone.site_list = sites_by_zone.get(zone.pk, [])
    return render(
        request,
        "public/sites.html",
        {
            "zones": zone_list,
            "page": page,
            "query": f"departement={chosen}" if chosen else "",
            "departments": departments,
            "chosen": chosen,
            "window_weeks": WINDOW_DAYS // 7,
        },
    )
