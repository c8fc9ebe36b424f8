"""Reads of the installation app: the zonage in force on a date, the aids that would apply there, the contacts of a
department, and a doctor's year in figures."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from accounts.authority import visible
from billing.models import Cpam, StatementLine, StatementStatus
from installation.models import (
    OPEN_LEAD_STATUSES,
    Aid,
    CommuneZonage,
    InstallationLead,
    InstallationReferent,
    LeadStatus,
    ZonageDecree,
    ZonageKind,
)
from missions.models import Booking
from missions.rules import MONTHS_FR
from sites.models import Commune, Department, Region, Zone

CATALOGUE = Path(settings.BASE_DIR) / "data" / "installation" / "aides.toml"
ZERO = Decimal("0")


# --- zonage ------------------------------------------------------------------------------------------------------


def decree_in_force(region: Region | int, on: date) -> ZonageDecree | None:
    """The arrêté of `region` in force on `on`: the latest that started by then and has not ended."""
    region_id = region if isinstance(region, int) else region.pk
    return (
        ZonageDecree.objects.filter(region_id=region_id, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from")
        .first()
    )


def zonage_of(commune: Commune, on: date) -> CommuneZonage | None:
    """The commune's line (not its QPV lines) in the arrêté of its region in force on `on`; None when unknown."""
    decree = decree_in_force(commune.department.region_id, on)
    if decree is None:
        return None
    return CommuneZonage.objects.filter(decree=decree, commune=commune, qpv=False).select_related("decree").first()


def zonages_of(communes: Iterable[Commune], on: date) -> dict[int, CommuneZonage]:
    """Commune id → its line in force on `on` (one query per region met; QPV lines aside)."""
    by_region: dict[int, list[int]] = defaultdict(list)
    for commune in communes:
        by_region[commune.department.region_id].append(commune.pk)
    found: dict[int, CommuneZonage] = {}
    for region_id, ids in by_region.items():
        decree = decree_in_force(region_id, on)
        if decree is None:
            continue
        lines = CommuneZonage.objects.filter(decree=decree, commune_id__in=ids, qpv=False).select_related("decree")
        found.update({line.commune_id: line for line in lines})
    return found


def qpv_kinds_of(commune: Commune, on: date) -> set[str]:
    """The classes of the commune's quartiers prioritaires in the arrêté in force (the older national format)."""
    decree = decree_in_force(commune.department.region_id, on)
    if decree is None:
        return set()
    return set(CommuneZonage.objects.filter(decree=decree, commune=commune, qpv=True).values_list("kind", flat=True))


def zone_communes(zone: Zone) -> QuerySet[Commune]:
    """The communes of a zone (the EPCI whose SIREN the zone carries)."""
    return Commune.objects.filter(epci__siren=zone.siren).select_related("department").order_by("name")


def mission_zone_of(commune: Commune) -> Zone | None:
    """The active zone of the mission the commune lies in (its EPCI), if any."""
    epci = commune.epci
    return Zone.objects.filter(siren=epci.siren, active=True).first() if epci is not None else None


def open_leads(doctor_id: int, *, zone: Zone | None = None, commune: Commune | None = None) -> QuerySet:
    """The doctor's open lead for a commune, or for a zone as a whole (one at most: the database holds it)."""
    place: dict[str, Any] = {"commune": commune} if commune is not None else {"zone": zone, "commune": None}
    return InstallationLead.objects.filter(doctor_id=doctor_id, status__in=OPEN_LEAD_STATUSES, **place)


def zonage_history(commune: Commune) -> QuerySet[CommuneZonage]:
    """Every arrêté's line for the commune, newest arrêté first: a new arrêté never erases an older one."""
    return CommuneZonage.objects.filter(commune=commune).select_related("decree").order_by("-decree__valid_from", "qpv")


# --- aids --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AidsAt:
    """The catalogue on a date for a set of zonage classes: in force, not yet open, no longer open."""

    on: date
    current: list[Aid]
    upcoming: list[Aid]
    expired: list[Aid]


def aids_at(on: date, kinds: Iterable[str], region: Region | None = None) -> AidsAt:
    """The aids of the catalogue that concern a place of zonage classes `kinds` (« zip », « zac », « qpv »…), split by
    their period against `on`. An aid whose last day is D is expired from D + 1."""
    wanted = set(kinds)
    aids = Aid.objects.filter(Q(region__isnull=True) | Q(region=region)).order_by("valid_from", "name")
    concerned = [a for a in aids if "any" in a.zone_kinds or wanted & set(a.zone_kinds)]
    return AidsAt(
        on=on,
        current=[a for a in concerned if _open_on(a, on)],
        upcoming=[a for a in concerned if a.valid_from is not None and a.valid_from > on],
        expired=[a for a in concerned if a.valid_until is not None and a.valid_until < on],
    )


def _open_on(aid: Aid, on: date) -> bool:
    return (aid.valid_from is None or aid.valid_from <= on) and (aid.valid_until is None or aid.valid_until >= on)


def kinds_of_lines(lines: Iterable[CommuneZonage | None], qpv: Iterable[str] = ()) -> set[str]:
    """The zonage classes an aid is matched against: the lines' classes, plus « qpv » when a QPV is classed ZIP/ZAC."""
    kinds = {line.kind for line in lines if line is not None}
    if set(qpv) & {ZonageKind.ZIP, ZonageKind.ZAC}:
        kinds.add("qpv")
    return kinds


# --- contacts ----------------------------------------------------------------------------------------------------


@cache
def catalogue_file() -> dict[str, Any]:
    with CATALOGUE.open("rb") as handle:
        return tomllib.load(handle)


@dataclass
class Contacts:
    department: Department
    referents: list[InstallationReferent] = field(default_factory=list)
    cpam: Cpam | None = None
    portal: dict[str, Any] | None = None


def contacts_of(department: Department) -> Contacts:
    """Who to talk to about settling in a department: the ARS referents, the CDOM (on the department), the CPAM and
    the region's support portal (from the catalogue file, sourced)."""
    region_code = department.region.code
    portal = next((p for p in catalogue_file().get("portals", []) if p["region"] == region_code), None)
    return Contacts(
        department=department,
        referents=list(InstallationReferent.objects.filter(department=department, active=True).order_by("name")),
        cpam=Cpam.objects.filter(department=department).first(),
        portal=portal,
    )


# --- the doctor's year -------------------------------------------------------------------------------------------


@dataclass
class YearRow:
    label: str
    days: Decimal = ZERO


@dataclass
class DoctorYear:
    year: int
    total_days: Decimal
    months: list[YearRow]
    zones: list[YearRow]
    zonage: list[YearRow]
    stated: Decimal
    paid: Decimal


def doctor_year(doctor_id: int, year: int) -> DoctorYear:
    """Days worked (attested: `completed`) in `year` per month, per zone and per zonage class of the host site's
    commune *on the date worked*, and the flat rates stated to the CPAM (lines of issued or paid statements, by the
    date of the day, reversals included) and paid. Figures only: whether they open a right to a contract is for the CPAM to judge."""
    days = list(
        Booking.objects.filter(doctor_id=doctor_id, status=Booking.Status.COMPLETED, date__year=year)
        .select_related("zone", "slot__site__commune__department")
        .order_by("date")
    )
    months = [YearRow(label=f"{MONTHS_FR[m - 1].capitalize()} {year}") for m in range(1, 13)]
    zones: dict[str, YearRow] = {}
    zonage: dict[str, YearRow] = {}
    labels = dict(ZonageKind.choices)
    decrees: dict[tuple[int, date], ZonageDecree | None] = {}
    classes: dict[tuple[int, int], CommuneZonage | None] = {}
    for booking in days:
        months[booking.date.month - 1].days += booking.day_fraction
        zones.setdefault(booking.zone.name, YearRow(booking.zone.name)).days += booking.day_fraction
        commune = booking.slot.site.commune
        key = (commune.department.region_id, booking.date)
        if key not in decrees:
            decrees[key] = decree_in_force(key[0], booking.date)
        decree = decrees[key]
        line = None
        if decree is not None:
            if (decree.pk, commune.pk) not in classes:
                found = CommuneZonage.objects.filter(decree=decree, commune=commune, qpv=False).first()
                classes[(decree.pk, commune.pk)] = found
            line = classes[(decree.pk, commune.pk)]
        label = str(labels[line.kind]) if line else "Zonage inconnu à cette date"
        zonage.setdefault(label, YearRow(label)).days += booking.day_fraction
    lines = StatementLine.objects.filter(
        booking__doctor_id=doctor_id,
        date__year=year,
        statement__status__in=[StatementStatus.ISSUED, StatementStatus.PAID],  # a draft is the ARS's preview
    )
    stated = sum(lines.values_list("amount", flat=True), ZERO)
    paid = sum(lines.filter(statement__status=StatementStatus.PAID).values_list("amount", flat=True), ZERO)
    return DoctorYear(
        year=year,
        total_days=sum((b.day_fraction for b in days), ZERO),
        months=months,
        zones=sorted(zones.values(), key=lambda r: r.label),
        zonage=sorted(zonage.values(), key=lambda r: r.label),
        stated=stated,
        paid=paid,
    )


# --- the ARS dashboard -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneLeads:
    name: str
    open: int
    installed: int
    abandoned: int


def leads_per_zone(user: Any) -> list[ZoneLeads]:
    """Leads of what the person may see, per zone (a commune outside every zone: « Autres communes »). One query."""
    rows = (
        visible(user, InstallationLead)
        .values("zone__name")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_LEAD_STATUSES)),
            installed=Count("pk", filter=Q(status=LeadStatus.INSTALLED)),
            abandoned=Count("pk", filter=Q(status=LeadStatus.ABANDONED)),
        )
        .order_by("zone__name")
    )
    return [ZoneLeads(r["zone__name"] or "Autres communes", r["open"], r["installed"], r["abandoned"]) for r in rows]
