"""The messages billing sends (notifications.notices): one class per kind, its recipients, context and dedup key.

- `StatementIssued`: an ARS agent issued a statement (billing.lifecycles, act « issue »): its CPAM can pay it.
- `StatementReady`: the monthly job drafted a statement (billing.jobs): its CPAM can check it.
- `DoctorValidatedCdom`, `DoctorValidatedCpam`: a volunteer was validated (billing.receivers): the CDOM authorises
  the activity, the CPAM de rattachement issues the dedicated billing number.
- `BillingNumberRecorded`: the CPAM recorded a doctor's dedicated number (billing.services): the doctor learns it.
- `FirstBookingCpam`: a doctor's first confirmed booking at a host site (billing.receivers): the site's CPAM learns
  who will bill there.

The dedup keys are those the messages were enqueued with before the notices existed: changing one would send a
message again for an act already told.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from billing.models import Cpam, Statement, month_label
from billing.queries import cpam_recipients
from config.site_url import site_url
from missions.models import Booking, Doctor
from notifications.notices import Notice
from sites.models import Department


def statement_url(statement: Statement) -> str:
    """The statement's page, as a CPAM agent opens it from a message."""
    return site_url() + reverse("billing:statement_detail", args=[statement.pk])


@dataclass
class _StatementNotice(Notice):
    """A message to the statement's CPAM (its dedicated address and its agents), with a link to the statement."""

    statement: Statement

    def recipients(self) -> list[str]:
        return cpam_recipients(self.statement.cpam)

    def context(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "cpam": self.statement.cpam,
            "month_label": month_label(self.statement.month),
            "url": statement_url(self.statement),
        }


@dataclass
class StatementIssued(_StatementNotice):
    kind = "statement_issued"

    def dedup_key(self) -> str:
        return f"statement:{self.statement.pk}:issued"


@dataclass
class StatementReady(_StatementNotice):
    kind = "statement_ready"

    def dedup_key(self) -> str:
        return f"statement:{self.statement.pk}:ready"


@dataclass
class DoctorValidatedCdom(Notice):
    """To the CDOM the doctor is registered with (`department`): authorise the activity."""

    kind = "doctor_validated_cdom"
    secret = True  # its link records the CDOM's answer without an account
    doctor: Doctor
    department: Department
    signed_decision_url: str = ""

    def recipients(self) -> list[str]:
        return [self.department.cdom_email]

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "department": self.department, "signed_decision_url": self.signed_decision_url}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:validated-cdom"


@dataclass
class DoctorValidatedCpam(Notice):
    """To the doctor's CPAM de rattachement: issue the dedicated billing number."""

    kind = "doctor_validated_cpam"
    doctor: Doctor
    cpam: Cpam

    def recipients(self) -> list[str]:
        return cpam_recipients(self.cpam)

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "cpam": self.cpam, "url": site_url() + reverse("billing:billing_numbers")}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:validated-cpam"


@dataclass
class BillingNumberRecorded(Notice):
    """To the doctor: the dedicated number their CPAM de rattachement (`cpam`, None when the department has none)
    recorded. A corrected number is told again (the key names the number)."""

    kind = "billing_number_recorded"
    doctor: Doctor
    cpam: Cpam | None

    def recipients(self) -> list[str]:
        return [self.doctor.user.email]

    def context(self) -> dict[str, Any]:
        return {"doctor": self.doctor, "cpam": self.cpam}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:billing-number:{self.doctor.billing_number}"


@dataclass
class FirstBookingCpam(Notice):
    """To the CPAM of the host site (`cpam`): a doctor will bill there from the booking's date. `home_cpam` is the
    doctor's CPAM de rattachement (None when the department has none)."""

    kind = "first_booking_cpam"
    booking: Booking
    cpam: Cpam
    home_cpam: Cpam | None

    def recipients(self) -> list[str]:
        return cpam_recipients(self.cpam)

    def context(self) -> dict[str, Any]:
        return {
            "doctor": self.booking.doctor,
            "booking": self.booking,
            "site": self.booking.slot.site,
            "cpam": self.cpam,
            "home_cpam": self.home_cpam,
        }

    def dedup_key(self) -> str:
        return f"doctor:{self.booking.doctor_id}:site:{self.booking.slot.site_id}:first-booking"
