"""The small pure checks of the booking rules (the lifecycles are acts: missions.lifecycles)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from core.errors import Code, RuleViolation
from sites.identifiers import validate_rpps
from sites.models import Period, Zone
from sites.rules import check_horizon

PARIS = ZoneInfo("Europe/Paris")

# When a period starts, in Paris local time: the reference for late cancellations (R5) and calendars.
PERIOD_HOURS: dict[str, tuple[time, time]] = {  # keyed by Period (a str)
    Period.FULL_DAY: (time(8, 0), time(18, 0)),
    Period.MORNING: (time(8, 0), time(12, 30)),
    Period.AFTERNOON: (time(13, 30), time(18, 0)),
}


def period_start(day: date, period: str) -> datetime:
    return datetime.combine(day, PERIOD_HOURS[period][0], tzinfo=PARIS)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the calendar month of `day`."""
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def check_booking_date(day: date, today: date) -> None:
    """R4: not in the past, not beyond the horizon (the rule sites.rules holds for slots and bookings alike)."""
    check_horizon(day, today, past="Ce créneau est passé : il ne peut plus être réservé.", beyond="réserver")


def check_availability_date(day: date, today: date) -> None:
    """An availability is declared for a day to come, within the horizon in which it could be booked."""
    check_horizon(
        day,
        today,
        past="Cette date est passée : déclarez une disponibilité à venir.",
        beyond="déclarer une disponibilité",
    )


def check_monthly_cap(already: Decimal, adding: Decimal, day: date) -> None:
    """R1: at most MAX_DAYS_PER_MONTH days per calendar month, a half-day counting 0.5."""
    cap = settings.MAX_DAYS_PER_MONTH
    if already + adding > cap:
        raise RuleViolation(
            "monthly_cap_reached",
            f"Vous avez déjà {format_days(already)} réservé{plural_s(already)} en {MONTHS_FR[day.month - 1]} {day.year} : "
            f"la mission est limitée à {format_days(cap)} par mois.",
        )


MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def plural_s(count: int | Decimal) -> str:
    """The « s » of a French plural: from 2 on (« 0 ligne », « 1,5 jour », « 2 jours »)."""
    return "s" if count >= 2 else ""


def format_days(days: Decimal) -> str:
    """1 → « 1 jour », 1.5 → « 1,5 jour », 2 → « 2 jours » (French usage: plural from 2)."""
    days = Decimal(days).normalize()
    text = f"{days:f}".replace(".", ",")
    return f"{text} jour{plural_s(days)}"


# Where a doctor adds a zone to their file (the doctor's own page, URL name `missions:doctor_file`).
DOCTOR_FILE_PATH = "/medecin/mon-dossier/"


def check_zone_covered(covered: bool, zone: Zone, *, acting_doctor: bool) -> None:
    """One zone rule: a doctor works only in the zones they declared (booking, invitations, one-click offers).

    `covered`: does the doctor's file declare `zone` (read by the caller, under the doctor's lock when booking).
    `acting_doctor`: the doctor acts themselves (they are told how to add the zone); otherwise a site or ARS staff
    act on their behalf and are told the doctor does not cover it. R10 (a doctor's own practice zone) is a
    warning, not this refusal: a doctor who declared the zone of their own practice books there, flagged."""
    if covered:
        return
    if acting_doctor:
        message = (
            f"La zone « {zone.name} » ne fait pas partie des zones que vous avez déclarées : vous ne pouvez "
            f"réserver que dans vos zones. Ajoutez-la depuis votre dossier ({DOCTOR_FILE_PATH}, « Ajouter une "
            "zone »), puis réservez ce créneau."
        )
    else:
        message = (
            f"Ce médecin n'a pas déclaré la zone « {zone.name} » : il ne peut y être invité ni y réserver. "
            "Il peut l'ajouter depuis son dossier."
        )
    raise RuleViolation(Code.ZONE_NOT_COVERED, message)


@dataclass(frozen=True)
class Replacement:
    """Who replaces the doctor at their main practice on a mission day, under a CNOM derogation."""

    name: str
    rpps: str
    derogation_requested_on: date

    @classmethod
    def parse(cls, name: str | None, rpps: str | None, derogation_requested_on: date | None) -> "Replacement | None":
        """The three fields as typed (web form, API): None when all are empty; each one checked, with a French
        message under its own name (the field names of Booking)."""
        name, rpps = (name or "").strip(), (rpps or "").strip().replace(" ", "")
        if not name and not rpps and derogation_requested_on is None:
            return None
        errors: dict[str, list[str]] = {}
        if not name:
            errors["replacement_name"] = ["Indiquez le nom et le prénom de votre remplaçant."]
        elif len(name) > 200:
            errors["replacement_name"] = ["Le nom du remplaçant ne peut pas dépasser 200 caractères."]
        if not rpps:
            errors["replacement_rpps"] = ["Indiquez le numéro RPPS de votre remplaçant."]
        else:
            try:
                validate_rpps(rpps)
            except ValidationError as exc:
                errors["replacement_rpps"] = [f"Remplaçant : {message}" for message in exc.messages]
        if derogation_requested_on is None:
            errors["derogation_requested_on"] = ["Indiquez la date de votre demande de dérogation au CNOM."]
        if errors:
            raise ValidationError(errors)
        assert derogation_requested_on is not None
        return cls(name=name, rpps=rpps, derogation_requested_on=derogation_requested_on)


def check_replacement(declared: bool, replacement: Replacement | None, *, doctor_rpps: str, today: date) -> None:
    """Replacement per mission day: a doctor who declared being replaced at their main practice names, for each
    booking, the remplaçant and the date of the CNOM derogation request; one who did not declare it names none."""
    if declared and replacement is None:
        raise RuleViolation(
            Code.REPLACEMENT_REQUIRED,
            "Vous avez déclaré être remplacé(e) à votre cabinet pendant vos missions : pour cette journée, indiquez "
            "le nom et le numéro RPPS de votre remplaçant, et la date de votre demande de dérogation au CNOM.",
        )
    if not declared and replacement is not None:
        raise RuleViolation(
            Code.REPLACEMENT_NOT_DECLARED,
            "Votre dossier ne déclare pas de remplacement à votre cabinet : déclarez-le d'abord depuis votre "
            f"dossier ({DOCTOR_FILE_PATH}), ou réservez sans indiquer de remplaçant.",
        )
    if replacement is None:
        return
    errors: dict[str, list[str]] = {}
    if replacement.rpps == doctor_rpps:
        errors["replacement_rpps"] = ["Le numéro RPPS du remplaçant est le vôtre : indiquez celui de votre remplaçant."]
    if replacement.derogation_requested_on > today:
        errors["derogation_requested_on"] = [
            "La date de la demande de dérogation ne peut pas être dans le futur : indiquez le jour où vous l'avez "
            "adressée au CNOM."
        ]
    if errors:
        raise ValidationError(errors)


def is_late(day: date, period: str, now: datetime) -> bool:
    """R5: a doctor may cancel up to LATE_CANCEL_HOURS before the period starts; any later is late (exactly
    LATE_CANCEL_HOURS before is still in time).

    Counted in real hours (in UTC): subtracting hours from a Paris wall-clock time is off by one across a
    daylight-saving change."""
    return now > period_start(day, period).astimezone(UTC) - timedelta(hours=settings.LATE_CANCEL_HOURS)
