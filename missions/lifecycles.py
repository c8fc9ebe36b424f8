"""The lifecycles of doctors and bookings (DESIGN §4), declared once as named acts (core.transitions).

Each act says the states it starts from and leads to, who may run it (accounts.authority), what it stamps, where
the reason goes, and what it tells. Services run them: `DOCTOR.run(doctor, "validate", by=user)`. A booking is
created `requested` by missions.services.book_slot (a creation, not a transition).
"""

from __future__ import annotations

from typing import TypedDict

from django.utils import timezone

from accounts.authority import Allowed
from accounts.credentials import revoke_credentials
from core.errors import Code, RuleViolation
from core.transitions import Lifecycle, Transition, act
from missions import notices, signals
from missions.models import (
    BillingNumberStatus,
    Booking,
    BookingStatus,
    CdomStatus,
    CpsCardStatus,
    Doctor,
    DoctorStatus,
    InsuranceStatus,
)
from sites.lifecycles import SITE_MANAGERS_ONLY
from sites.models import Slot

D = DoctorStatus
B = BookingStatus

ARS_OF_THE_REGION_ONLY = "Seule l'équipe ARS de la région de ce dossier peut faire cela."


def allowed(authority_act: str, message: str) -> Allowed:
    """The permission of an act: accounts.authority decides, with this French refusal."""
    return Allowed(authority_act, message)


# --- doctors ---------------------------------------------------------------------------------------------------


def _lock_doctor(doctor: Doctor) -> Doctor:
    return Doctor.objects.select_for_update(of=("self",)).select_related("user").get(pk=doctor.pk)


def _first_validation(transition: Transition) -> None:
    if transition.obj.validated_at is None:
        transition.obj.validated_at = transition.at


def _tell_billing_validated(transition: Transition) -> None:
    """CDOM and CPAM are told by billing, which listens (missions does not depend on it)."""
    signals.doctor_validated.send(sender=Doctor, doctor=transition.obj, by=transition.by)


def _end_sessions(transition: Transition) -> None:
    revoke_credentials(transition.obj.user)  # open sessions and API tokens end with the suspension


REVIEW = allowed("doctor.review", ARS_OF_THE_REGION_ONLY)


def _file_ready_for_validation(doctor: Doctor) -> None:
    """The file's steps the validation waits for: the RCP insurance declared, the CDOM not opposed (its
    authorisation may come later: the ARS may validate while the CDOM runs its checks)."""
    if doctor.insurance_status != InsuranceStatus.DECLARED:
        raise RuleViolation(
            Code.INSURANCE_MISSING,
            "Le médecin n'a pas encore déclaré son assurance en responsabilité civile professionnelle (RCP) : "
            "assureur, n° de contrat et attestation qu'elle couvre l'exercice sur les lieux d'accueil. "
            "Le dossier ne peut pas être validé avant.",
        )
    if doctor.cdom_status == CdomStatus.REFUSED:
        raise RuleViolation(
            Code.CDOM_REFUSED,
            f"Le CDOM a refusé cette activité ({doctor.cdom_reason}) : le dossier ne peut pas être validé.",
        )


class Stamps(TypedDict):
    """What a doctor's act stamps (typed, so that `**STATUS` unpacks into `act` checked)."""

    stamp: str
    reason_field: str


STATUS: Stamps = {"stamp": "status_changed", "reason_field": "status_reason"}

DOCTOR = Lifecycle.of(
    Doctor,
    act(
        "validate",
        [D.SUBMITTED],
        D.VALIDATED,
        label="valider le dossier",
        permission=REVIEW,
        guard=_file_ready_for_validation,
        also=_first_validation,
        tells=[notices.DoctorValidated.on_transition, _tell_billing_validated],
        **STATUS,
    ),
    act(
        "reject",
        [D.SUBMITTED],
        D.REJECTED,
        label="refuser le dossier",
        permission=REVIEW,
        reason_required="Indiquez le motif du refus : il est communiqué au médecin.",
        tells=[notices.DoctorRejected.on_transition],
        **STATUS,
    ),
    act(
        "suspend",
        [D.VALIDATED],
        D.SUSPENDED,
        label="suspendre le médecin",
        permission=REVIEW,
        tells=[notices.DoctorSuspended.on_transition, _end_sessions],
        **STATUS,
    ),
    act(
        "reinstate",
        [D.SUSPENDED],
        D.VALIDATED,
        label="rétablir le médecin",
        permission=REVIEW,
        also=_first_validation,
        tells=[notices.DoctorReinstated.on_transition],
        **STATUS,
    ),
    act(
        "withdraw",
        [s for s in D.values if s != D.WITHDRAWN],
        D.WITHDRAWN,
        label="retirer le dossier",
        permission=allowed("doctor.withdraw", "Seuls le médecin lui-même et l'équipe ARS peuvent retirer ce dossier."),
        **STATUS,
    ),
    lock=_lock_doctor,
)


# --- bookings --------------------------------------------------------------------------------------------------


def lock_booking(booking: Booking) -> Booking:
    """Lock a booking for a transition, in the global order: doctor, slot, then the booking itself."""
    Doctor.objects.select_for_update().filter(pk=booking.doctor_id).first()
    Slot.objects.select_for_update().filter(pk=booking.slot_id).first()
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "slot__site__commune", "zone__department")
        .get(pk=booking.pk)
    )


def _not_past(booking: Booking) -> None:
    if booking.date < timezone.localdate():
        raise RuleViolation(
            Code.DATE_IN_PAST, "Cette journée est passée : elle doit être attestée par le lieu, pas annulée."
        )


def _not_before_the_day(booking: Booking) -> None:
    if booking.date > timezone.localdate():
        raise RuleViolation(Code.ATTESTATION_TOO_EARLY, "On ne peut attester une journée qu'à partir du jour même.")


def _doctor_still_validated(booking: Booking) -> None:
    """A suspended or withdrawn doctor's requests are cancelled with the decision; one still open (a race with the
    suspension) is not confirmable either."""
    if booking.doctor.status != Doctor.Status.VALIDATED:
        raise RuleViolation(
            Code.DOCTOR_NOT_VALIDATED,
            "Ce médecin n'est plus validé par l'ARS (dossier suspendu ou retiré) : sa réservation ne peut pas être "
            "confirmée.",
        )


def _tell_billing_confirmed(transition: Transition) -> None:
    signals.booking_confirmed.send(sender=Booking, booking=transition.obj, by=transition.by)


def _tell_billing_corrected(transition: Transition) -> None:
    """Billing reverses what was already stated (R9)."""
    signals.attestation_corrected.send(
        sender=Booking, booking=transition.obj, by=transition.by, previous_status=transition.previous
    )


RESPOND = allowed("booking.respond", SITE_MANAGERS_ONLY)
ATTESTED = [B.COMPLETED, B.NO_SHOW]

BOOKING = Lifecycle.of(
    Booking,
    act(
        "confirm",
        [B.REQUESTED],
        B.CONFIRMED,
        label="confirmer la réservation",
        permission=RESPOND,
        stamp="confirmed",
        guard=_doctor_still_validated,
        tells=[notices.BookingConfirmed.on_transition, _tell_billing_confirmed],
    ),
    act(
        "decline",
        [B.REQUESTED],
        B.DECLINED,
        label="refuser la réservation",
        permission=RESPOND,
        stamp="declined",
        reason_field="reason",
        reason_required="Indiquez le motif du refus : il est communiqué au médecin.",
        tells=[notices.BookingDeclined.on_transition],
    ),
    act(
        "cancel",
        [B.REQUESTED, B.CONFIRMED],
        B.CANCELLED,
        label="annuler la réservation",
        permission=allowed(
            "booking.cancel", "Seuls le médecin, le lieu d'accueil et l'équipe ARS peuvent annuler cette réservation."
        ),
        stamp="cancelled",
        reason_field="reason",
        reason_required="Indiquez le motif de l'annulation : il est communiqué aux autres parties.",
        guard=_not_past,
        # R5: the caller says whether it is late (changes={"late_cancellation": …}); closing a slot tells its
        # doctors once, by slot (context={"slot_closed": True}), and the ARS of each late one.
        tells=[notices.BookingCancelled.on_transition, notices.BookingLateCancellation.on_transition],
    ),
    act(
        "attest",
        [B.CONFIRMED],
        None,
        targets=ATTESTED,
        label="attester la journée",
        permission=allowed("booking.attest", SITE_MANAGERS_ONLY),
        stamp="attested",
        guard=_not_before_the_day,
        refusals={
            state: "Cette journée est déjà attestée : seule l'équipe ARS peut corriger une attestation."
            for state in ATTESTED
        },
    ),
    act(
        "correct",
        ATTESTED,
        None,
        targets=ATTESTED,
        label="corriger l'attestation",
        permission=allowed("booking.correct", "Seule l'équipe ARS de la région peut corriger une attestation."),
        stamp="corrected",
        reason_field="correction_reason",
        reason_required="Indiquez le motif de la correction : il est conservé dans l'historique.",
        refusals={"*": "Seule une journée déjà attestée peut être corrigée."},
        tells=[_tell_billing_corrected],
    ),
    # The host site corrects its own attestation (a typing error, a doctor marked absent who came), as long as
    # the day is on no issued statement: billing checks it, under the CPAM's lock, before the act runs
    # (missions.services.correct_attestation). After that, a correction is a reversal, the ARS's act above.
    act(
        "site_correct",
        ATTESTED,
        None,
        targets=ATTESTED,
        label="corriger l'attestation du lieu",
        permission=allowed(
            "booking.site_correct", "Seuls les membres de ce lieu d'accueil peuvent corriger son attestation."
        ),
        stamp="corrected",
        reason_field="correction_reason",
        reason_required="Indiquez le motif de la correction : il est conservé dans l'historique et lu par l'ARS.",
        refusals={"*": "Seule une journée déjà attestée peut être corrigée."},
        tells=[_tell_billing_corrected],
    ),
    lock=lock_booking,
)


# --- the volunteer's file, beside the status (DESIGN §4) ---------------------------------------------------------
#
# One small lifecycle per step, each on its own state field of Doctor: the engine stamps who and when, keeps the
# history and writes a TransitionLog row, as for any act. The permissions are decided by the services that run
# them (missions.doctor_file, billing.services): the CDOM answers through a signed link, without an account.

CDOM = Lifecycle.of(
    Doctor,
    act(
        "cdom_authorise",
        [CdomStatus.PENDING, CdomStatus.REFUSED],
        CdomStatus.AUTHORISED,
        label="enregistrer l'autorisation du CDOM",
        stamp="cdom_decided",
        reason_field="cdom_reason",
        refusals={CdomStatus.AUTHORISED: "L'autorisation du CDOM est déjà enregistrée pour ce dossier."},
        tells=[notices.CdomDecided.on_transition, notices.CdomDecidedArs.on_transition],
    ),
    act(
        "cdom_refuse",
        [CdomStatus.PENDING],
        CdomStatus.REFUSED,
        label="enregistrer le refus du CDOM",
        stamp="cdom_decided",
        reason_field="cdom_reason",
        reason_required="Indiquez le motif du refus : il est communiqué au médecin et à l'ARS.",
        refusals={
            CdomStatus.AUTHORISED: "Le CDOM a déjà autorisé ce médecin : son avis est enregistré.",
            CdomStatus.REFUSED: "Le refus du CDOM est déjà enregistré pour ce dossier.",
        },
        tells=[notices.CdomDecided.on_transition, notices.CdomDecidedArs.on_transition],
    ),
    state_field="cdom_status",
    lock=_lock_doctor,
)


INSURANCE = Lifecycle.of(
    Doctor,
    # Declared again when the doctor changes insurer or contract: a row each time, the history keeps the old one.
    act(
        "declare_insurance",
        [InsuranceStatus.MISSING, InsuranceStatus.DECLARED],
        InsuranceStatus.DECLARED,
        label="déclarer l'assurance RCP",
        stamp="insurance_declared",
    ),
    state_field="insurance_status",
    lock=_lock_doctor,
)

BILLING_NUMBER = Lifecycle.of(
    Doctor,
    # Recorded again to correct a typing error: the history keeps the previous number.
    act(
        "record_billing_number",
        [BillingNumberStatus.AWAITED, BillingNumberStatus.RECORDED],
        BillingNumberStatus.RECORDED,
        label="enregistrer le numéro Assurance Maladie dédié",
        stamp="billing_number_recorded",
    ),
    state_field="billing_number_status",
    lock=_lock_doctor,
)


def _card_received_on(transition: Transition) -> None:
    transition.obj.cps_card_received_on = timezone.localdate(transition.at)


CPS_CARD = Lifecycle.of(
    Doctor,
    act(
        "declare_cps_card",
        [CpsCardStatus.AWAITED],
        CpsCardStatus.RECEIVED,
        label="déclarer la nouvelle carte CPS reçue",
        also=_card_received_on,
        refusals={CpsCardStatus.RECEIVED: "Votre nouvelle carte CPS est déjà déclarée reçue."},
    ),
    state_field="cps_card_status",
    lock=_lock_doctor,
)

# The steps of a file in the order a volunteer goes through them (pages, API, dashboard).
FILE_STEPS = (CDOM, INSURANCE, BILLING_NUMBER, CPS_CARD)
