"""Signals other apps listen to, sent synchronously inside the service's transaction.

They let `billing` react (CPAM and CDOM notifications) without `missions` depending on it.
"""

from django.dispatch import Signal

doctor_validated = Signal()  # kwargs: doctor, by
booking_confirmed = Signal()  # kwargs: booking, by
attestation_corrected = Signal()  # kwargs: booking, by, previous_status

# Asked, not told: « the CPAM contact of these departments? » (kwargs: department_ids). A receiver answers
# {department_id: missions.pack.CpamContact}; billing does (billing.receivers). The practical pack reads it.
site_cpam_contacts = Signal()
