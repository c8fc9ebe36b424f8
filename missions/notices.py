"""The messages of the mission's doctors, bookings and slots: one `Notice` per kind (notifications.notices).

Each says who receives it, what its templates read and its dedup key. The keys are the strings the outbox already
holds (a message sent before this module existed still guards against its second sending): never reword one.
Lifecycle acts send most of them through their `tells` (missions.lifecycles); jobs and a few services call
`.send()` in the transaction that claims or changes what they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from directory.check import check as rpps_check
from missions.models import Booking, Doctor
from missions.pack import practical_pack
from notifications.notices import Notice
from sites.models import Region, SiteMembership, Slot

# --- recipients ----------------------------------------------------------------------------------------------


def ars_recipients(region_id: int) -> list[str]:
    """The ARS staff of a region, or the ARS contact address when nobody is assigned yet."""
    emails = list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, ars_memberships__region_id=region_id)
        .values_list("email", flat=True)
    )
    return emails or [settings.ARS_CONTACT_EMAIL]


def site_recipients(site, member_emails: list[str] | None = None) -> list[str]:
    """The site's active members and its contact address. Every booking asks: one statement written once (#20),
    or none when the caller already read the members' addresses (`member_emails`: the booking's locked read of
    the slot says them on PostgreSQL, missions.locks)."""
    if member_emails is None:
        member_emails = [email for (email,) in _site_member_emails(site.pk)]
    emails = list(member_emails)
    if site.contact_email:
        emails.append(site.contact_email)
    return emails


def _site_member_emails(site_id: int) -> list[tuple[str]]:
    qn = connection.ops.quote_name
    membership, user = SiteMembership._meta, get_user_model()._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.{qn('email')} FROM {qn(membership.db_table)} m "
            f"JOIN {qn(user.db_table)} u ON u.{qn('id')} = m.{qn('user_id')} "
            f"WHERE m.{qn('site_id')} = %s AND u.{qn('is_active')}",
            [site_id],
        )
        return cursor.fetchall()


def _region_of(booking: Booking) -> int:
    return booking.zone.department.region_id


# --- doctors ---------------------------------------------------------------------------------------------------


@dataclass
class DoctorNotice(Notice):
    """To the doctor, about their file."""

    doctor: Doctor

    def recipients(self) -> list[str]:
        return [self.doctor.user.email]

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor}


@dataclass
class DoctorRegistered(DoctorNotice):
    kind = "doctor_registered"
    zones: list = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "zones": self.zones}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:registered"


@dataclass
class DoctorRegisteredArs(DoctorRegistered):
    """To the ARS: the new application, with what the RPPS directory says of it (found or not, doctor or not,
    name and specialty). The applicant is told nothing of the directory (missions.services.register_doctor)."""

    kind = "doctor_registered_ars"

    def context(self) -> dict[str, Any]:
        return {**super().context(), "rpps_check": rpps_check(self.doctor)}

    def recipients(self) -> list[str]:
        return ars_recipients(self.doctor.practice_commune.department.region_id)

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:registered-ars"


@dataclass
class DoctorValidated(DoctorNotice):
    kind = "doctor_validated"

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:validated"


@dataclass
class DoctorRejected(DoctorNotice):
    kind = "doctor_rejected"

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "reason": self.doctor.status_reason}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:rejected"


@dataclass
class DoctorSuspended(DoctorNotice):
    """A doctor may be suspended more than once: the key names this suspension."""

    kind = "doctor_suspended"

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "reason": self.doctor.status_reason}

    def dedup_key(self) -> str:
        changed = self.doctor.status_changed_at
        assert changed is not None, "the act stamps status_changed_at before it tells"
        return f"doctor:{self.doctor.pk}:suspended:{changed.isoformat()}"


@dataclass
class DoctorReinstated(DoctorNotice):
    kind = "doctor_reinstated"

    def dedup_key(self) -> str:
        changed = self.doctor.status_changed_at
        assert changed is not None, "the act stamps status_changed_at before it tells"
        return f"doctor:{self.doctor.pk}:reinstated:{changed.isoformat()}"


@dataclass
class CpsFollowup(DoctorNotice):
    """About three weeks after validation, when no new CPS card is recorded (missions.jobs)."""

    kind = "cps_followup"
    days_since: int = 0

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "days_since": self.days_since, "ars_contact_email": settings.ARS_CONTACT_EMAIL}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:cps-followup"


@dataclass
class CpsFollowupArs(CpsFollowup):
    kind = "cps_followup_ars"

    def recipients(self) -> list[str]:
        return ars_recipients(self.doctor.practice_department.region_id)

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:cps-followup-ars"


# --- bookings --------------------------------------------------------------------------------------------------


@dataclass
class BookingNotice(Notice):
    """To the doctor, about one of their bookings."""

    booking: Booking

    def recipients(self) -> list[str]:
        return [self.booking.doctor.user.email]

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking}


@dataclass
class BookingRequested(BookingNotice):
    kind = "booking_requested"
    new_key = True  # sent by the transaction that creates the booking
    # The site's active members' addresses when the booking's own reads already hold them (missions.locks).
    site_member_emails: list[str] | None = None

    def recipients(self) -> list[str]:
        return site_recipients(self.booking.slot.site, self.site_member_emails)

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "doctor": self.booking.doctor, "slot": self.booking.slot}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:requested"


@dataclass
class BookingConfirmed(BookingNotice):
    """To the doctor, with the practical pack of the day (missions.pack)."""

    kind = "booking_confirmed"

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "pack": practical_pack(self.booking.slot.site)}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:confirmed"


@dataclass
class BookingDeclined(BookingNotice):
    kind = "booking_declined"

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "reason": self.booking.reason}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:declined"


@dataclass
class BookingCancelled(BookingNotice):
    """To everyone concerned but the person who cancelled. Not sent for the bookings of a closed slot: their
    doctors receive one `SlotClosed` instead."""

    kind = "booking_cancelled"
    by: Any = None

    @classmethod
    def from_transition(cls, transition) -> BookingCancelled:
        return cls(transition.obj, by=transition.by)

    @classmethod
    def on_transition(cls, transition) -> int:
        if transition.context.get("slot_closed"):
            return 0
        return super().on_transition(transition)

    @property
    def by_doctor(self) -> bool:
        return self.booking.doctor.user_id == getattr(self.by, "pk", None)

    @property
    def by_site(self) -> bool:
        user_id = getattr(self.by, "pk", None)
        return (
            user_id is not None
            and SiteMembership.objects.filter(user_id=user_id, site_id=self.booking.slot.site_id).exists()
        )

    def recipients(self) -> list[str]:
        doctor = [] if self.by_doctor else [self.booking.doctor.user.email]
        return doctor + ([] if self.by_site else site_recipients(self.booking.slot.site))

    def context(self) -> dict[str, Any]:
        return {
            "booking": self.booking,
            "reason": self.booking.reason,
            "by_doctor": self.by_doctor,
            "late_hours": settings.LATE_CANCEL_HOURS,
        }

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:cancelled"


@dataclass
class BookingLateCancellation(BookingCancelled):
    """R5: a cancellation flagged late alerts the ARS staff of the region (and the site, unless it cancelled)."""

    kind = "booking_late_cancellation"

    @classmethod
    def on_transition(cls, transition) -> int:
        if not transition.obj.late_cancellation:
            return 0
        return cls.from_transition(transition).send()

    def recipients(self) -> list[str]:
        return ars_recipients(_region_of(self.booking)) + (
            [] if self.by_site else site_recipients(self.booking.slot.site)
        )

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:late-cancellation"


@dataclass
class BookingReminderDoctor(BookingNotice):
    """A day reminder (missions.jobs): `days_ahead` names the reminder (7 or 1), `days_before` is the real count."""

    kind = "booking_reminder_doctor"
    days_ahead: int = 1
    days_before: int = 1

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "days_before": self.days_before}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:reminder-d{self.days_ahead}:doctor"


@dataclass
class BookingReminderSite(BookingReminderDoctor):
    kind = "booking_reminder_site"

    def recipients(self) -> list[str]:
        return site_recipients(self.booking.slot.site)

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:reminder-d{self.days_ahead}:site"


@dataclass
class BookingConfirmReminder(BookingNotice):
    """R6: the site is asked to answer, once a day (the key names the day)."""

    kind = "booking_confirm_reminder"
    today: date | None = None
    days_before: int = 0

    def recipients(self) -> list[str]:
        return site_recipients(self.booking.slot.site)

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "days_before": self.days_before}

    def dedup_key(self) -> str:
        assert self.today is not None, "the job names the day of the reminder"
        return f"booking:{self.booking.pk}:confirm-reminder:{self.today.isoformat()}"


@dataclass
class BookingUnconfirmedAlert(BookingNotice):
    """R6: the day before, the ARS staff of the region are alerted, once."""

    kind = "booking_unconfirmed_alert"
    days_before: int = 0

    def recipients(self) -> list[str]:
        return ars_recipients(_region_of(self.booking))

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "days_before": self.days_before}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:unconfirmed-alert"


@dataclass
class AttestationReminder(BookingNotice):
    kind = "attestation_reminder"

    def recipients(self) -> list[str]:
        return site_recipients(self.booking.slot.site)

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:attest-reminder"


@dataclass
class AttestationOverdue(BookingNotice):
    kind = "attestation_overdue"
    days_since: int = 0

    def recipients(self) -> list[str]:
        return ars_recipients(_region_of(self.booking))

    def context(self) -> dict[str, Any]:
        return {"booking": self.booking, "days_since": self.days_since}

    def dedup_key(self) -> str:
        return f"booking:{self.booking.pk}:attest-overdue"


# --- slots -----------------------------------------------------------------------------------------------------


@dataclass
class SlotClosed(Notice):
    """To the doctors whose bookings the closure cancelled: one message each, whatever the number of bookings."""

    kind = "slot_closed"
    slot: Slot
    doctors: list[str]

    def recipients(self) -> list[str]:
        return self.doctors

    def context(self) -> dict[str, Any]:
        return {"slot": self.slot, "reason": self.slot.closed_reason}

    def dedup_key(self) -> str:
        return f"slot:{self.slot.pk}:closed"


@dataclass
class SlotOfferNotice(Notice):
    """« Proposer ce créneau »: the link books the slot for the doctor in one step, so it is a secret."""

    kind = "slot_offer"
    secret = True
    slot: Slot
    doctor: Doctor
    accept_url: str

    def recipients(self) -> list[str]:
        return [self.doctor.user.email]

    def context(self) -> dict[str, Any]:
        return {"slot": self.slot, "doctor": self.doctor, "accept_url": self.accept_url}

    def dedup_key(self) -> str:
        return f"slot:{self.slot.pk}:offer:{self.doctor.pk}"


# --- the weekly digest -----------------------------------------------------------------------------------------


@dataclass
class CoverageDigest(Notice):
    """One per region and ISO week (the key is the job's claim: notifications.jobs.enqueue_once)."""

    kind = "coverage_digest"
    region: Region
    year: int
    week: int
    details: dict[str, Any] = field(default_factory=dict)

    def recipients(self) -> list[str]:
        return ars_recipients(self.region.pk)

    def context(self) -> dict[str, Any]:
        return {"region": self.region, "week": self.week, **self.details}

    def dedup_key(self) -> str:
        return f"digest:region:{self.region.pk}:{self.year}-W{self.week:02d}"


# --- the volunteer's file (issue #15) --------------------------------------------------------------------------


def _doctor_region(doctor: Doctor) -> int:
    return doctor.practice_department.region_id


@dataclass
class CdomAuthorisationRequest(Notice):
    """To the CDOM the doctor is registered with, at registration: its link records « autorisé » or « refusé :
    motif » in one step, without an account — so it is a secret."""

    kind = "cdom_authorisation_request"
    secret = True
    doctor: Doctor
    signed_decision_url: str
    link_days: int

    def recipients(self) -> list[str]:
        return [self.doctor.cdom_department.cdom_email]

    def context(self) -> dict[str, Any]:
        return {
            "doctor": self.doctor,
            "department": self.doctor.cdom_department,
            "signed_decision_url": self.signed_decision_url,
            "link_days": self.link_days,
        }

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:cdom-request"


@dataclass
class CdomDecided(DoctorNotice):
    """To the doctor: the CDOM's answer (a refusal may be followed by an authorisation: one message each)."""

    kind = "cdom_decided"

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "ars_contact_email": settings.ARS_CONTACT_EMAIL}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:cdom:{self.doctor.cdom_status}"


@dataclass
class CdomDecidedArs(CdomDecided):
    kind = "cdom_decided_ars"

    def recipients(self) -> list[str]:
        return ars_recipients(_doctor_region(self.doctor))

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:cdom-ars:{self.doctor.cdom_status}"


@dataclass
class DoctorFileChangedArs(Notice):
    """To the ARS staff of the doctor's region: the doctor changed their sector or their zones (`changes`: French
    lines « Secteur : 1 → 2 »). `version` names the change (the history row's id): one message per change."""

    kind = "doctor_file_changed_ars"
    doctor: Doctor
    changes: list[str]
    version: int

    def recipients(self) -> list[str]:
        return ars_recipients(_doctor_region(self.doctor))

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "changes": self.changes}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:file-changed:{self.version}"
