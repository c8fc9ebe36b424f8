"""The lifecycles of plans and their lines (core.transitions), declared once as named acts.

A plan is created `draft` by planning.services.propose_plan; ARS staff send it (`sent`) or it is discarded (a new
proposal for the same region and month replaces the draft). A line is created `proposed`; ARS staff remove it, or
send it with its plan; then the doctor accepts (books the slot through missions.services.book_slot: the line
follows, planning.services.reconcile), declines, or lets it expire.
"""

from typing import TypedDict

from accounts.authority import Allowed
from core.transitions import Lifecycle, act
from planning.models import Plan, PlanLine, PlanLineStatus, PlanStatus

P = PlanStatus
L = PlanLineStatus

ARS_OF_THE_REGION_ONLY = "Seule l'équipe ARS de la région de ce planning peut faire cela."
REVIEW = Allowed("plan.review", ARS_OF_THE_REGION_ONLY)
DRAFT_ONLY = {"*": "Ce planning a déjà été envoyé ou abandonné : il ne peut plus être modifié."}

PLAN = Lifecycle.of(
    Plan,
    act(
        "send",
        [P.DRAFT],
        P.SENT,
        label="envoyer les propositions",
        permission=REVIEW,
        stamp="sent",
        refusals=DRAFT_ONLY,
    ),
    act("discard", [P.DRAFT], P.DISCARDED, label="abandonner le planning", permission=REVIEW, stamp="discarded"),
    # A new proposal for the same region and month replaces the draft: propose_plan has asked who may propose
    # (`by` is None when the scheduled job proposes).
    act("replace", [P.DRAFT], P.DISCARDED, label="remplacer par un nouveau planning", stamp="discarded"),
)


class Stamps(TypedDict):
    stamp: str
    reason_field: str


STAMPS: Stamps = {"stamp": "status_changed", "reason_field": "reason"}

LINE = Lifecycle.of(
    PlanLine,
    act(
        "remove",
        [L.PROPOSED],
        L.REMOVED,
        label="retirer la proposition",
        permission=REVIEW,
        refusals={"*": "Cette proposition n'est plus à relire : elle ne peut plus être retirée."},
        **STAMPS,
    ),
    act("send", [L.PROPOSED], L.SENT, label="envoyer la proposition", permission=REVIEW, **STAMPS),
    act("accept", [L.SENT], L.ACCEPTED, label="accepter la proposition", **STAMPS),
    act(
        "decline",
        [L.SENT],
        L.DECLINED,
        label="décliner la proposition",
        permission=Allowed("planline.decline", "Seul le médecin à qui ce créneau est proposé peut le décliner."),
        refusals={
            L.ACCEPTED: "Vous avez déjà accepté ce créneau : annulez la réservation depuis « Mes missions ».",
            "*": "Cette proposition n'est plus ouverte.",
        },
        **STAMPS,
    ),
    act("expire", [L.SENT], L.EXPIRED, label="faire expirer la proposition", **STAMPS),
)
