"""What billing does when missions tells it something (missions never imports billing: it sends signals).

Every receiver runs inside the sender's transaction and send notices (billing.notices) with dedup keys, so a retried
transition enqueues nothing twice.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from billing.models import Cpam, StatementExport
from billing.notices import DoctorValidatedCdom, DoctorValidatedCpam, FirstBookingCpam
from billing.queries import cpam_of_department
from billing.services import lock_for_correction, refresh_drafts_after_correction
from missions.doctor_file import cdom_decision_url
from missions.models import Booking, CdomStatus, Doctor
from missions.pack import CpamContact
from missions.signals import (
    attestation_corrected,
    attestation_correction_starting,
    booking_confirmed,
    doctor_validated,
    site_cpam_contacts,
)

logger = logging.getLogger(__name__)


@receiver(doctor_validated, dispatch_uid="billing.doctor_validated")
def tell_cdom_and_cpam(sender, doctor: Doctor, by, **kwargs) -> None:
    """A validated volunteer: their CDOM authorises the activity (asked again, with its one-step link, when it has
    not answered the request sent at registration), their CPAM de rattachement issues the number."""
    doctor = Doctor.objects.select_related("practice_commune", "practice_department", "cdom_department").get(
        pk=doctor.pk
    )
    cdom = doctor.cdom_department  # the CDOM the doctor is registered with: that of the main practice by default
    if doctor.cdom_status != CdomStatus.PENDING:
        pass  # the CDOM already answered through the link it received at registration: nothing to ask again
    elif cdom.cdom_email:
        DoctorValidatedCdom(doctor, cdom, cdom_decision_url(doctor)).send()
    else:
        logger.warning("No CDOM e-mail for department %s: doctor %s validated unannounced", cdom.code, doctor.pk)
    cpam = cpam_of_department(doctor.practice_department_id)
    if cpam is None:
        logger.warning("No CPAM for department %s: doctor %s awaits a CPAM", doctor.practice_department.code, doctor.pk)
        return
    DoctorValidatedCpam(doctor, cpam).send()


@receiver(booking_confirmed, dispatch_uid="billing.booking_confirmed")
def tell_site_cpam_of_a_first_booking(sender, booking: Booking, by, **kwargs) -> None:
    """A doctor's first confirmed booking at a host site: the site's CPAM learns who will bill there, from when."""
    booking = Booking.objects.select_related(
        "doctor__practice_department", "slot__site__commune", "slot__site__zone"
    ).get(pk=booking.pk)
    site = booking.slot.site
    earlier = (
        Booking.objects.filter(doctor_id=booking.doctor_id, slot__site_id=site.pk, confirmed_at__isnull=False)
        .exclude(pk=booking.pk)
        .exists()
    )
    if earlier:
        return
    cpam = cpam_of_department(site.commune.department_id)
    if cpam is None:
        logger.warning("No CPAM for department of site %s: first booking %s unannounced", site.pk, booking.pk)
        return
    FirstBookingCpam(booking, cpam, home_cpam=cpam_of_department(booking.doctor.practice_department_id)).send()


@receiver(site_cpam_contacts, dispatch_uid="billing.site_cpam_contacts")
def cpam_contacts(sender, department_ids: list[int], **kwargs) -> dict[int, CpamContact]:
    """The practical pack's « CPAM du lieu »: the CPAM of each department, in one query."""
    return {
        cpam.department_id: CpamContact(name=cpam.name, phone=cpam.phone, email=cpam.email, address=cpam.address)
        for cpam in Cpam.objects.filter(department_id__in=department_ids)
    }


@receiver(post_delete, sender=StatementExport, dispatch_uid="billing.statement_export_file")
def delete_export_file(sender, instance: StatementExport, **kwargs) -> None:
    """A prepared file goes with its job (a draft regenerated to nothing is deleted, and its jobs with it), once
    the deletion is committed."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@receiver(attestation_correction_starting, dispatch_uid="billing.attestation_correction_starting")
def lock_before_correction(sender, booking: Booking, by, by_site: bool, **kwargs) -> None:
    """The paying CPAM locked before the booking (the order generation and issue follow); a site's correction of
    a day already on an issued statement refused."""
    lock_for_correction(booking, by_site=by_site)


@receiver(attestation_corrected, dispatch_uid="billing.attestation_corrected")
def refresh_drafts(sender, booking: Booking, by, **kwargs) -> None:
    """The drafts that state the day, generated again: what the ARS issues is the corrected day."""
    refresh_drafts_after_correction(booking)
