"""Every write on doctors, availability and bookings. The only way their state changes.

Views, the API, the admin and tasks call these functions. Status changes are acts of the lifecycles declared in
missions.lifecycles (and sites.lifecycles for slots): the engine checks who may act and from which state, locks,
stamps who and when, keeps the history and the transition log, and tells people (missions.notices), all in one
transaction. These functions add the rules around the acts (R1–R5, R10) and what an act entails for other rows.

Locks are always taken in the same order — the doctor row, then the slot row — so that concurrent bookings
serialise without deadlocks; the database also holds « one active booking per doctor and date » on its own.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.authority import is_ars_staff, may, require
from accounts.models import User
from accounts.notices import AccountExists
from core.errors import Code, NotAllowed, RuleViolation
from core.history import set_history_user
from directory.check import check as rpps_check
from missions import locks, signals
from missions.doctor_file import ask_cdom
from missions.lifecycles import BOOKING, DOCTOR, REVIEW
from missions.models import Availability, Booking, Doctor, SlotOffer
from missions.notices import BookingRequested as BookingRequestedNotice
from missions.notices import (
    DoctorRegistered,
    DoctorRegisteredArs,
    SlotClosed,
    SlotOfferNotice,
    ars_recipients,
    site_recipients,
)
from missions.registration import Registration, already_used
from missions.rules import (
    Replacement,
    check_availability_date,
    check_booking_date,
    check_monthly_cap,
    check_replacement,
    check_zone_covered,
    is_late,
    month_bounds,
)
from sites.lifecycles import SLOT
from sites.models import Period, Slot, day_fraction_of
from sites.services import require_site_manager

ACTIVE = Booking.ACTIVE_STATUSES

__all__ = ["ars_recipients", "site_recipients"]  # where they lived: callers may still import them from here


# --- doctors -------------------------------------------------------------------------------------------------


def register_doctor(registration: Registration) -> Doctor | None:
    """A volunteer files their application: an account and a Doctor in `submitted`.

    `registration` is well formed (building it checked what was typed); what is left is what only the database
    knows: is the address or the RPPS number taken?

    A `discreet` registration (the web form, which must not tell anyone which addresses have an account): an address
    that already has one creates nothing and returns None — the same answer as a success for the caller —, and
    its owner is told by e-mail (once a day at most), unless it is the same application submitted again (a double
    click: the account holds a doctor with this RPPS), which is simply the success it already was.
    """
    r = registration
    refused = already_used(r.email, r.rpps, discreet=r.discreet)
    if refused:
        raise ValidationError(refused)
    if r.discreet and User.objects.filter(email=r.email).exists():
        _tell_owner_of_taken_address(r.email, r.rpps)
        return None

    with transaction.atomic():
        try:
            user = User.objects.create_user(
                email=r.email, password=r.password, first_name=r.first_name, last_name=r.last_name
            )
            doctor = Doctor(
                user=user,
                rpps=r.rpps,
                first_name=r.first_name,
                last_name=r.last_name,
                specialty=r.specialty,
                sector=r.sector,
                mode=r.mode,
                practice_commune=r.practice_commune,
                practice_department_id=r.practice_commune.department_id,
                cdom_department=r.cdom_department,
                phone=r.phone,
                replacement_declared=r.replacement_declared,
            )
            set_history_user(doctor, user)
            with transaction.atomic():
                doctor.save()
        except IntegrityError as exc:  # a concurrent registration with the same e-mail or RPPS won
            if r.discreet and User.objects.filter(email=r.email).exists():
                return None  # most likely the same form submitted twice at once: the first one's success
            raise ValidationError({"rpps": ["Un dossier existe déjà avec ce numéro RPPS ou cette adresse."]}) from exc
        doctor.zones.set(r.zones)
        zones = list(r.zones)
        DoctorRegistered(doctor, zones=zones).send()
        DoctorRegisteredArs(doctor, zones=zones).send()
        ask_cdom(doctor)  # the file's first step: the CDOM answers through a signed link (missions.doctor_file)
    return doctor


def _tell_owner_of_taken_address(email: str, rpps: str) -> None:
    user = User.objects.filter(email=email).first()
    if user is None or Doctor.objects.filter(user=user, rpps=rpps).exists():
        return  # the same application again (double click, « back » then « submit »): nothing new to say
    AccountExists(user, day=timezone.localdate()).send()


def validate_doctor(doctor: Doctor, *, by: User, reason: str = "") -> Doctor:
    """ARS staff validate an application: the doctor may book; CDOM and CPAM are told (billing listens).

    When the RPPS directory in force does not agree with the application (number unknown, not a doctor, another
    name or specialty: directory.check), ARS staff may still validate, but say why: the reason is kept as the
    status reason and in the history. Without a directory loaded, nothing is asked."""
    reason = (reason or "").strip()
    if not reason and DOCTOR.can(doctor, "validate"):  # from another state, the act's own refusal says why
        REVIEW(by, doctor)  # who may not validate learns nothing of the directory
        verdict = rpps_check(doctor)
        if not verdict.clean:
            raise RuleViolation(
                Code.RPPS_MISMATCH_REASON_REQUIRED,
                f"Ce dossier ne concorde pas avec l'annuaire RPPS ({' ; '.join(verdict.problems)}) : indiquez le "
                "motif de la validation malgré cet écart.",
            )
    return DOCTOR.run(doctor, "validate", by=by, reason=reason)


def reject_doctor(doctor: Doctor, *, by: User, reason: str) -> Doctor:
    return DOCTOR.run(doctor, "reject", by=by, reason=reason)


def suspend_doctor(doctor: Doctor, *, by: User, reason: str = "") -> Doctor:
    """ARS staff suspend a doctor: their future bookings are cancelled (sites and the doctor told) and stay so when
    the doctor is reinstated; their sessions and API tokens end (DOCTOR's suspend act)."""
    with transaction.atomic():
        doctor = DOCTOR.run(doctor, "suspend", by=by, reason=reason)
        _cancel_future_bookings(doctor, by=by, reason=reason.strip() or "Suspension du dossier par l'ARS")
    return doctor


def reinstate_doctor(doctor: Doctor, *, by: User) -> Doctor:
    return DOCTOR.run(doctor, "reinstate", by=by)


def withdraw_doctor(doctor: Doctor, *, by: User, reason: str = "") -> Doctor:
    """The doctor leaves the mission (or ARS staff withdraw them); their future bookings are cancelled."""
    with transaction.atomic():
        doctor = DOCTOR.run(doctor, "withdraw", by=by, reason=reason)
        _cancel_future_bookings(doctor, by=by, reason=reason.strip() or "Retrait du médecin de la mission")
    return doctor


def _cancel_future_bookings(doctor: Doctor, *, by: User, reason: str) -> None:
    """Cancel, through the booking lifecycle, every booking of the doctor from today on, wherever it is (not late: a
    decision on the doctor, not a change of plan). The suspension or withdrawal just run is what allows it: an
    agent who may suspend a doctor of their region cancels that doctor's days in another region too."""
    future = Booking.objects.filter(
        doctor=doctor,
        status__in=BOOKING.acts["cancel"].sources,
        date__gte=timezone.localdate(),
    ).order_by("date", "pk")
    BOOKING.run_many(
        future, "cancel", by=by, reason=reason, changes_of=lambda booking: {"late_cancellation": False}, permitted=True
    )


# --- bookings ------------------------------------------------------------------------------------------------


def month_days_booked(doctor_id: int, day: date) -> Decimal:
    first, last = month_bounds(day)
    total = Booking.objects.filter(doctor_id=doctor_id, date__range=(first, last), status__in=ACTIVE).aggregate(
        total=Sum("day_fraction")
    )["total"]
    return total or Decimal("0")


def book_slot(
    *, doctor: Doctor, slot: Slot, by: User, replacement: Replacement | None = None, savepoint: bool = True
) -> Booking:
    """A doctor asks for a slot (R1–R4, the zone rule, R10's flag). Returns the booking in `requested`.

    `replacement`: who replaces the doctor at their main practice that day — required when the doctor declared a
    replacement, refused otherwise (missions.rules.check_replacement).

    `savepoint=False`: called inside a transaction that any error of this call ends (the API's Idempotency-Key
    claim, rolled back with a refusal), so no savepoint of its own is needed (two round trips less); after a refusal
    the caller's transaction is unusable until its block ends. The default keeps the savepoint: a caller that goes
    on after a refusal (the demo data) keeps its transaction.

    Only `slot.pk` is read: the slot is read again under its lock (Slot.DoesNotExist if there is none)."""
    if doctor.user_id != getattr(by, "pk", None):  # ARS staff of the region book on a doctor's behalf
        message = "Un médecin ne peut réserver que pour lui-même."
        require(by, "doctor.review", doctor, message)
        require(by, "slot.book_for", slot, message)
    with transaction.atomic(savepoint=savepoint):
        # Lock order: doctor, then slot. Always. (missions.locks: the same reads, their SQL composed once.)
        doctor, doctor_epci_siren = locks.lock_doctor(doctor.pk)
        slot, covered, site_members = locks.lock_slot(slot.pk, doctor.pk)
        if doctor.status != Doctor.Status.VALIDATED:
            raise RuleViolation(
                "doctor_not_validated",
                "Votre dossier n'est pas (ou plus) validé par l'ARS : vous ne pouvez pas réserver de créneau.",
            )
        if slot.status != Slot.Status.OPEN or not slot.site.active:
            raise RuleViolation("slot_closed", "Ce créneau a été fermé par le lieu d'accueil.")
        check_booking_date(slot.date, timezone.localdate())
        check_replacement(doctor.replacement_declared, replacement, doctor_rpps=doctor.rpps, today=timezone.localdate())
        check_zone_covered(covered, slot.zone, acting_doctor=doctor.user_id == getattr(by, "pk", None))
        booked_that_day, month_days, taken = locks.booking_load(doctor.pk, slot.pk, slot.date, month_bounds(slot.date))
        if booked_that_day:
            raise RuleViolation(
                "already_booked_that_day",
                f"Vous avez déjà une mission le {slot.date:%d/%m/%Y} : une seule réservation par jour.",
            )
        fraction = day_fraction_of(slot.period)
        check_monthly_cap(month_days, fraction, slot.date)
        if taken >= slot.capacity:
            raise RuleViolation("slot_full", "Ce créneau est complet : toutes ses places sont déjà réservées.")
        booking = Booking(
            doctor=doctor,
            slot=slot,
            zone=slot.zone,
            date=slot.date,
            period=slot.period,
            day_fraction=fraction,
            status=Booking.Status.REQUESTED,
            requested_by=by,
            in_own_zone=bool(doctor_epci_siren and doctor_epci_siren == slot.zone.siren),
        )
        if replacement is not None:
            booking.replacement_name = replacement.name
            booking.replacement_rpps = replacement.rpps
            booking.derogation_requested_on = replacement.derogation_requested_on
        try:
            # No savepoint of its own: on a violation nothing more runs in this transaction, and the error
            # unwinds this function's atomic block (a savepoint when the caller holds a transaction).
            locks.insert_booking(booking, getattr(by, "pk", None))
        except IntegrityError as exc:  # the partial unique index caught a concurrent booking that day
            raise RuleViolation(
                "already_booked_that_day",
                f"Vous avez déjà une mission le {slot.date:%d/%m/%Y} : une seule réservation par jour.",
            ) from exc
        BookingRequestedNotice(booking, site_member_emails=site_members).send()
    return booking


def confirm_booking(booking: Booking, *, by: User) -> Booking:
    return BOOKING.run(booking, "confirm", by=by)


def decline_booking(booking: Booking, *, by: User, reason: str) -> Booking:
    return BOOKING.run(booking, "decline", by=by, reason=reason)


def is_late_cancellation(booking: Booking, now: datetime | None = None) -> bool:
    """Whether the doctor cancelling now would be a late cancellation (R5)."""
    return is_late(booking.date, booking.period, now or timezone.now())


def cancel_booking(booking: Booking, *, by: User, reason: str) -> Booking:
    """The doctor, the site or ARS staff cancel. Close to the day it is a late cancellation (R5), flagged and told
    to the ARS, whether the doctor or the site cancels; ARS staff fixing a problem are not flagged."""
    is_doctor = booking.doctor.user_id == getattr(by, "pk", None)
    late = (is_doctor or not is_ars_staff(by)) and is_late_cancellation(booking)
    return BOOKING.run(booking, "cancel", by=by, reason=reason, changes={"late_cancellation": late})


def _check_attestation(attended: bool, consultations: int | None) -> int | None:
    if not attended:
        return None
    if consultations is None or not isinstance(consultations, int) or consultations < 0:
        raise ValidationError({"consultations": ["Indiquez le nombre de consultations réalisées (0 ou plus)."]})
    if consultations > 200:
        raise ValidationError({"consultations": ["Nombre de consultations invraisemblable pour une journée."]})
    return consultations


def _attested(attended: bool) -> str:
    return Booking.Status.COMPLETED if attended else Booking.Status.NO_SHOW


def attest_booking(booking: Booking, *, by: User, attended: bool, consultations: int | None = None) -> Booking:
    """After the day, the site attests that the doctor came (with N consultations) or did not."""
    consultations = _check_attestation(attended, consultations)
    return BOOKING.run(booking, "attest", by=by, target=_attested(attended), changes={"consultations": consultations})


def correct_attestation(
    booking: Booking, *, by: User, attended: bool, consultations: int | None, reason: str
) -> Booking:
    """Correct an attestation (came or not, consultations), with a reason kept in the history.

    ARS staff may at any time: billing reverses what was already stated (R9). The host site may correct its own
    while the day is on no issued statement (billing says so, under the paying CPAM's lock, so that a correction
    racing a statement's generation or issue either lands before it or is refused). Drafts that state the day are
    refreshed in the same transaction (billing.receivers)."""
    consultations = _check_attestation(attended, consultations)
    name = "correct" if may(by, "booking.correct", booking) else "site_correct"
    by_site = name == "site_correct"
    if by_site:
        require(
            by,
            "booking.site_correct",
            booking,
            "Seuls les membres de ce lieu d'accueil peuvent corriger son attestation.",
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [BOOKING.acts[name].reason_required]})
    with transaction.atomic():
        signals.attestation_correction_starting.send(sender=Booking, booking=booking, by=by, by_site=by_site)
        return BOOKING.run(
            booking,
            name,
            by=by,
            reason=reason,
            target=_attested(attended),
            changes={"consultations": consultations},
        )


def close_slot(slot: Slot, *, by: User, reason: str) -> int:
    """The site (or ARS) closes a slot: its bookings are cancelled with the reason, everyone is told.
    Closer to the day than LATE_CANCEL_HOURS, the same rule as a doctor's cancellation (R5): each booking is a late
    cancellation, flagged, and the ARS is alerted (unless ARS staff closed it themselves).

    Each booking goes through the booking lifecycle's cancel act (a booking it cannot cancel refuses the closure),
    under the locks taken here in the global order: the doctors (ascending id), then the slot, then the bookings."""
    cancellable = BOOKING.acts["cancel"].sources
    with transaction.atomic():
        doctor_ids = sorted(
            Booking.objects.filter(slot_id=slot.pk, status__in=ACTIVE).values_list("doctor_id", flat=True)
        )
        list(Doctor.objects.select_for_update().filter(pk__in=doctor_ids).order_by("pk").values_list("pk", flat=True))
        slot = SLOT.run(slot, "close", by=by, reason=reason)
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(slot=slot, status__in=cancellable)
            .select_related("doctor__user", "slot__site__commune", "zone__department")
            .order_by("pk")
        )
        flag_late = not is_ars_staff(by)
        BOOKING.run_many(
            bookings,
            "cancel",
            by=by,
            reason=f"Créneau fermé par le lieu d'accueil : {slot.closed_reason}",
            changes_of=lambda b: {"late_cancellation": flag_late and is_late_cancellation(b, slot.closed_at)},
            at=slot.closed_at,
            context={"slot_closed": True},
            locked=True,
            permitted=True,  # who may close the slot (SLOT's close act, above) may cancel its bookings
        )
        if bookings:
            SlotClosed(slot, doctors=[b.doctor.user.email for b in bookings]).send()
    return len(bookings)


# --- availability ----------------------------------------------------------------------------------------------


def declare_availability(*, doctor: Doctor, date: date, period: str, by: User) -> Availability:
    if doctor.user_id != getattr(by, "pk", None):
        raise NotAllowed("Un médecin ne déclare que ses propres disponibilités.")
    if period not in Period.values:
        raise ValidationError({"period": ["Période inconnue : choisissez journée, matin ou après-midi."]})
    check_availability_date(date, timezone.localdate())
    availability, _ = Availability.objects.get_or_create(doctor=doctor, date=date, period=period)
    return availability


def remove_availability(availability: Availability, *, by: User) -> None:
    if availability.doctor.user_id != getattr(by, "pk", None):
        raise NotAllowed("Un médecin ne retire que ses propres disponibilités.")
    availability.delete()


# --- web space helpers: slot invitations, calendar links ----------------------------------------------------


def offer_slot(*, slot: Slot, doctor: Doctor, by: User, accept_url: str) -> bool:
    """A host site invites a doctor to an open slot; the e-mail carries `accept_url`, a link that books it in one
    step. Returns False when this doctor was already invited to this slot (nothing is sent twice)."""
    require_site_manager(by, slot)
    if slot.status != Slot.Status.OPEN:
        raise RuleViolation("slot_closed", "Ce créneau est fermé : il ne peut pas être proposé.")
    check_booking_date(slot.date, timezone.localdate())
    if doctor.status != Doctor.Status.VALIDATED:
        raise RuleViolation(
            "doctor_not_validated", "Ce médecin n'est pas validé par l'ARS : il ne peut pas être invité."
        )
    check_zone_covered(doctor.zones.filter(pk=slot.zone_id).exists(), slot.zone, acting_doctor=False)
    if Booking.objects.filter(slot=slot, status__in=ACTIVE).count() >= slot.capacity:
        raise RuleViolation("slot_full", "Ce créneau est complet : toutes ses places sont déjà réservées.")
    with transaction.atomic():
        _, created = SlotOffer.objects.get_or_create(slot=slot, doctor=doctor, defaults={"offered_by": by})
        # The row is the invitation; the message's dedup key still guards against a second e-mail.
        sent = SlotOfferNotice(slot, doctor, accept_url).send() if created else 0
    return bool(sent)


def revoke_ical_token(doctor: Doctor, *, by: User) -> Doctor:
    """A new secret replaces the doctor's calendar token: the old feed URL stops working at once."""
    from missions.models import new_ical_token

    require(by, "doctor.edit", doctor, "Seuls le médecin lui-même et l'équipe ARS peuvent renouveler ce lien.")
    doctor.ical_token = new_ical_token()
    Doctor.objects.filter(pk=doctor.pk).update(ical_token=doctor.ical_token)
    return doctor
