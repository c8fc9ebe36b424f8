"""One way to say no: a RuleViolation carries a stable code (clients branch on it) and a French message.

Every code a refusal may carry is a member of `Code`: the API documents them (409 `{"code", "detail"}`) and a
test fails when code raises one that is not here.
"""

from enum import StrEnum


class Code(StrEnum):
    # booking rules (DESIGN §3)
    SLOT_FULL = "slot_full"
    MONTHLY_CAP_REACHED = "monthly_cap_reached"
    ALREADY_BOOKED_THAT_DAY = "already_booked_that_day"
    DOCTOR_NOT_VALIDATED = "doctor_not_validated"
    DATE_IN_PAST = "date_in_past"
    BEYOND_HORIZON = "beyond_horizon"
    ZONE_NOT_COVERED = "zone_not_covered"
    # doctors: the RPPS directory disagrees with the application (directory.check), so validating needs a reason
    RPPS_MISMATCH_REASON_REQUIRED = "rpps_mismatch_reason_required"
    # lifecycles
    INVALID_TRANSITION = "invalid_transition"
    ATTESTATION_TOO_EARLY = "attestation_too_early"
    # slots and sites
    SLOT_CLOSED = "slot_closed"
    SLOT_EXISTS = "slot_exists"
    SITE_INACTIVE = "site_inactive"
    # accounts
    ACCOUNT_CLOSED = "account_closed"
    NOT_ALLOWED = "not_allowed"
    # API plumbing
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # billing (CPAM statements)
    STATEMENT_ISSUED = "statement_issued"
    ATTESTATION_STATED = "attestation_stated"  # a site corrects a day already on an issued statement
    MONTH_NOT_OVER = "month_not_over"
    MONTH_IN_FUTURE = "month_in_future"
    NO_FLAT_RATE = "no_flat_rate"
    EXPORT_NOT_READY = "export_not_ready"  # a statement's XLSX/PDF still being prepared
    EXPORT_OUTDATED = "export_outdated"  # prepared before the statement changed: never served
    # the volunteer's file (issue #15)
    INSURANCE_MISSING = "insurance_missing"
    CDOM_REFUSED = "cdom_refused"
    # the mission day (issue 15: replacement at the main practice, per booking)
    REPLACEMENT_REQUIRED = "replacement_required"
    REPLACEMENT_NOT_DECLARED = "replacement_not_declared"


class RuleViolation(Exception):
    """A business rule said no. `code` is stable (clients branch on it); `message` is French, for a person."""

    def __init__(self, code: Code | str, message: str):
        super().__init__(message)
        self.code = Code(code)  # an unknown code is a programming error, caught by the first test that raises it
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAllowed(RuleViolation):
    """The person acting may never do this (a role problem, not a state problem)."""

    def __init__(self, message: str = "Vous n'êtes pas autorisé à effectuer cette action."):
        super().__init__(Code.NOT_ALLOWED, message)
