"""The volunteer's file beside the status (DESIGN §4, issue #15): every write on its steps, and the doctor's own
changes to it.

The steps are lifecycles of missions.lifecycles (CDOM, INSURANCE, CPS_CARD; BILLING_NUMBER is run by billing,
whose CPAM agents record the number): the engine locks the doctor, checks the state, stamps who and when, keeps the
history and a TransitionLog row, and tells. This module decides who may run them:

- the CDOM answers through the signed, expiring link of the e-mail it receives at registration (no account: the
  link is the permission), or ARS staff of the region record its answer (`doctor.review`);
- the doctor (or ARS staff, `doctor.edit`) declares the RCP insurance and the new CPS card, and changes their phone,
  zones, sector, mode and replacement. A change of sector or zones is told to the ARS staff of the region.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.authority import require
from accounts.models import User
from core.history import set_history_user
from missions.lifecycles import CDOM, CPS_CARD, INSURANCE
from missions.models import CdomStatus, Doctor
from missions.notices import CdomAuthorisationRequest, DoctorFileChangedArs
from sites.models import Zone

logger = logging.getLogger(__name__)

CDOM_SALT = "missions.cdom-decision"
# How long the CDOM's link stays valid: its checks take a few weeks; past that, ARS staff record the answer.
CDOM_LINK_MAX_AGE = timedelta(days=60)
OWN_FILE_ONLY = "Seuls le médecin lui-même et l'équipe ARS de sa région peuvent modifier ce dossier."


# --- the CDOM's answer -----------------------------------------------------------------------------------------


def cdom_token(doctor: Doctor) -> str:
    """The signed token of one doctor's file for their CDOM (the department is part of it: a change of CDOM
    voids the link)."""
    return signing.dumps({"doctor": doctor.pk, "cdom": doctor.cdom_department_id}, salt=CDOM_SALT, compress=True)


def cdom_decision_url(doctor: Doctor) -> str:
    return settings.SITE_URL + reverse("missions:cdom_decision", args=[cdom_token(doctor)])


class LinkExpired(Exception):
    """The CDOM's link is older than CDOM_LINK_MAX_AGE."""


class LinkInvalid(Exception):
    """The CDOM's link was altered, or names a file that no longer matches it."""


def doctor_of_cdom_token(token: str) -> Doctor:
    """The doctor a CDOM link names; LinkExpired or LinkInvalid otherwise."""
    try:
        payload = signing.loads(token, salt=CDOM_SALT, max_age=CDOM_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    doctor = (
        Doctor.objects.select_related("practice_commune", "practice_department", "cdom_department", "user")
        .filter(pk=payload.get("doctor"), cdom_department_id=payload.get("cdom"))
        .first()
    )
    if doctor is None:
        raise LinkInvalid
    return doctor


def ask_cdom(doctor: Doctor) -> int:
    """Send the CDOM the doctor is registered with its one-step link (at registration). Returns the messages
    enqueued (0 when the department has no CDOM address: logged, ARS staff record the answer themselves)."""
    if not doctor.cdom_department.cdom_email:
        logger.warning(
            "No CDOM e-mail for department %s: doctor %s not announced", doctor.cdom_department.code, doctor.pk
        )
        return 0
    link_days = CDOM_LINK_MAX_AGE.days
    return CdomAuthorisationRequest(doctor, cdom_decision_url(doctor), link_days).send()


def record_cdom_decision(
    doctor: Doctor, *, authorised: bool, reason: str = "", by: User | None = None, token: str | None = None
) -> Doctor:
    """Record the CDOM's answer: « autorisé le … » or « refusé : motif ».

    Either the CDOM answers through its link (`token`, checked again here: `by` is then None — nobody is signed
    in), or ARS staff of the doctor's region record what the CDOM told them (`by`)."""
    if token is not None:
        if doctor_of_cdom_token(token).pk != doctor.pk:
            raise LinkInvalid
        by = None
    else:
        require(
            by,
            "doctor.review",
            doctor,
            "Seule l'équipe ARS de la région de ce dossier peut enregistrer l'avis du CDOM.",
        )
    if authorised:
        return CDOM.run(doctor, "cdom_authorise", by=by, reason=reason)
    return CDOM.run(doctor, "cdom_refuse", by=by, reason=reason)


# --- the doctor's declarations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Insurance:
    insurer: str
    contract: str
    covers_sites: bool

    def cleaned(self) -> Insurance:
        errors: dict[str, list[str]] = {}
        insurer, contract = (self.insurer or "").strip(), (self.contract or "").strip()
        if not insurer:
            errors["insurer"] = ["Indiquez le nom de votre assureur en responsabilité civile professionnelle."]
        elif len(insurer) > 150:
            errors["insurer"] = ["Le nom de l'assureur ne doit pas dépasser 150 caractères."]
        if not contract:
            errors["insurance_contract"] = ["Indiquez le numéro de votre contrat RCP."]
        elif len(contract) > 60:
            errors["insurance_contract"] = ["Le numéro de contrat ne doit pas dépasser 60 caractères."]
        if self.covers_sites is not True:
            errors["insurance_covers_sites"] = [
                "Vérifiez auprès de votre assureur que votre contrat couvre l'exercice sur les lieux d'accueil de la "
                "mission, puis cochez la case."
            ]
        if errors:
            raise ValidationError(errors)
        return Insurance(insurer, contract, True)


def declare_insurance(doctor: Doctor, insurance: Insurance, *, by: User) -> Doctor:
    """The doctor declares their RCP insurance (insurer, contract, that it covers the host sites): required before
    the ARS validates the file. Declared again on a change of contract."""
    require(by, "doctor.edit", doctor, OWN_FILE_ONLY)
    insurance = insurance.cleaned()
    changes = {
        "insurer": insurance.insurer,
        "insurance_contract": insurance.contract,
        "insurance_covers_sites": True,
    }
    return INSURANCE.run(doctor, "declare_insurance", by=by, changes=changes)


def declare_cps_card(doctor: Doctor, *, by: User) -> Doctor:
    """« Carte reçue »: the new CPS card arrived; the follow-up job stops (it waits for cps_card_received_on)."""
    require(by, "doctor.edit", doctor, OWN_FILE_ONLY)
    return CPS_CARD.run(doctor, "declare_cps_card", by=by)


# --- the doctor's own changes ----------------------------------------------------------------------------------

EDITABLE = ("phone", "sector", "mode", "replacement_declared")
TOLD_TO_ARS = ("sector", "zones")


def _zone_names(zones: Iterable[Zone]) -> str:
    return ", ".join(sorted(zone.name for zone in zones)) or "aucune"


def _clean(changes: dict[str, Any], doctor: Doctor) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "phone":
            phone = (value or "").strip()
            if len(phone) > 30:
                errors["phone"] = ["Le numéro de téléphone ne doit pas dépasser 30 caractères."]
            cleaned["phone"] = phone
        elif name == "sector":
            if value not in Doctor.Sector.values:
                errors["sector"] = ["Secteur conventionnel inconnu."]
            cleaned["sector"] = value
        elif name == "mode":
            if value not in Doctor.Mode.values:
                errors["mode"] = ["Mode d'exercice inconnu."]
            cleaned["mode"] = value
        elif name == "replacement_declared":
            cleaned["replacement_declared"] = bool(value)
        elif name == "zones":
            zones = list(dict.fromkeys(value))
            if any(not zone.active for zone in zones if zone not in doctor.zones.all()):
                errors["zones"] = ["Une des zones choisies n'est pas ouverte à la mission."]
            cleaned["zones"] = zones
        else:
            raise ValueError(f"not a field a doctor changes: {name}")
    if errors:
        raise ValidationError(errors)
    return cleaned


def update_file(doctor: Doctor, changes: dict[str, Any], *, by: User) -> Doctor:
    """The doctor (or ARS staff) changes the phone, sector, mode, replacement or zones of the file: every change is
    a version of the history (the zones included); a change of sector or zones is told to the ARS staff of the
    doctor's region (one message per change)."""
    require(by, "doctor.edit", doctor, OWN_FILE_ONLY)
    with transaction.atomic():
        doctor = (
            Doctor.objects.select_for_update(of=("self",))
            .select_related("user", "practice_department", "practice_commune")
            .get(pk=doctor.pk)
        )
        cleaned = _clean(changes, doctor)
        told: list[str] = []
        fields = {name: value for name, value in cleaned.items() if name != "zones"}
        changed = {name: value for name, value in fields.items() if getattr(doctor, name) != value}
        if "sector" in changed:
            told.append(f"Secteur : {doctor.get_sector_display()} → {Doctor.Sector(changed['sector']).label}")
        for name, value in changed.items():
            setattr(doctor, name, value)
        zones_before = list(doctor.zones.all())
        new_zones: list[Zone] = cleaned.get("zones", zones_before)
        zones_changed = {z.pk for z in new_zones} != {z.pk for z in zones_before}
        if zones_changed:
            told.append(f"Zones couvertes : {_zone_names(zones_before)} → {_zone_names(new_zones)}")
        if not changed and not zones_changed:
            return doctor
        set_history_user(doctor, by)  # every version below records who changed it
        if changed:
            doctor.save()
        if zones_changed:
            doctor.zones.set(new_zones)  # simple-history writes a version of the zones (Doctor.history)
        if told:
            version = doctor.history.latest().history_id
            DoctorFileChangedArs(doctor, told, version).send()
    return doctor


def add_zone(doctor: Doctor, zone: Zone, *, by: User) -> Doctor:
    """« Ajouter une zone », in one step from the doctor's page."""
    return update_file(doctor, {"zones": [*doctor.zones.all(), zone]}, by=by)


def apply_changes(doctor: Doctor, data: dict[str, Any], *, by: User) -> Doctor:
    """Several changes at once (the API's PATCH): the file's fields, then the insurance, then the card — in one
    transaction, all or nothing."""
    with transaction.atomic():
        fields = {name: data[name] for name in (*EDITABLE, "zones") if name in data}
        if fields:
            doctor = update_file(doctor, fields, by=by)
        if "insurer" in data:
            insurance = Insurance(data["insurer"], data["insurance_contract"], data["insurance_covers_sites"])
            doctor = declare_insurance(doctor, insurance, by=by)
        if data.get("cps_card_received"):
            doctor = declare_cps_card(doctor, by=by)
    return doctor


def file_steps(doctor: Doctor) -> list[dict[str, Any]]:
    """The steps of the file as the doctor, the ARS and partners read them: label, state, date, detail."""
    steps = [
        {
            "key": "cdom",
            "label": "Autorisation du CDOM",
            "state": doctor.cdom_status,
            "state_label": doctor.get_cdom_status_display(),
            "done": doctor.cdom_status == CdomStatus.AUTHORISED,
            "blocked": doctor.cdom_status == CdomStatus.REFUSED,
            "at": doctor.cdom_decided_at,
            "detail": doctor.cdom_reason if doctor.cdom_status == CdomStatus.REFUSED else "",
        },
        {
            "key": "insurance",
            "label": "Assurance RCP",
            "state": doctor.insurance_status,
            "state_label": doctor.get_insurance_status_display(),
            "done": doctor.insurance_status == "declared",
            "blocked": False,
            "at": doctor.insurance_declared_at,
            "detail": f"{doctor.insurer}, contrat n° {doctor.insurance_contract}" if doctor.insurer else "",
        },
        {
            "key": "validation",
            "label": "Validation par l'ARS",
            "state": doctor.status,
            "state_label": doctor.get_status_display(),
            "done": doctor.validated_at is not None,
            "blocked": doctor.status in (Doctor.Status.REJECTED, Doctor.Status.WITHDRAWN, Doctor.Status.SUSPENDED),
            "at": doctor.validated_at,
            "detail": doctor.status_reason,
        },
        {
            "key": "billing_number",
            "label": "Numéro Assurance Maladie dédié",
            "state": doctor.billing_number_status,
            "state_label": doctor.get_billing_number_status_display(),
            "done": doctor.billing_number_status == "recorded",
            "blocked": False,
            "at": doctor.billing_number_recorded_at,
            "detail": doctor.billing_number,
        },
        {
            "key": "cps_card",
            "label": "Nouvelle carte CPS",
            "state": doctor.cps_card_status,
            "state_label": doctor.get_cps_card_status_display(),
            "done": doctor.cps_card_status == "received",
            "blocked": False,
            "at": doctor.cps_card_received_on,
            "detail": "",
        },
    ]
    return steps
