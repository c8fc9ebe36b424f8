"""Every write of the installation app: the aids catalogue loaded from its file, a volunteer's lead and its follow-up
by the ARS, the referents edited by ARS staff. (The zonage file: installation.zonage.)"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.authority import require
from accounts.models import User
from core.errors import NotAllowed
from installation.lifecycles import LEAD
from installation.models import Aid, InstallationLead
from installation.notices import LeadReceived
from installation.queries import catalogue_file, mission_zone_of, open_leads
from missions.models import Doctor
from sites.models import Commune, Region, Zone

AID_FIELDS = (
    "name",
    "payer",
    "amount",
    "amount_variation",
    "conditions",
    "zone_kinds",
    "valid_from",
    "valid_until",
    "source_title",
    "source_url",
    "source_consulted_on",
    "confidence",
    "confidence_note",
)


def load_catalogue(data: dict[str, Any] | None = None) -> tuple[int, int]:
    """Create the aids of the catalogue file that are missing and update those whose stored version is older than
    the file's (an aid edited in the admin keeps its edit until a newer catalogue). Returns (created, updated)."""
    data = data if data is not None else catalogue_file()
    version = str(data["version"])
    regions = dict(Region.objects.values_list("code", "pk"))
    existing = {a.key: a for a in Aid.objects.all()}
    fresh: list[Aid] = []
    changed: list[Aid] = []
    for entry in data.get("aids", []):
        values: dict[str, Any] = {name: entry.get(name) for name in AID_FIELDS}
        for text in ("amount_variation", "conditions", "confidence_note"):
            values[text] = (values[text] or "").strip()
        values["region_id"] = regions.get(entry["region"]) if entry.get("region") else None
        aid = existing.get(entry["key"])
        if aid is None:
            fresh.append(Aid(key=entry["key"], catalogue_version=version, **values))
        elif aid.catalogue_version < version:
            for name, value in values.items():
                setattr(aid, name, value)
            aid.catalogue_version = version
            changed.append(aid)
    # In bulk, each with its version in the history (a few queries, not two per aid: load_reference_data's budget).
    if fresh:
        bulk_create_with_history(fresh, Aid)
    if changed:
        bulk_update_with_history(changed, Aid, [*AID_FIELDS, "region", "catalogue_version"])
    return len(fresh), len(changed)


# --- leads -------------------------------------------------------------------------------------------------------


def ask_about(
    doctor: Doctor, *, by: User, zone: Zone | None = None, commune: Commune | None = None, message: str = ""
) -> tuple[InstallationLead, bool]:
    """A volunteer asks to know more about settling in `commune` (or anywhere in `zone`). Opens a lead for the ARS
    referents of the place's department and tells them; asking again while a lead is open returns it (the same
    click twice, or two at once: the database holds one open lead per doctor and place). Returns (lead, created)."""
    require(by, "installation.ask", doctor, "Seul le médecin lui-même peut demander à en savoir plus.")
    if zone is None and commune is None:
        raise NotAllowed("Indiquez une zone ou une commune.")
    if commune is not None:
        department_id = commune.department_id
        zone = mission_zone_of(commune)  # a commune of a mission zone counts for it too (the ARS dashboard)
    else:
        department_id = zone.department_id  # type: ignore[union-attr]
    existing = open_leads(doctor.pk, zone=zone, commune=commune)
    found = existing.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            lead = InstallationLead.objects.create(
                doctor=doctor,
                zone=zone,
                commune=commune,
                department_id=department_id,
                message=message.strip()[:4000],
            )
            LeadReceived(lead).send()
    except IntegrityError:
        return existing.get(), False  # the other click won: its lead is this one
    return lead, True


def follow_lead(lead: InstallationLead, act: str, *, by: User, note: str = "") -> InstallationLead:
    """ARS staff move a lead on (« contact », « plan », « install », « abandon »): the lifecycle checks who and from
    which state, stamps, logs and keeps the history."""
    return LEAD.run(lead, act, by=by, reason=note)
