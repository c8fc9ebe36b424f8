"""Signals other apps listen to, sent synchronously inside the service's transaction.

They let `billing` react (CPAM and CDOM notifications) without `missions` depending on it.
"""

from django.dispatch import Signal

doctor_validated = Signal()  # kwargs: doctor, by
booking_confirmed = Signal()  # kwargs: booking, by
attestation_corrected = Signal()  # kwargs: booking, by, previous_status

# Sent by missions.services.correct_attestation before it locks the booking (kwargs: booking, by, by_site). Billing
# locks the paying CPAM's row there — the lock statement generation and issue take first — and refuses a site's
# correction of a day already on an issued statement (RuleViolation): a correction then either lands before a
# generation or issue, or waits for it and is judged against what it wrote.
attestation_correction_starting = Signal()

# Asked, not told: « the CPAM contact of these departments? » (kwargs: department_ids). A receiver answers
# {department_id: missions.pack.CpamContact}; billing does (billing.receivers). The practical pack reads it.
site_cpam_contacts = Signal()
