"""Every write of the Démarches Simplifiées (DS) link: importing dossiers, queueing and sending decisions.

**Import** (`sync_demarche`, `sync_dossier`, `retry_dossiers`): each dossier of the démarche becomes (or updates)
a Doctor in `submitted` through missions' registration service — so every rule of a registration still applies —
linked to its dossier (`Dossier.doctor`); the doctor is invited to choose a password. A dossier whose champs we
cannot read (missing from the field map, unparseable, unknown option or commune) is kept « à compléter » with the
reasons, and nothing else is written (one transaction per dossier: never a half-created doctor). Dossiers refused
or closed without follow-up in DS are not imported. Once the ARS has decided (validated, rejected…), the doctor is
the product's: later or older versions of the dossier do not overwrite them. The sync remembers the last
`dateDerniereModification` it read (`DemarcheSync.updated_since`) and asks DS for `updatedSince` it next time
(DS's bound is inclusive: the last dossier is read again, and found unchanged).

**Decisions** (`record_decision`, `send_decisions`): validating or rejecting a doctor who came from DS writes a
`Decision` row in the same transaction (demarches.receivers listens to core's TransitionLog: missions knows nothing
of DS). `send_decisions` claims each due row with a conditional UPDATE, reads the dossier's state in DS, and only
then sends what is still missing: `dossierPasserEnInstruction` (from `en_construction`), then `dossierAccepter` or
`dossierRefuser` with the motif. A dossier already in the decided state is done — DS may have applied our call
while its answer was lost —, so a retry never sends a decision twice. DS unreachable: the row waits and is retried
with the outbox's delays (1, 5, 15, 30 min … 12 h), never lost; DS in another final state: `failed`, for a person.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.authority import require
from core.history import set_history_user
from core.words import counted
from demarches.client import DsClient, DsError, DsFailure, DsUnavailable, configured, write_back_configured
from demarches.fieldmap import FieldMap, convert
from demarches.models import Decision, DemarcheSync, Dossier, DossierState, ImportStatus
from demarches.notices import DsInvitation
from missions.models import Doctor
from missions.registration import Registration
from missions.services import register_doctor
from notifications.relay import backoff

logger = logging.getLogger(__name__)

SYNC_LEASE = timedelta(minutes=30)  # a sync claimed longer ago than this is considered dead
DECISION_LEASE = timedelta(minutes=10)
DECISION_BATCH = 50
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
NOT_IMPORTED_STATES = {DossierState.REFUSE, DossierState.SANS_SUITE}


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the doctor is the ARS's now: the dossier's changes are not applied
    TO_COMPLETE = "to_complete"
    NOT_IMPORTED = "not_imported"


@dataclass
class SyncReport:
    pages: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str = ""
    skipped: str = ""  # why nothing ran (not configured, another sync running)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def read(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        if self.skipped:
            return self.skipped
        o = self.outcomes
        text = (
            f"{counted('{count} dossier(s) lu(s)', self.read)} en {counted('{count} page(s)', self.pages)} : "
            f"{counted('{count} créé(s)', o.get(Outcome.CREATED, 0))}, "
            f"{o.get(Outcome.UPDATED, 0)} mis à jour, {o.get(Outcome.TO_COMPLETE, 0)} à compléter, "
            f"{counted('{count} non importé(s)', o.get(Outcome.NOT_IMPORTED, 0))} (refusés ou sans suite), "
            f"{counted('{count} inchangé(s)', o.get(Outcome.UNCHANGED, 0) + o.get(Outcome.KEPT, 0))}."
        )
        if self.error:
            text += f" Interrompu : {self.error}"
        return text


def field_map() -> FieldMap:
    return FieldMap.load(settings.DS_FIELD_MAP)


# --- import ------------------------------------------------------------------------------------------------------


def sync_demarche(*, client: DsClient | None = None, fmap: FieldMap | None = None) -> SyncReport:
    """Read every dossier of the démarche modified since the last sync, page after page, and import each."""
    report = SyncReport()
    if not configured():
        report.skipped = "Démarches Simplifiées n'est pas configuré (DS_API_TOKEN, DS_DEMARCHE_NUMBER)."
        return report
    number = settings.DS_DEMARCHE_NUMBER
    state, _ = DemarcheSync.objects.get_or_create(demarche_number=number)
    now = timezone.now()
    won = (
        DemarcheSync.objects.filter(pk=state.pk)
        .filter(Q(running_until__isnull=True) | Q(running_until__lt=now))
        .update(running_until=now + SYNC_LEASE)
    )
    if not won:
        report.skipped = "Une synchronisation est déjà en cours."
        return report
    fmap = fmap or field_map()
    own_client = client is None
    client = client or DsClient.from_settings()
    since = state.updated_since
    seen = since
    try:
        after = None
        while True:
            # Always `updatedSince` (from the epoch the first time): DS then orders by modification, so the
            # progress kept after each dossier never skips one (without it, DS orders by deposit).
            page = client.dossiers(number, updated_since=(since or EPOCH).isoformat(), after=after)
            report.pages += 1
            for node in page.nodes:
                report.count(import_dossier(node, fmap=fmap))
                modified = _when(node.get("dateDerniereModification"))
                if modified and (seen is None or modified > seen):
                    seen = modified
                # Progress survives an interruption: the next sync starts from the last dossier read.
                DemarcheSync.objects.filter(pk=state.pk).update(updated_since=seen)
            if not page.has_next_page or not page.end_cursor:
                break
            after = page.end_cursor
    except DsFailure as exc:
        report.error = str(exc)
        logger.warning("DS sync of démarche %s stopped: %s", number, exc)
    finally:
        DemarcheSync.objects.filter(pk=state.pk).update(
            updated_since=seen, last_run_at=timezone.now(), last_error=report.error[:500], running_until=None
        )
        if own_client:
            client.close()
    return report


def sync_dossier(number: int, *, client: DsClient | None = None, fmap: FieldMap | None = None) -> str:
    """Read one dossier again (the webhook, the admin's « relancer ») and import it. DsFailure propagates."""
    own_client = client is None
    client = client or DsClient.from_settings()
    try:
        node = client.dossier(number)
    finally:
        if own_client:
            client.close()
    if (node.get("demarche") or {}).get("number") != settings.DS_DEMARCHE_NUMBER:
        raise DsError(f"Le dossier n° {number} n'appartient pas à la démarche n° {settings.DS_DEMARCHE_NUMBER}.")
    return import_dossier(node, fmap=fmap or field_map(), force=True)


def retry_dossiers(dossiers: Iterable[Dossier], *, by: Any, client: DsClient | None = None) -> SyncReport:
    """ARS staff ask for dossiers to be read again (after the démarche's form or our field map was fixed)."""
    report = SyncReport()
    fmap = field_map()
    for dossier in dossiers:
        require(by, "demarches.sync", dossier, "Seule l'équipe ARS de la région de ce dossier peut le relancer.")
        try:
            report.count(sync_dossier(dossier.number, client=client, fmap=fmap))
        except DsFailure as exc:
            report.error = str(exc)
            break
    return report


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def import_dossier(node: Mapping[str, Any], *, fmap: FieldMap, force: bool = False) -> str:
    """One dossier as DS returns it (DOSSIER_FIELDS) → our records. Returns the outcome (Outcome.*)."""
    number = int(node["number"])
    modified = _when(node.get("dateDerniereModification")) or timezone.now()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(number=number).first()
        if dossier is not None and not force and dossier.ds_updated_at >= modified:
            return Outcome.UNCHANGED  # what we read last time, or an older version of it
        if dossier is not None and force and dossier.ds_updated_at > modified:
            return Outcome.UNCHANGED  # never go back to an older version
        dossier = dossier or Dossier(number=number)
        demandeur = node.get("demandeur") or {}
        dossier.demarche_number = int((node.get("demarche") or {}).get("number") or settings.DS_DEMARCHE_NUMBER)
        dossier.ds_id = node["id"]
        dossier.state = node["state"]
        dossier.ds_updated_at = modified
        dossier.deposited_at = _when(node.get("dateDepot"))
        dossier.email = (demandeur.get("email") or (node.get("usager") or {}).get("email") or "")[:254]
        dossier.last_name = (demandeur.get("nom") or "")[:150]
        dossier.first_name = (demandeur.get("prenom") or "")[:150]
        outcome = _apply(dossier, node, fmap)
        dossier.save()
    return outcome


def _apply(dossier: Dossier, node: Mapping[str, Any], fmap: FieldMap) -> str:
    """Decide what the dossier does to our records; the caller saves the dossier."""
    dossier.note = ""
    if dossier.state in NOT_IMPORTED_STATES:
        dossier.problems = []
        if dossier.doctor_id is None:
            dossier.status = ImportStatus.NOT_IMPORTED
            return Outcome.NOT_IMPORTED
        dossier.note = f"Dossier « {dossier.get_state_display()} » dans Démarches Simplifiées."
        return Outcome.KEPT
    converted = convert(node, fmap)
    values = converted.values
    commune = values.get("practice_commune")
    dossier.department = commune.department if commune else values.get("cdom_department") or dossier.department
    if converted.problems:
        return _to_complete(dossier, converted.problems)
    doctor = dossier.doctor
    if doctor is None:
        doctor = Doctor.objects.select_related("user").filter(rpps=values["rpps"]).first()
        if doctor is not None:
            other = Dossier.objects.filter(doctor=doctor).exclude(pk=dossier.pk).values_list("number", flat=True)
            if other:
                return _to_complete(dossier, [_problem("rpps", f"RPPS déjà importé par le dossier n° {other[0]}")])
            if doctor.user.email != values["email"]:
                return _to_complete(
                    dossier,
                    [_problem("rpps", "un dossier existe déjà avec ce numéro RPPS sous une autre adresse e-mail")],
                )
            dossier.doctor = doctor  # the doctor registered with us too: one record, linked
    try:
        registration = _registration(values)
    except ValidationError as exc:
        return _to_complete(dossier, _problems_of(exc))
    if dossier.doctor is None:
        try:
            with transaction.atomic():
                created = register_doctor(registration)
                assert created is not None  # not discreet: a taken address raises
                _invite(created)
        except ValidationError as exc:
            return _to_complete(dossier, _problems_of(exc))
        dossier.doctor = created
        dossier.status, dossier.problems = ImportStatus.IMPORTED, []
        return Outcome.CREATED
    dossier.status, dossier.problems = ImportStatus.IMPORTED, []
    doctor = dossier.doctor
    if doctor.status != Doctor.Status.SUBMITTED:
        dossier.note = f"Médecin « {doctor.get_status_display()} » : les modifications du dossier ne sont pas reprises."
        return Outcome.KEPT
    _update(doctor, registration)
    return Outcome.UPDATED


def _problem(name: str, reason: str, champ: str = "") -> dict[str, str]:
    return {"field": name, "champ": champ, "reason": reason}


def _problems_of(exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [_problem(name, f"{name} : {m}") for name, messages in exc.message_dict.items() for m in messages]
    return [_problem("", m) for m in exc.messages]


def _to_complete(dossier: Dossier, problems: list[dict[str, str]]) -> str:
    dossier.problems = problems
    if dossier.doctor_id is not None:  # an imported doctor stays as imported; the new version waits
        dossier.note = "La dernière version du dossier n'a pas pu être reprise (voir « à compléter »)."
    dossier.status = ImportStatus.TO_COMPLETE
    return Outcome.TO_COMPLETE


def _registration(values: Mapping[str, Any]) -> Registration:
    """The registration missions' service takes. The person has no password yet: a random one that nobody knows
    passes the validators, and is replaced by an unusable one (the invitation lets them choose theirs)."""
    return Registration(
        email=values["email"],
        password=secrets.token_urlsafe(32),
        first_name=values["first_name"],
        last_name=values["last_name"],
        rpps=values["rpps"],
        specialty=values.get("specialty") or "",
        sector=values["sector"],
        mode=values.get("mode") or Doctor.Mode.LIBERAL,
        practice_commune=values["practice_commune"],
        phone=values.get("phone") or "",
        zones=values.get("zones") or (),
        cdom_department=values.get("cdom_department"),
        replacement_declared=bool(values.get("replacement_declared")),
    )


def _invite(doctor: Doctor) -> None:
    """The doctor chooses a password through the password-reset link (accounts), sent once."""
    user = doctor.user
    user.set_unusable_password()
    user.save(update_fields=["password"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    DsInvitation(user=user, doctor=doctor, uid=uid, token=default_token_generator.make_token(user)).send()


def _update(doctor: Doctor, r: Registration) -> None:
    """A submitted doctor's record follows their dossier (the account's address stays: it is their login)."""
    doctor = Doctor.objects.select_for_update(of=("self",)).get(pk=doctor.pk)
    for name in ("first_name", "last_name", "specialty", "sector", "mode", "phone", "replacement_declared"):
        setattr(doctor, name, getattr(r, name))
    doctor.practice_commune = r.practice_commune
    doctor.practice_department_id = r.practice_commune.department_id
    doctor.cdom_department = r.cdom_department or r.practice_commune.department
    set_history_user(doctor, None)
    doctor._change_reason = "Mise à jour depuis Démarches Simplifiées"  # type: ignore[attr-defined]
    doctor.save()
    doctor.zones.set(list(r.zones))


# --- decisions ---------------------------------------------------------------------------------------------------

DECIDED_BY_ACT = {"validate": Decision.Kind.ACCEPT, "reject": Decision.Kind.REFUSE}
TARGET_STATE: dict[str, str] = {Decision.Kind.ACCEPT: DossierState.ACCEPTE, Decision.Kind.REFUSE: DossierState.REFUSE}


def record_decision(doctor_id: int, act: str, reason: str) -> Decision | None:
    """In the transaction of the act: the promise to tell DS (nothing when the doctor did not come from DS)."""
    kind = DECIDED_BY_ACT.get(act)
    dossier = Dossier.objects.filter(doctor_id=doctor_id).first() if kind else None
    if kind is None or dossier is None:
        return None
    motivation = reason.strip() or ("Dossier validé par l'ARS." if kind == Decision.Kind.ACCEPT else "")
    decision, _ = Decision.objects.get_or_create(
        dossier=dossier,
        defaults={
            "kind": kind,
            "motivation": motivation or "Dossier refusé par l'ARS.",
            "next_attempt_at": timezone.now(),
        },
    )
    return decision


@dataclass
class DecisionReport:
    sent: int = 0
    waiting: int = 0
    failed: int = 0
    lost: int = 0
    skipped: str = ""

    def summary(self) -> str:
        if self.skipped:
            return self.skipped
        return (
            f"Décisions transmises à Démarches Simplifiées : {self.sent} ; en attente d'un nouvel essai : "
            f"{self.waiting} ; en échec : {self.failed}."
        )


def due_decisions(now: datetime) -> Any:
    return Decision.objects.filter(status=Decision.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def send_decisions(*, client: DsClient | None = None, now: datetime | None = None) -> DecisionReport:
    report = DecisionReport()
    if not write_back_configured():
        report.skipped = (
            "Retour des décisions vers DS non configuré (DS_API_TOKEN, DS_DEMARCHE_NUMBER, DS_INSTRUCTEUR_ID)."
        )
        return report
    now = now or timezone.now()
    own_client = client is None
    client = client or DsClient.from_settings()
    try:
        for pk in list(
            due_decisions(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:DECISION_BATCH]
        ):
            won = (
                due_decisions(now).filter(pk=pk).update(claimed_until=now + DECISION_LEASE, attempts=F("attempts") + 1)
            )
            if not won:
                report.lost += 1
                continue
            decision = Decision.objects.select_related("dossier").get(pk=pk)
            try:
                _deliver(decision, client)
            except DsUnavailable as exc:
                Decision.objects.filter(pk=pk).update(
                    claimed_until=None, next_attempt_at=now + backoff(decision.attempts), last_error=str(exc)[:500]
                )
                report.waiting += 1
                continue
            except DsError as exc:
                Decision.objects.filter(pk=pk).update(
                    status=Decision.Status.FAILED, claimed_until=None, last_error=str(exc)[:500]
                )
                report.failed += 1
                logger.warning("DS decision %s failed: %s", pk, exc)
                continue
            Decision.objects.filter(pk=pk).update(
                status=Decision.Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
            )
            report.sent += 1
    finally:
        if own_client:
            client.close()
    return report


def _deliver(decision: Decision, client: DsClient) -> None:
    """Bring the dossier to the decided state in DS, sending only what its current state still lacks."""
    dossier = decision.dossier
    target = TARGET_STATE[decision.kind]
    instructeur = settings.DS_INSTRUCTEUR_ID
    state = client.dossier_state(dossier.number)
    if state == target:
        return  # done already (our earlier call went through, its answer did not)
    if state == DossierState.EN_CONSTRUCTION:
        errors = client.passer_en_instruction(dossier.ds_id, instructeur)
        state = DossierState.EN_INSTRUCTION if not errors else client.dossier_state(dossier.number)
    if state != DossierState.EN_INSTRUCTION:
        raise DsError(
            f"Le dossier n° {dossier.number} est « {DossierState(state).label if state in DossierState.values else state} » "
            "dans Démarches Simplifiées : la décision est à y reporter à la main."
        )
    if decision.kind == Decision.Kind.ACCEPT:
        errors = client.accepter(dossier.ds_id, instructeur, decision.motivation)
    else:
        errors = client.refuser(dossier.ds_id, instructeur, decision.motivation)
    if errors and client.dossier_state(dossier.number) != target:
        raise DsError(f"Démarches Simplifiées a refusé la décision : {' ; '.join(errors)}")


def retry_decisions(decisions: Iterable[Decision], *, by: Any) -> int:
    """Failed decisions back in the queue (after the dossier was fixed in DS)."""
    count = 0
    for decision in decisions:
        require(
            by, "demarches.sync", decision.dossier, "Seule l'équipe ARS de la région de ce dossier peut le relancer."
        )
        count += Decision.objects.filter(pk=decision.pk, status=Decision.Status.FAILED).update(
            status=Decision.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
    return count
