"""Every write on plans and their lines: propose, review (remove, swap), send, decline, and follow the offers out.

A plan is a proposal: nothing it holds binds anyone until ARS staff send it. Sending makes each line an offer
(missions.SlotOffer: once per slot and doctor, ever) with the signed link of missions' invitations; accepting it
books through missions.services.book_slot, which checks every rule again at that moment. `reconcile` then moves
the line (accepted, or expired when it can no longer be accepted) — run by the plan pages, the API, the
`planning` job and before every new proposal, so that declined and expired offers free their slots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.authority import require
from accounts.models import User
from core.errors import Code, RuleViolation
from missions.models import Booking, Doctor, SlotOffer
from missions.rules import MONTHS_FR, check_booking_date, check_monthly_cap, month_bounds
from missions.views.invitations import MAX_AGE, offer_url
from planning.lifecycles import LINE, PLAN
from planning.models import Plan, PlanLine, Solver
from planning.notices import PlanOffers
from planning.problem import UNITS, read_problem, units_of, window
from planning.solver import Problem, Solution, candidate_pairs, greedy, optimise
from sites.models import Region, Slot, day_fraction_of

ACTIVE = Booking.ACTIVE_STATUSES
DECLINE_SALT = "planning.decline"
L = PlanLine.Status


def month_label(month: date) -> str:
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def check_month(month: date, today: date | None = None) -> date:
    """A plan is for a month with days still ahead, within the booking horizon (R4)."""
    month = month.replace(day=1)
    today = today or timezone.localdate()
    if month > today + timedelta(days=settings.BOOKING_HORIZON_DAYS):  # before any date arithmetic on year 9999
        raise RuleViolation(
            Code.BEYOND_HORIZON,
            f"On ne peut planifier que jusqu'à {settings.BOOKING_HORIZON_DAYS} jours à l'avance.",
        )
    if window(month, today) is not None:
        return month
    if month_bounds(month)[1] < today:
        raise RuleViolation(Code.DATE_IN_PAST, f"Le mois de {month_label(month)} est passé : rien à planifier.")
    raise RuleViolation(
        Code.BEYOND_HORIZON,
        f"On ne peut planifier que jusqu'à {settings.BOOKING_HORIZON_DAYS} jours à l'avance.",
    )


# --- proposing ---------------------------------------------------------------------------------------------------


def solve(problem: Problem, solver: str = Solver.CP_SAT, *, time_limit: float = 8.0) -> tuple[Solution, Solution]:
    """The plan of `solver` and, beside it, the greedy baseline (for the figures)."""
    pairs = candidate_pairs(problem)
    baseline = greedy(problem, pairs)
    if solver == Solver.GREEDY:
        return baseline, baseline
    return optimise(problem, time_limit=time_limit), baseline


def figures(problem: Problem, solution: Solution, baseline: Solution) -> dict:
    """What the review page and the API show, in half-days (units) per zone, and the totals."""
    slots = {s.id: s for s in problem.slots}
    proposed: dict[int, int] = defaultdict(int)
    for _, slot_id in solution.assignments:
        proposed[slots[slot_id].zone_id] += slots[slot_id].units
    useful = solution.covered_units(problem)
    useful_greedy = baseline.covered_units(problem)
    zones = [
        {
            "zone": z.id,
            "target_units": z.target_units,
            "booked_units": z.booked_units,
            "proposed_units": proposed.get(z.id, 0),
            "short_units": max(0, z.need_units - proposed.get(z.id, 0)),
        }
        for z in problem.zones
    ]
    return {
        "zones": zones,
        "target_units": sum(z.target_units for z in problem.zones),
        "booked_units": sum(min(z.booked_units, z.target_units) for z in problem.zones),
        "proposed_units": sum(useful.values()),
        "proposed_lines": len(solution.assignments),
        "zones_short_before": sum(1 for z in problem.zones if z.need_units > 0),
        "zones_short_after": sum(1 for z in zones if z["short_units"] > 0),
        "doctors_used": len({d for d, _ in solution.assignments}),
        "candidates": solution.pairs,
        "seconds": round(solution.seconds, 3),
        "status": solution.status,
        "greedy": {
            "proposed_units": sum(useful_greedy.values()),
            "proposed_lines": len(baseline.assignments),
            "doctors_used": len({d for d, _ in baseline.assignments}),
            "seconds": round(baseline.seconds, 3),
        },
    }


def propose_plan(
    *, region: Region, month: date, by: User | None, solver: str = Solver.CP_SAT, time_limit: float = 8.0
) -> Plan:
    """Propose doctors for the open slots of `region` in `month` (a draft to review). `by=None`: the scheduled job.

    The offers out are followed first (declined and expired ones free their slots); a draft already under review
    for that region and month is discarded and replaced."""
    if by is not None:
        require(by, "plan.propose", region, "Seule l'équipe ARS de cette région peut y proposer un planning.")
    month = check_month(month)
    reconcile(region=region)
    problem = read_problem(region, month)
    solution, baseline = solve(problem, solver, time_limit=time_limit)
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).values_list("pk", flat=True).first()
        for draft in Plan.objects.filter(region=region, month=month, status=Plan.Status.DRAFT):
            PLAN.run(draft, "replace", by=by, reason="Remplacé par un nouveau planning")
        plan = Plan.objects.create(
            region=region, month=month, solver=solver, created_by=by, figures=figures(problem, solution, baseline)
        )
        PlanLine.objects.bulk_create(
            PlanLine(plan=plan, doctor_id=doctor_id, slot_id=slot_id) for doctor_id, slot_id in solution.assignments
        )
    return plan


def discard_plan(plan: Plan, *, by: User) -> Plan:
    return PLAN.run(plan, "discard", by=by)


# --- reviewing ---------------------------------------------------------------------------------------------------


def remove_line(line: PlanLine, *, by: User, reason: str = "") -> PlanLine:
    _require_draft(line.plan)
    return LINE.run(line, "remove", by=by, reason=reason or "Retirée à la relecture")


def _require_draft(plan: Plan) -> None:
    if plan.status != Plan.Status.DRAFT:
        raise RuleViolation(
            Code.INVALID_TRANSITION, "Ce planning a déjà été envoyé ou abandonné : il ne peut plus être modifié."
        )


def alternatives(line: PlanLine) -> QuerySet:
    """The doctors who could take this line's slot instead: candidates of the problem as it stands (availability,
    zone, cap, day, never offered this slot), free that day and with room left once the plan's other proposed
    lines are counted."""
    plan = line.plan
    problem = read_problem(plan.region, plan.month)
    others = plan.lines.filter(status=L.PROPOSED).exclude(pk=line.pk).select_related("slot")
    busy = {(o.doctor_id, o.slot.date) for o in others}
    used: dict[int, int] = defaultdict(int)
    for o in others:
        used[o.doctor_id] += UNITS[o.slot.period]
    caps = {d.id: d.cap_units for d in problem.doctors}
    slot = line.slot
    ids = [
        p.doctor
        for p in candidate_pairs(_with_slot_place(problem, line))
        if p.slot == slot.pk
        and p.doctor != line.doctor_id
        and (p.doctor, slot.date) not in busy
        and caps[p.doctor] - used[p.doctor] >= UNITS[slot.period]
    ]
    return Doctor.objects.filter(pk__in=ids).order_by("last_name", "first_name")


def _with_slot_place(problem: Problem, line: PlanLine) -> Problem:
    """The line's slot and zone as if the line were not there (the problem already does not count draft lines;
    the slot may be absent when its zone reached its target since: keep it for the swap)."""
    if any(s.id == line.slot_id for s in problem.slots):
        problem.zones = [z if z.need_units > 0 else _needing(z) for z in problem.zones]
        return problem
    from planning.solver import OpenSlot

    slot = line.slot
    problem.slots.append(OpenSlot(slot.pk, slot.zone_id, slot.date, slot.period, UNITS[slot.period], 1))
    problem.zones = [z if z.id != slot.zone_id or z.need_units > 0 else _needing(z) for z in problem.zones]
    return problem


def _needing(zone):
    from dataclasses import replace

    return replace(zone, booked_units=min(zone.booked_units, zone.target_units - 1)) if zone.target_units else zone


def swap_line(line: PlanLine, *, doctor: Doctor, by: User) -> PlanLine:
    """Propose `doctor` instead of the line's doctor for its slot (one of `alternatives(line)`)."""
    _require_draft(line.plan)
    if not alternatives(line).filter(pk=doctor.pk).exists():
        raise RuleViolation(
            Code.ZONE_NOT_COVERED,
            f"Dr {doctor.full_name} ne peut pas prendre ce créneau (zone, disponibilité, plafond du mois ou "
            "autre mission ce jour-là).",
        )
    with transaction.atomic():
        LINE.run(line, "remove", by=by, reason=f"Remplacé par Dr {doctor.full_name}")
        new, _ = PlanLine.objects.update_or_create(
            plan=line.plan, slot=line.slot, doctor=doctor, defaults={"status": L.PROPOSED, "reason": ""}
        )
    return new


# --- sending -----------------------------------------------------------------------------------------------------


def decline_url(line: PlanLine) -> str:
    token = signing.dumps({"line": line.pk, "doctor": line.doctor_id}, salt=DECLINE_SALT, compress=True)
    return settings.SITE_URL + reverse("planning:decline", args=[token])


def line_of_token(token: str) -> dict:
    """The payload of a decline link (signing.BadSignature, signing.SignatureExpired)."""
    return signing.loads(token, salt=DECLINE_SALT, max_age=MAX_AGE)


@dataclass
class Sent:
    offers: int = 0
    doctors: int = 0
    dropped: int = 0  # lines no longer possible when sent (removed, with the reason)


def send_plan(plan: Plan, *, by: User) -> Sent:
    """« Envoyer les propositions »: each proposed line still possible becomes an offer; each doctor gets ONE
    message listing theirs. Locks the plan, then its doctors and slots in the global order (doctors, then slots),
    so that a doctor booking meanwhile is counted before or after, never half."""
    result = Sent()
    with transaction.atomic():
        plan = PLAN.run(plan, "send", by=by)
        lines = list(
            plan.lines.filter(status=L.PROPOSED)
            .select_related("doctor__user", "slot__site__commune", "slot__zone")
            .order_by("doctor_id", "slot__date", "pk")
        )
        doctor_ids = sorted({line.doctor_id for line in lines})
        slot_ids = sorted({line.slot_id for line in lines})
        list(Doctor.objects.select_for_update().filter(pk__in=doctor_ids).order_by("pk").values_list("pk", flat=True))
        list(Slot.objects.select_for_update().filter(pk__in=slot_ids).order_by("pk").values_list("pk", flat=True))
        load = _Load(doctor_ids, slot_ids, plan.month)
        offers: dict[int, list[dict]] = defaultdict(list)
        doctors: dict[int, Doctor] = {}
        for line in lines:
            refusal = load.refusal(line)
            if refusal:
                LINE.run(line, "remove", by=by, reason=refusal[:500], locked=True)
                result.dropped += 1
                continue
            offer, created = SlotOffer.objects.get_or_create(
                slot=line.slot, doctor=line.doctor, defaults={"offered_by": by}
            )
            if not created:  # never twice the same offer to the same doctor
                LINE.run(line, "remove", by=by, reason="Ce créneau a déjà été proposé à ce médecin.", locked=True)
                result.dropped += 1
                continue
            line.offer = offer
            LINE.run(line, "send", by=by, changes={"offer": offer}, locked=True)
            load.add(line)
            doctors[line.doctor_id] = line.doctor
            offers[line.doctor_id].append(
                {"slot": line.slot, "accept_url": offer_url(line.slot, line.doctor), "decline_url": decline_url(line)}
            )
            result.offers += 1
        for doctor_id, items in offers.items():
            PlanOffers(plan, doctors[doctor_id], items).send()
        result.doctors = len(offers)
    return result


class _Load:
    """What the rules count, read once under the locks, and kept up to date while a plan's lines are sent."""

    def __init__(self, doctor_ids: list[int], slot_ids: list[int], month: date) -> None:
        first, last = month_bounds(month)
        self.days: dict[int, Decimal] = defaultdict(Decimal)
        self.dates: set[tuple[int, date]] = set()
        for doctor_id, day, fraction in Booking.objects.filter(
            doctor_id__in=doctor_ids, date__range=(first, last), status__in=ACTIVE
        ).values_list("doctor_id", "date", "day_fraction"):
            self.days[doctor_id] += fraction
            self.dates.add((doctor_id, day))
        pending = PlanLine.objects.filter(status__in=PlanLine.PENDING).filter(
            Q(doctor_id__in=doctor_ids, slot__date__range=(first, last)) | Q(slot_id__in=slot_ids)
        )
        self.taken: dict[int, int] = defaultdict(int)
        for doctor_id, slot_id, day, period in pending.values_list(
            "doctor_id", "slot_id", "slot__date", "slot__period"
        ):
            if first <= day <= last:
                self.days[doctor_id] += day_fraction_of(period)
                self.dates.add((doctor_id, day))
            self.taken[slot_id] += 1
        for slot_id in Booking.objects.filter(slot_id__in=slot_ids, status__in=ACTIVE).values_list(
            "slot_id", flat=True
        ):
            self.taken[slot_id] += 1

    def refusal(self, line: PlanLine) -> str | None:
        """Why this line can no longer be offered (the booking's rules, counting the offers out), or None."""
        slot, doctor = line.slot, line.doctor
        try:
            if doctor.status != Doctor.Status.VALIDATED:
                raise RuleViolation(Code.DOCTOR_NOT_VALIDATED, "Ce médecin n'est plus validé.")
            if slot.status != Slot.Status.OPEN or not slot.site.active:
                raise RuleViolation(Code.SLOT_CLOSED, "Ce créneau a été fermé.")
            check_booking_date(slot.date, timezone.localdate())
            if (doctor.pk, slot.date) in self.dates:
                raise RuleViolation(
                    Code.ALREADY_BOOKED_THAT_DAY, "Ce médecin a déjà une mission ou une proposition ce jour-là."
                )
            check_monthly_cap(self.days[doctor.pk], day_fraction_of(slot.period), slot.date)
            if self.taken[slot.pk] >= slot.capacity:
                raise RuleViolation(Code.SLOT_FULL, "Ce créneau est complet.")
        except RuleViolation as exc:
            return f"Plus possible à l'envoi : {exc.message}"
        return None

    def add(self, line: PlanLine) -> None:
        self.days[line.doctor_id] += day_fraction_of(line.slot.period)
        self.dates.add((line.doctor_id, line.slot.date))
        self.taken[line.slot_id] += 1


# --- the offers out ----------------------------------------------------------------------------------------------


def decline_line(line: PlanLine, *, by: User) -> PlanLine:
    """The doctor cannot go: the line is declined and its slot is free for the next plan."""
    return LINE.run(line, "decline", by=by, reason="Déclinée par le médecin")


def reconcile(*, region: Region | None = None, now: datetime | None = None) -> dict[str, int]:
    """Follow the offers out: a line whose doctor booked its slot is accepted; one that can no longer be accepted
    (the day passed, the link expired, the slot closed or full, the doctor no longer validated or busy that day)
    expires and frees its slot. Idempotent; the acts are the system's."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = PlanLine.objects.filter(status__in=PlanLine.PENDING)
    if region is not None:
        sent = sent.filter(plan__region=region)
    with transaction.atomic():
        # The lines are this run's alone: two runs at once (the job and a hand-started one) each take the lines the
        # other has not locked, and a line the other has just settled is no longer pending when its lock is free,
        # so no line is settled twice (which the second run would find an invalid transition).
        lines = list(
            sent.select_related("slot__site", "doctor", "offer")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("pk")
        )
        if not lines:
            return {"accepted": 0, "expired": 0}
        return _settle(lines, now=now, today=today)


def _settle(lines: list[PlanLine], *, now: datetime, today: date) -> dict[str, int]:
    """Settle the sent lines `lines`, locked by the caller."""
    # One query, so one snapshot: read in three (READ COMMITTED), a booking committed between them made its own
    # line look « taken by others » (the PostgreSQL race of tests/planning/test_races.py).
    slot_ids = {line.slot_id for line in lines}
    rows = Booking.objects.filter(
        Q(slot_id__in=slot_ids)
        | Q(doctor_id__in={line.doctor_id for line in lines}, date__in={line.slot.date for line in lines}),
        status__in=ACTIVE,
    ).values_list("doctor_id", "slot_id", "date")
    booked: set[tuple[int, int]] = set()
    busy: set[tuple[int, date]] = set()
    taken: dict[int, int] = defaultdict(int)
    for doctor_id, slot_id, day in rows:
        booked.add((doctor_id, slot_id))
        busy.add((doctor_id, day))
        if slot_id in slot_ids:
            taken[slot_id] += 1
    accepted, expired = [], []
    for line in lines:
        if (line.doctor_id, line.slot_id) in booked:
            accepted.append(line)
            continue
        why = _why_expired(line, now=now, today=today, busy=busy, taken=taken)
        if why:
            line.reason = why
            expired.append(line)
    if accepted:
        LINE.run_many(accepted, "accept", by=None, reason="Créneau réservé par le médecin", locked=True)
    for line in expired:
        LINE.run(line, "expire", by=None, reason=line.reason, locked=True)
    return {"accepted": len(accepted), "expired": len(expired)}


def _why_expired(
    line: PlanLine, *, now: datetime, today: date, busy: set[tuple[int, date]], taken: dict[int, int]
) -> str:
    slot = line.slot
    if slot.date < today:
        return "Le jour du créneau est passé."
    if line.offer is not None and line.offer.offered_at + MAX_AGE < now:
        return "Le lien de la proposition a expiré."
    if slot.status != Slot.Status.OPEN or not slot.site.active:
        return "Le créneau a été fermé."
    if taken[slot.pk] >= slot.capacity:
        return "Le créneau a été pris par d'autres médecins."
    if line.doctor.status != Doctor.Status.VALIDATED:
        return "Le médecin n'est plus validé."
    if (line.doctor_id, slot.date) in busy:
        return "Le médecin a réservé une autre mission ce jour-là."
    return ""


def lines_units(lines: Iterable[PlanLine]) -> int:
    return sum(units_of(day_fraction_of(line.slot.period)) for line in lines)
