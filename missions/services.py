"""Every write on doctors, availability and bookings. The only way their state changes.

Views, the API, the admin and tasks call these functions. Each takes `by` (who acts), checks that this person
may act, checks the lifecycle table and the rules, records who and when, keeps the history, and enqueues the
messages people must receive, all in one transaction.

Locks are always taken in the same order — the doctor row, then the slot row — so that concurrent bookings
serialise without deadlocks; the database also holds « one active booking per doctor and date » on its own.
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.authority import is_ars_staff, require
from accounts.credentials import revoke_credentials
from accounts.emails import AmbiguousEmail, normalize_email
from core.errors import NotAllowed, RuleViolation
from missions import signals
from missions.models import Availability, Booking, Doctor
from missions.rules import (
    BOOKING_LIFECYCLE,
    DOCTOR_LIFECYCLE,
    check_booking_date,
    check_monthly_cap,
    is_late,
    month_bounds,
)
from notifications.outbox import enqueue
from sites.identifiers import validate_rpps
from sites.models import Commune, Department, Period, SiteMembership, Slot, day_fraction_of
from sites.services import require_site_manager

User = get_user_model()
ACTIVE = Booking.ACTIVE_STATUSES


# --- recipients ----------------------------------------------------------------------------------------------


def ars_recipients(region_id: int | None) -> list[str]:
    """The ARS staff of a region, or the ARS contact address when nobody is assigned yet."""
    emails = list(
        User.objects.filter(is_active=True, is_staff=True, ars_memberships__region_id=region_id).values_list(
            "email", flat=True
        )
    )
    return emails or [settings.ARS_CONTACT_EMAIL]


def site_recipients(site) -> list[str]:
    emails = list(site.memberships.filter(user__is_active=True).values_list("user__email", flat=True))
    if site.contact_email:
        emails.append(site.contact_email)
    return emails


SITE_OR_ARS_ONLY = "Seuls les membres de ce lieu d'accueil et l'équipe ARS de sa région peuvent faire cela."
ARS_OF_THE_REGION_ONLY = "Seule l'équipe ARS de la région de ce dossier peut faire cela."


def _require_reviewer(by, doctor: Doctor) -> None:
    require(by, "doctor.review", doctor, ARS_OF_THE_REGION_ONLY)


# --- doctors -------------------------------------------------------------------------------------------------


def register_doctor(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    rpps: str,
    specialty: str,
    sector: str,
    mode: str,
    practice_commune: Commune,
    phone: str = "",
    zones=(),
    cdom_department: Department | None = None,
    replacement_declared: bool = False,
    tell_owner_if_taken: bool = False,
) -> Doctor | None:
    """A volunteer files their application: an account and a Doctor in `submitted`.

    `tell_owner_if_taken` (the web form, which must not tell anyone which addresses have an account): an address
    that already has one creates nothing and returns None — the same answer as a success for the caller —, and
    its owner is told by e-mail (once a day at most), unless it is the same application submitted again (a double
    click: the account holds a doctor with this RPPS), which is simply the success it already was.
    """
    errors: dict[str, list[str]] = {}
    try:
        email = normalize_email(email)
    except AmbiguousEmail as exc:
        email = (email or "").strip()
        errors["email"] = exc.messages
    try:
        validate_rpps(rpps)
    except ValidationError as exc:
        errors["rpps"] = exc.messages
    if sector not in Doctor.Sector.values:
        errors["sector"] = ["Secteur conventionnel inconnu."]
    if mode not in Doctor.Mode.values:
        errors["mode"] = ["Mode d'exercice inconnu."]
    if not first_name.strip():
        errors["first_name"] = ["Le prénom est obligatoire."]
    if not last_name.strip():
        errors["last_name"] = ["Le nom est obligatoire."]
    try:
        validate_password(password, User(email=email, first_name=first_name, last_name=last_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if "email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Saisissez une adresse e-mail valide : c'est elle qui vous servira à vous connecter."]
    taken = "email" not in errors and User.objects.filter(email=email).exists()
    if taken and not tell_owner_if_taken:
        errors["email"] = ["Un compte existe déjà avec cette adresse e-mail."]
    if "rpps" not in errors and not taken and Doctor.objects.filter(rpps=rpps).exists():
        errors["rpps"] = ["Un dossier existe déjà avec ce numéro RPPS."]
    zones = list(zones)
    if any(not zone.active for zone in zones):
        errors["zones"] = ["Une des zones choisies n'est plus ouverte à la mission."]
    if errors:
        raise ValidationError(errors)
    if taken:
        _tell_owner_of_taken_address(email, rpps)
        return None

    with transaction.atomic():
        try:
            user = User.objects.create_user(
                email=email, password=password, first_name=first_name.strip(), last_name=last_name.strip()
            )
            doctor = Doctor(
                user=user,
                rpps=rpps,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                specialty=specialty.strip() or "Médecine générale",
                sector=sector,
                mode=mode,
                practice_commune=practice_commune,
                practice_department_id=practice_commune.department_id,
                cdom_department=cdom_department or practice_commune.department,
                phone=phone.strip(),
                replacement_declared=replacement_declared,
            )
            doctor._history_user = user
            with transaction.atomic():
                doctor.save()
        except IntegrityError as exc:  # a concurrent registration with the same e-mail or RPPS won
            if tell_owner_if_taken and User.objects.filter(email=email).exists():
                return None  # most likely the same form submitted twice at once: the first one's success
            raise ValidationError({"rpps": ["Un dossier existe déjà avec ce numéro RPPS ou cette adresse."]}) from exc
        doctor.zones.set(zones)
        context = {"doctor": doctor, "zones": zones}
        enqueue("doctor_registered", to=email, context=context, dedup_key=f"doctor:{doctor.pk}:registered")
        enqueue(
            "doctor_registered_ars",
            to=ars_recipients(practice_commune.department.region_id),
            context=context,
            dedup_key=f"doctor:{doctor.pk}:registered-ars",
        )
    return doctor


def _tell_owner_of_taken_address(email: str, rpps: str) -> None:
    user = User.objects.filter(email=email).first()
    if user is None or Doctor.objects.filter(user=user, rpps=rpps).exists():
        return  # the same application again (double click, « back » then « submit »): nothing new to say
    enqueue(
        "account_exists",
        to=user.email,
        context={"user": user},
        dedup_key=f"user:{user.pk}:account-exists:{timezone.localdate().isoformat()}",
    )


def _move_doctor(doctor: Doctor, to: str, *, by, reason: str = "", only_from: set[str] | None = None) -> Doctor:
    """`only_from` narrows the table for acts that share a target: validating a new application and reinstating
    a suspended doctor both lead to `validated`, but send different messages and only the first tells CDOM/CPAM."""
    with transaction.atomic():
        doctor = Doctor.objects.select_for_update(of=("self",)).select_related("user").get(pk=doctor.pk)
        if only_from is not None and doctor.status not in only_from:
            labels = DOCTOR_LIFECYCLE.labels
            raise RuleViolation(
                "invalid_transition",
                f"Impossible de passer de « {labels.get(doctor.status, doctor.status)} » "
                f"à « {labels.get(to, to)} » par cette action.",
            )
        DOCTOR_LIFECYCLE.check(doctor.status, to)
        now = timezone.now()
        doctor.status = to
        doctor.status_changed_at = now
        doctor.status_changed_by = by
        doctor.status_reason = reason
        if to == Doctor.Status.VALIDATED and doctor.validated_at is None:
            doctor.validated_at = now
        doctor._history_user = by
        doctor.save()
    return doctor


def validate_doctor(doctor: Doctor, *, by) -> Doctor:
    """ARS staff validate an application: the doctor may book; CDOM and CPAM are told (billing listens)."""
    _require_reviewer(by, doctor)
    with transaction.atomic():
        doctor = _move_doctor(doctor, Doctor.Status.VALIDATED, by=by, only_from={Doctor.Status.SUBMITTED})
        enqueue(
            "doctor_validated",
            to=doctor.user.email,
            context={"doctor": doctor},
            dedup_key=f"doctor:{doctor.pk}:validated",
        )
        signals.doctor_validated.send(sender=Doctor, doctor=doctor, by=by)
    return doctor


def reject_doctor(doctor: Doctor, *, by, reason: str) -> Doctor:
    _require_reviewer(by, doctor)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Indiquez le motif du refus : il est communiqué au médecin."]})
    with transaction.atomic():
        doctor = _move_doctor(doctor, Doctor.Status.REJECTED, by=by, reason=reason.strip())
        enqueue(
            "doctor_rejected",
            to=doctor.user.email,
            context={"doctor": doctor, "reason": reason.strip()},
            dedup_key=f"doctor:{doctor.pk}:rejected",
        )
    return doctor


def suspend_doctor(doctor: Doctor, *, by, reason: str = "") -> Doctor:
    _require_reviewer(by, doctor)
    with transaction.atomic():
        doctor = _move_doctor(doctor, Doctor.Status.SUSPENDED, by=by, reason=reason.strip())
        enqueue(
            "doctor_suspended",
            to=doctor.user.email,
            context={"doctor": doctor, "reason": reason.strip()},
            dedup_key=f"doctor:{doctor.pk}:suspended:{doctor.status_changed_at.isoformat()}",
        )
        revoke_credentials(doctor.user)  # open sessions and API tokens end with the suspension
    return doctor


def reinstate_doctor(doctor: Doctor, *, by) -> Doctor:
    _require_reviewer(by, doctor)
    with transaction.atomic():
        doctor = _move_doctor(doctor, Doctor.Status.VALIDATED, by=by, only_from={Doctor.Status.SUSPENDED})
        enqueue(
            "doctor_reinstated",
            to=doctor.user.email,
            context={"doctor": doctor},
            dedup_key=f"doctor:{doctor.pk}:reinstated:{doctor.status_changed_at.isoformat()}",
        )
    return doctor


def withdraw_doctor(doctor: Doctor, *, by, reason: str = "") -> Doctor:
    """The doctor leaves the mission (or ARS staff withdraw them); their future bookings are cancelled."""
    require(by, "doctor.withdraw", doctor, "Seuls le médecin lui-même et l'équipe ARS peuvent retirer ce dossier.")
    with transaction.atomic():
        doctor = _move_doctor(doctor, Doctor.Status.WITHDRAWN, by=by, reason=reason.strip())
        future = Booking.objects.filter(
            doctor=doctor,
            status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED],
            date__gte=timezone.localdate(),
        ).select_related("slot__site", "zone", "doctor__user")
        for booking in future:
            _cancel(booking, by=by, reason=reason.strip() or "Retrait du médecin de la mission", late=False)
    return doctor


# --- bookings ------------------------------------------------------------------------------------------------


def month_days_booked(doctor_id: int, day: date) -> Decimal:
    first, last = month_bounds(day)
    total = Booking.objects.filter(doctor_id=doctor_id, date__range=(first, last), status__in=ACTIVE).aggregate(
        total=Sum("day_fraction")
    )["total"]
    return total or Decimal("0")


def _booking_load(doctor_id: int, slot: Slot) -> tuple[bool, Decimal, int]:
    """In one query: has the doctor an active booking on the slot's date (R3), how many days in its month (R1),
    how many places of the slot are taken (R2). Read under the doctor and slot locks."""
    first, last = month_bounds(slot.date)
    in_month = Q(doctor_id=doctor_id, date__range=(first, last))
    counts = (
        Booking.objects.filter(status__in=ACTIVE)
        .filter(in_month | Q(slot_id=slot.pk))
        .aggregate(
            that_day=Count("pk", filter=Q(doctor_id=doctor_id, date=slot.date)),
            month_days=Sum("day_fraction", filter=in_month),
            taken=Count("pk", filter=Q(slot_id=slot.pk)),
        )
    )
    return counts["that_day"] > 0, counts["month_days"] or Decimal("0"), counts["taken"]


def book_slot(*, doctor: Doctor, slot: Slot, by) -> Booking:
    """A doctor asks for a slot (R1–R4, R10). Returns the booking in `requested`.

    Only `slot.pk` is read: the slot is read again under its lock (Slot.DoesNotExist if there is none)."""
    if doctor.user_id != getattr(by, "pk", None):  # ARS staff of the region book on a doctor's behalf
        message = "Un médecin ne peut réserver que pour lui-même."
        require(by, "doctor.review", doctor, message)
        require(by, "slot.book_for", slot, message)
    with transaction.atomic():
        # Lock order: doctor, then slot. Always.
        doctor = (
            Doctor.objects.select_for_update(of=("self",))
            .select_related("user", "practice_commune__epci")
            .get(pk=doctor.pk)
        )
        slot = Slot.objects.select_for_update(of=("self",)).select_related("site", "zone").get(pk=slot.pk)
        if doctor.status != Doctor.Status.VALIDATED:
            raise RuleViolation(
                "doctor_not_validated",
                "Votre dossier n'est pas (ou plus) validé par l'ARS : vous ne pouvez pas réserver de créneau.",
            )
        if slot.status != Slot.Status.OPEN or not slot.site.active:
            raise RuleViolation("slot_closed", "Ce créneau a été fermé par le lieu d'accueil.")
        check_booking_date(slot.date, timezone.localdate())
        booked_that_day, month_days, taken = _booking_load(doctor.pk, slot)
        if booked_that_day:
            raise RuleViolation(
                "already_booked_that_day",
                f"Vous avez déjà une mission le {slot.date:%d/%m/%Y} : une seule réservation par jour.",
            )
        fraction = day_fraction_of(slot.period)
        check_monthly_cap(month_days, fraction, slot.date)
        if taken >= slot.capacity:
            raise RuleViolation("slot_full", "Ce créneau est complet : toutes ses places sont déjà réservées.")
        epci = doctor.practice_commune.epci
        booking = Booking(
            doctor=doctor,
            slot=slot,
            zone=slot.zone,
            date=slot.date,
            period=slot.period,
            day_fraction=fraction,
            status=Booking.Status.REQUESTED,
            requested_by=by,
            in_own_zone=bool(epci and epci.siren == slot.zone.siren),
        )
        booking._history_user = by
        try:
            # No savepoint of its own: on a violation nothing more runs in this transaction, and the error
            # unwinds this function's atomic block (a savepoint when the caller holds a transaction).
            booking.save()
        except IntegrityError as exc:  # the partial unique index caught a concurrent booking that day
            raise RuleViolation(
                "already_booked_that_day",
                f"Vous avez déjà une mission le {slot.date:%d/%m/%Y} : une seule réservation par jour.",
            ) from exc
        enqueue(
            "booking_requested",
            to=site_recipients(slot.site),
            context={"booking": booking, "doctor": doctor, "slot": slot},
            dedup_key=f"booking:{booking.pk}:requested",
            new_key=True,
        )
    return booking


def _lock_booking(booking: Booking) -> Booking:
    """Lock a booking for a transition, in the global order: doctor, slot, then the booking itself."""
    Doctor.objects.select_for_update().filter(pk=booking.doctor_id).first()
    Slot.objects.select_for_update().filter(pk=booking.slot_id).first()
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "slot__site__commune", "zone__department")
        .get(pk=booking.pk)
    )


def confirm_booking(booking: Booking, *, by) -> Booking:
    require(by, "booking.respond", booking, SITE_OR_ARS_ONLY)
    with transaction.atomic():
        booking = _lock_booking(booking)
        BOOKING_LIFECYCLE.check(booking.status, Booking.Status.CONFIRMED)
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = timezone.now()
        booking.confirmed_by = by
        booking._history_user = by
        booking.save()
        enqueue(
            "booking_confirmed",
            to=booking.doctor.user.email,
            context={"booking": booking},
            dedup_key=f"booking:{booking.pk}:confirmed",
        )
        signals.booking_confirmed.send(sender=Booking, booking=booking, by=by)
    return booking


def decline_booking(booking: Booking, *, by, reason: str) -> Booking:
    require(by, "booking.respond", booking, SITE_OR_ARS_ONLY)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Indiquez le motif du refus : il est communiqué au médecin."]})
    with transaction.atomic():
        booking = _lock_booking(booking)
        BOOKING_LIFECYCLE.check(booking.status, Booking.Status.DECLINED)
        booking.status = Booking.Status.DECLINED
        booking.declined_at = timezone.now()
        booking.declined_by = by
        booking.reason = reason.strip()
        booking._history_user = by
        booking.save()
        enqueue(
            "booking_declined",
            to=booking.doctor.user.email,
            context={"booking": booking, "reason": booking.reason},
            dedup_key=f"booking:{booking.pk}:declined",
        )
    return booking


def is_late_cancellation(booking: Booking, now: datetime | None = None) -> bool:
    """Whether the doctor cancelling now would be a late cancellation (R5)."""
    return is_late(booking.date, booking.period, now or timezone.now())


def _cancel(booking: Booking, *, by, reason: str, late: bool) -> Booking:
    """Cancel a locked booking and tell the other parties. Callers hold the locks and checked the rights."""
    BOOKING_LIFECYCLE.check(booking.status, Booking.Status.CANCELLED)
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = by
    booking.reason = reason
    booking.late_cancellation = late
    booking._history_user = by
    booking.save()
    by_doctor = booking.doctor.user_id == getattr(by, "pk", None)
    by_site = SiteMembership.objects.filter(user_id=getattr(by, "pk", None), site_id=booking.slot.site_id).exists()
    # Tell everyone concerned but the person who cancelled.
    to = ([] if by_doctor else [booking.doctor.user.email]) + ([] if by_site else site_recipients(booking.slot.site))
    context = {"booking": booking, "reason": reason, "by_doctor": by_doctor, "late_hours": settings.LATE_CANCEL_HOURS}
    enqueue("booking_cancelled", to=to, context=context, dedup_key=f"booking:{booking.pk}:cancelled")
    if late:
        enqueue(
            "booking_late_cancellation",
            to=ars_recipients(booking.zone.department.region_id)
            + ([] if by_site else site_recipients(booking.slot.site)),
            context=context,
            dedup_key=f"booking:{booking.pk}:late-cancellation",
        )
    return booking


def cancel_booking(booking: Booking, *, by, reason: str) -> Booking:
    """The doctor, the site or ARS staff cancel. Close to the day it is a late cancellation (R5), flagged and told
    to the ARS, whether the doctor or the site cancels; ARS staff fixing a problem are not flagged."""
    is_doctor = booking.doctor.user_id == getattr(by, "pk", None)
    require(
        by,
        "booking.cancel",
        booking,
        "Seuls le médecin, le lieu d'accueil et l'équipe ARS peuvent annuler cette réservation.",
    )
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Indiquez le motif de l'annulation : il est communiqué aux autres parties."]})
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.date < timezone.localdate():
            raise RuleViolation(
                "date_in_past", "Cette journée est passée : elle doit être attestée par le lieu, pas annulée."
            )
        late = (is_doctor or not is_ars_staff(by)) and is_late_cancellation(booking)
        return _cancel(booking, by=by, reason=reason.strip(), late=late)


def _check_attestation(attended: bool, consultations: int | None) -> int | None:
    if not attended:
        return None
    if consultations is None or not isinstance(consultations, int) or consultations < 0:
        raise ValidationError({"consultations": ["Indiquez le nombre de consultations réalisées (0 ou plus)."]})
    if consultations > 200:
        raise ValidationError({"consultations": ["Nombre de consultations invraisemblable pour une journée."]})
    return consultations


def attest_booking(booking: Booking, *, by, attended: bool, consultations: int | None = None) -> Booking:
    """After the day, the site attests that the doctor came (with N consultations) or did not."""
    require(by, "booking.attest", booking, SITE_OR_ARS_ONLY)
    consultations = _check_attestation(attended, consultations)
    with transaction.atomic():
        booking = _lock_booking(booking)
        target = Booking.Status.COMPLETED if attended else Booking.Status.NO_SHOW
        if booking.status in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
            raise RuleViolation(
                "invalid_transition",
                "Cette journée est déjà attestée : seule l'équipe ARS peut corriger une attestation.",
            )
        BOOKING_LIFECYCLE.check(booking.status, target)
        if booking.date > timezone.localdate():
            raise RuleViolation("attestation_too_early", "On ne peut attester une journée qu'à partir du jour même.")
        booking.status = target
        booking.consultations = consultations
        booking.attested_at = timezone.now()
        booking.attested_by = by
        booking._history_user = by
        booking.save()
    return booking


def correct_attestation(booking: Booking, *, by, attended: bool, consultations: int | None, reason: str) -> Booking:
    """ARS staff correct an attestation; billing reverses what was already stated (R9)."""
    require(by, "booking.correct", booking, "Seule l'équipe ARS de la région peut corriger une attestation.")
    consultations = _check_attestation(attended, consultations)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Indiquez le motif de la correction : il est conservé dans l'historique."]})
    with transaction.atomic():
        booking = _lock_booking(booking)
        if booking.status not in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
            raise RuleViolation("invalid_transition", "Seule une journée déjà attestée peut être corrigée.")
        previous = booking.status
        target = Booking.Status.COMPLETED if attended else Booking.Status.NO_SHOW
        if target != previous:
            BOOKING_LIFECYCLE.check(previous, target)
        booking.status = target
        booking.consultations = consultations
        booking.corrected_at = timezone.now()
        booking.corrected_by = by
        booking.correction_reason = reason.strip()
        booking._history_user = by
        booking._change_reason = reason.strip()[:100]
        booking.save()
        signals.attestation_corrected.send(sender=Booking, booking=booking, by=by, previous_status=previous)
    return booking


def close_slot(slot: Slot, *, by, reason: str) -> int:
    """The site (or ARS) closes a slot: its active bookings are cancelled with the reason, everyone is told.
    Closer to the day than LATE_CANCEL_HOURS, the same rule as a doctor's cancellation (R5): each booking is a late
    cancellation, flagged, and the ARS is alerted (unless ARS staff closed it themselves)."""
    require_site_manager(by, slot)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Indiquez le motif de la fermeture : il est communiqué aux médecins."]})
    reason = reason.strip()
    with transaction.atomic():
        # Lock order: doctors first (ascending id), then the slot, then the bookings.
        doctor_ids = sorted(
            Booking.objects.filter(slot_id=slot.pk, status__in=ACTIVE).values_list("doctor_id", flat=True)
        )
        list(Doctor.objects.select_for_update().filter(pk__in=doctor_ids).order_by("pk").values_list("pk", flat=True))
        slot = Slot.objects.select_for_update(of=("self",)).select_related("site").get(pk=slot.pk)
        if slot.status == Slot.Status.CLOSED:
            raise RuleViolation("invalid_transition", "Ce créneau est déjà fermé.")
        if slot.date < timezone.localdate():
            raise RuleViolation("date_in_past", "Ce créneau est passé : il ne peut plus être fermé.")
        slot.status = Slot.Status.CLOSED
        slot.closed_at = timezone.now()
        slot.closed_by = by
        slot.closed_reason = reason
        slot._history_user = by
        slot.save()
        bookings = list(
            Booking.objects.select_for_update(of=("self",))
            .filter(slot=slot, status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED])
            .select_related("doctor__user", "slot__site__commune", "zone__department")
        )
        flag_late = not is_ars_staff(by)
        for booking in bookings:
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at = slot.closed_at
            booking.cancelled_by = by
            booking.reason = f"Créneau fermé par le lieu d'accueil : {reason}"
            booking.late_cancellation = flag_late and is_late_cancellation(booking, slot.closed_at)
            booking._history_user = by
            booking.save()
            if booking.late_cancellation:
                enqueue(
                    "booking_late_cancellation",
                    to=ars_recipients(booking.zone.department.region_id),
                    context={
                        "booking": booking,
                        "reason": booking.reason,
                        "by_doctor": False,
                        "late_hours": settings.LATE_CANCEL_HOURS,
                    },
                    dedup_key=f"booking:{booking.pk}:late-cancellation",
                )
        if bookings:
            enqueue(
                "slot_closed",
                to=[b.doctor.user.email for b in bookings],
                context={"slot": slot, "reason": reason},
                dedup_key=f"slot:{slot.pk}:closed",
            )
    return len(bookings)


# --- availability ----------------------------------------------------------------------------------------------


def declare_availability(*, doctor: Doctor, date: date, period: str, by) -> Availability:
    if doctor.user_id != getattr(by, "pk", None):
        raise NotAllowed("Un médecin ne déclare que ses propres disponibilités.")
    if period not in Period.values:
        raise ValidationError({"period": ["Période inconnue : choisissez journée, matin ou après-midi."]})
    check_booking_date(date, timezone.localdate())
    availability, _ = Availability.objects.get_or_create(doctor=doctor, date=date, period=period)
    return availability


def remove_availability(availability: Availability, *, by) -> None:
    if availability.doctor.user_id != getattr(by, "pk", None):
        raise NotAllowed("Un médecin ne retire que ses propres disponibilités.")
    availability.delete()


# --- web space helpers: slot invitations, calendar links ----------------------------------------------------


def offer_slot(*, slot: Slot, doctor: Doctor, by, accept_url: str) -> bool:
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
    if not doctor.zones.filter(pk=slot.zone_id).exists():
        raise RuleViolation("zone_not_covered", "Ce médecin ne couvre pas la zone de ce créneau.")
    if Booking.objects.filter(slot=slot, status__in=ACTIVE).count() >= slot.capacity:
        raise RuleViolation("slot_full", "Ce créneau est complet : toutes ses places sont déjà réservées.")
    with transaction.atomic():
        sent = enqueue(
            "slot_offer",
            to=doctor.user.email,
            context={"slot": slot, "doctor": doctor, "accept_url": accept_url},
            dedup_key=f"slot:{slot.pk}:offer:{doctor.pk}",
        )
    return bool(sent)


def revoke_ical_token(doctor: Doctor, *, by) -> Doctor:
    """A new secret replaces the doctor's calendar token: the old feed URL stops working at once."""
    from missions.models import new_ical_token

    require(by, "doctor.edit", doctor, "Seuls le médecin lui-même et l'équipe ARS peuvent renouveler ce lien.")
    doctor.ical_token = new_ical_token()
    Doctor.objects.filter(pk=doctor.pk).update(ical_token=doctor.ical_token)
    return doctor
