"""Background jobs on bookings and doctors: day reminders, confirmation reminders and alerts (R6), attestation
reminders and escalation, the CPS-card follow-up, the weekly coverage digest for ARS staff.

Each job is `run_<job>(now=None, dry_run=False) -> JobReport`: one query finds the candidates, then each one is
claimed by a conditional UPDATE on its own « sent at » column and its messages are enqueued in the same
transaction (notifications.jobs.claim_and_enqueue). Running a job twice, or twice at once, sends nothing twice.
Dates are local dates in Europe/Paris; `now` is injectable (tests, `run_job --date`).
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from core.words import counted
from missions import notices
from missions.coverage import dashboard_window, refresh
from missions.doctor_regions import check_doctor_regions
from missions.models import Booking, Doctor
from missions.queries import coverage
from missions.rules import MONTHS_FR, PARIS, format_days
from notifications.jobs import JobReport, claim_and_enqueue, enqueue_once, finish
from notifications.outbox import deferred_relay
from sites.models import Region

REQUESTED = Booking.Status.REQUESTED
CONFIRMED = Booking.Status.CONFIRMED
UPCOMING = (REQUESTED, CONFIRMED)  # the statuses a day reminder is for; anything else makes it moot
CPS_FOLLOWUP_DAYS = 21  # the CPS card usually arrives about three weeks after validation
ATTEST_ESCALATION_DAYS = 7
DIGEST_WEEKS = 4


def start_of(day: date) -> datetime:
    """Midnight at the start of `day`, in Paris."""
    return datetime.combine(day, time.min, tzinfo=PARIS)


def _bookings():
    return Booking.objects.select_related("doctor__user", "slot__site", "zone__department").order_by("date", "pk")


def _line(booking: Booking, what: str) -> str:
    return f"{what} : Dr {booking.doctor.full_name}, {booking.slot.site.name}, {booking.date:%d/%m/%Y}"


def _region_id(booking: Booking) -> int:
    return booking.zone.department.region_id


def booking_days_before(booking: Booking, today: date) -> int:
    return (booking.date - today).days


# --- D-7 and D-1 -----------------------------------------------------------------------------------------------


def run_reminders(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """Reminders of an upcoming day, 7 days and 1 day before, to the doctor and (once confirmed) to the site.

    D-1: the bookings of tomorrow made before today. D-7: the bookings of the day 7 days ahead made before that
    D-7 — or 2 to 6 days ahead when the reminder was missed (workers down), with the same condition: a booking
    made 4 days ahead gets no « J-7 ». An unconfirmed booking's site gets the confirmation reminders instead.
    Moot: cancelled or declined bookings, doctors no longer validated.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = JobReport("Rappels J-7 et J-1", dry_run=dry_run)
    due_d7 = Q()
    for days in range(2, 8):
        day = today + timedelta(days=days)
        due_d7 |= Q(date=day, requested_at__lt=start_of(day - timedelta(days=7)))
    due_d1 = Q(date=today + timedelta(days=1), requested_at__lt=start_of(today))
    upcoming = _bookings().filter(status__in=UPCOMING, doctor__status=Doctor.Status.VALIDATED)
    with deferred_relay():
        for days_before, column, due in ((7, "reminder_d7_sent_at", due_d7), (1, "reminder_d1_sent_at", due_d1)):
            for booking in upcoming.filter(due, **{f"{column}__isnull": True}):
                when = {"days_ahead": days_before, "days_before": booking_days_before(booking, today)}
                outgoing = [notices.BookingReminderDoctor(booking, **when)]
                if booking.status == CONFIRMED:
                    outgoing.append(notices.BookingReminderSite(booking, **when))
                claim = Booking.objects.filter(pk=booking.pk, status__in=UPCOMING, **{f"{column}__isnull": True})
                claim_and_enqueue(report, claim, {column: now}, outgoing, _line(booking, f"J-{days_before}"))
    return finish(report)


# --- R6: unconfirmed bookings ----------------------------------------------------------------------------------


def run_confirmation_reminders(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """R6: a booking the site has not confirmed `CONFIRM_REMINDER_DAYS` before the day.

    The site is reminded every morning from then until it answers (at most once a day); the day before (or on the
    day, if that run was missed) the ARS staff of the region are alerted, once. A booking made today waits until
    tomorrow: the site has just been told. Moot: confirmed, declined or cancelled bookings, days past, doctors no
    longer validated.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    midnight = start_of(today)
    report = JobReport("Relances des réservations non confirmées", dry_run=dry_run)
    unconfirmed = _bookings().filter(
        status=REQUESTED, doctor__status=Doctor.Status.VALIDATED, requested_at__lt=midnight
    )
    not_today = Q(confirm_reminder_sent_at__isnull=True) | Q(confirm_reminder_sent_at__lt=midnight)
    window = (today + timedelta(days=1), today + timedelta(days=settings.CONFIRM_REMINDER_DAYS))
    with deferred_relay():
        for booking in unconfirmed.filter(not_today, date__range=window):
            outgoing = notices.BookingConfirmReminder(
                booking, today=today, days_before=booking_days_before(booking, today)
            )
            claim = Booking.objects.filter(not_today, pk=booking.pk, status=REQUESTED)
            claim_and_enqueue(
                report, claim, {"confirm_reminder_sent_at": now}, [outgoing], _line(booking, "Relance au lieu")
            )
        for booking in unconfirmed.filter(date__range=(today, today + timedelta(days=1)), confirm_alert_sent_at=None):
            alert = notices.BookingUnconfirmedAlert(booking, days_before=booking_days_before(booking, today))
            claim = Booking.objects.filter(pk=booking.pk, status=REQUESTED, confirm_alert_sent_at=None)
            claim_and_enqueue(report, claim, {"confirm_alert_sent_at": now}, [alert], _line(booking, "Alerte ARS"))
    return finish(report)


# --- attestations ------------------------------------------------------------------------------------------------


def run_attestation_reminders(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """After a confirmed day, the site is asked once to attest it; 7 days after the day, ARS staff are alerted.

    Moot: a day already attested (completed or no-show), or cancelled.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = JobReport("Relances des attestations", dry_run=dry_run)
    to_attest = _bookings().filter(status=CONFIRMED)
    overdue_since = today - timedelta(days=ATTEST_ESCALATION_DAYS)
    with deferred_relay():
        for booking in to_attest.filter(date__lt=today, attest_reminder_sent_at=None):
            outgoing = notices.AttestationReminder(booking)
            claim = Booking.objects.filter(pk=booking.pk, status=CONFIRMED, attest_reminder_sent_at=None)
            claim_and_enqueue(
                report, claim, {"attest_reminder_sent_at": now}, [outgoing], _line(booking, "Attestation à faire")
            )
        for booking in to_attest.filter(date__lte=overdue_since, attest_escalated_at=None):
            overdue = notices.AttestationOverdue(booking, days_since=(today - booking.date).days)
            claim = Booking.objects.filter(pk=booking.pk, status=CONFIRMED, attest_escalated_at=None)
            claim_and_enqueue(
                report, claim, {"attest_escalated_at": now}, [overdue], _line(booking, "Attestation en retard (ARS)")
            )
    return finish(report)


# --- CPS card ----------------------------------------------------------------------------------------------------


def run_cps_followup(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """21 days after validation, when no CPS card receipt is recorded: ask the doctor, tell the ARS staff. Once.

    Moot: the card's receipt is recorded, or the doctor is no longer validated (suspended, withdrawn).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = JobReport("Suivi de la carte CPS", dry_run=dry_run)
    validated_before = start_of(today - timedelta(days=CPS_FOLLOWUP_DAYS - 1))  # validated on day D-21 or earlier
    waiting = Q(status=Doctor.Status.VALIDATED, cps_card_received_on=None, cps_followup_sent_at=None)
    doctors = (
        Doctor.objects.filter(waiting, validated_at__lt=validated_before)
        .select_related("user", "practice_department")
        .order_by("validated_at", "pk")
    )
    with deferred_relay():
        for doctor in doctors:
            days_since = (today - timezone.localdate(doctor.validated_at)).days
            outgoing = [
                notices.CpsFollowup(doctor, days_since=days_since),
                notices.CpsFollowupArs(doctor, days_since=days_since),
            ]
            claim = Doctor.objects.filter(waiting, pk=doctor.pk)
            claim_and_enqueue(report, claim, {"cps_followup_sent_at": now}, outgoing, f"Dr {doctor.full_name}")
    return finish(report)


# --- weekly digest -----------------------------------------------------------------------------------------------


def month_label(month: date) -> str:
    return f"{MONTHS_FR[month.month - 1]} {month.year}"


def run_coverage_digest(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """The Monday digest for the ARS staff of each region: zones under target in the months of the next 4 weeks,
    applications awaiting validation, bookings still unconfirmed within `CONFIRM_REMINDER_DAYS`.

    One per region and ISO week (the dedup key is the claim). A constant number of queries per region.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = JobReport("Synthèse hebdomadaire de la couverture", dry_run=dry_run)
    last_day = today + timedelta(weeks=DIGEST_WEEKS, days=-1)
    months = sorted({today.replace(day=1), last_day.replace(day=1)})
    under_target: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in coverage(months):
        if row.booked_days < row.target_days:
            under_target[row.zone.department.region_id].append(
                {
                    "zone": row.zone,
                    "month": month_label(row.month),
                    "booked": format_days(row.booked_days),
                    "target": format_days(row.target_days),
                    "missing": format_days(row.target_days - row.booked_days),
                }
            )
    pending = dict(
        Doctor.objects.filter(status=Doctor.Status.SUBMITTED)
        .values_list("practice_department__region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    unconfirmed = defaultdict(list)
    for booking in _bookings().filter(
        status=REQUESTED, date__range=(today, today + timedelta(days=settings.CONFIRM_REMINDER_DAYS))
    ):
        unconfirmed[_region_id(booking)].append(booking)
    year, week, _ = today.isocalendar()
    regions = Region.objects.filter(departments__zones__active=True).distinct().order_by("code")
    with deferred_relay():
        for region in regions:
            details = {
                "monday": today - timedelta(days=today.weekday()),
                "until": last_day,
                "under_target": under_target.get(region.pk, []),
                "zones_under_target": len({row["zone"].pk for row in under_target.get(region.pk, [])}),
                "pending_validations": pending.get(region.pk, 0),
                "unconfirmed": unconfirmed.get(region.pk, []),
                "confirm_reminder_days": settings.CONFIRM_REMINDER_DAYS,
            }
            outgoing = notices.CoverageDigest(region, year=year, week=week, details=details)
            enqueue_once(report, outgoing, f"{region.name} (semaine {week})")
    return finish(report)


# --- retention --------------------------------------------------------------------------------------------------


def run_retention(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """Forget what has served its purpose (README « Tâches de fond »): the recorded first responses of idempotent
    requests after IDEMPOTENCY_RETENTION_DAYS; the bodies of sent messages after OUTBOX_SENT_BODY_RETENTION_DAYS
    (subject, recipient, dates and dedup key stay: the dedup key keeps guarding against a second send), and sent
    messages themselves after OUTBOX_SENT_RETENTION_DAYS. Pending and failed messages are kept. Deleting what is
    already gone does nothing: running it twice, or twice at once, is harmless."""
    from api.models import IdempotentRequest
    from notifications.models import Message

    now = now or timezone.now()
    report = JobReport("Purge des données échues", dry_run=dry_run)
    sent = Message.objects.filter(status=Message.Status.SENT)
    idempotent = IdempotentRequest.objects.filter(
        created_at__lt=now - timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    )
    old_sent = sent.filter(sent_at__lt=now - timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS))
    bodies = sent.filter(sent_at__lt=now - timedelta(days=settings.OUTBOX_SENT_BODY_RETENTION_DAYS)).filter(
        ~Q(body_text="") | ~Q(body_html="")
    )
    if dry_run:
        counts = (idempotent.count(), old_sent.count(), bodies.exclude(pk__in=old_sent.values("pk")).count())
    else:
        counts = (
            idempotent.delete()[0],
            old_sent.delete()[0],
            bodies.update(body_text="", body_html=""),
        )
    labels = (
        f"{{count}} requête(s) idempotente(s) de plus de {settings.IDEMPOTENCY_RETENTION_DAYS} jours supprimée(s)",
        f"{{count}} message(s) envoyé(s) il y a plus de {settings.OUTBOX_SENT_RETENTION_DAYS} jours supprimé(s)",
        f"{{count}} message(s) envoyé(s) il y a plus de {settings.OUTBOX_SENT_BODY_RETENTION_DAYS} jours vidé(s) "
        "de leur texte",
    )
    for count, label in zip(counts, labels, strict=True):
        report.claimed += count
        report.lines.append(counted(label, count))
    return finish(report)


# --- the dashboard's precomputed coverage (missions.coverage) -----------------------------------------------------


def run_coverage_refresh(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """Recount the coverage of every active zone in the months the ARS dashboard shows (six past, six ahead) and
    write it (missions.coverage.refresh). Idempotent: a run writes the recount of that moment over the last one."""
    now = now or timezone.now()
    months = dashboard_window(timezone.localdate(now))
    report = JobReport("Couverture des zones (tableau de bord ARS)", dry_run=dry_run)
    if not dry_run:
        report.claimed = refresh(months, now=now)
    report.lines.append(
        counted("{count} couverture(s) zone × mois recalculée(s)", report.claimed)
        + f", de {months[0]:%m/%Y} à {months[-1]:%m/%Y}"
    )
    return finish(report)


# --- the doctors' regions (missions.doctor_regions) ---------------------------------------------------------------


def run_doctor_regions_check(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """Compare the doctors' regions (what ARS staff see of doctors) with their rule recomputed from scratch; repair
    and log every drift (one means a door missions.doctor_regions does not know: a bug to find). Idempotent."""
    report = JobReport("Régions des médecins (contrôle)", dry_run=dry_run)
    drift = check_doctor_regions(repair=not dry_run)
    report.claimed = len(drift.missing) + len(drift.extra)
    report.lines.append(
        counted("{count} rattachement(s) médecin × région manquant(s), ", len(drift.missing))
        + f"{len(drift.extra)} en trop"
        + (counted(" : réparé(s)", report.claimed) if drift and not dry_run else "")
    )
    return finish(report)
