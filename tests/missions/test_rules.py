"""The lifecycles (every from → to pair, through the services) and rules R1–R5 and R10 of DESIGN.md §3.

R6 (reminders for unconfirmed bookings) is a background job: it is tested with the jobs, not here.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
import time_machine
from django.utils import timezone

from core.errors import RuleViolation
from missions import services
from missions.lifecycles import BOOKING, DOCTOR
from missions.models import Booking, BookingStatus, Doctor, DoctorStatus
from missions.rules import PARIS, is_late, period_start
from sites.models import Period
from tests import factories as f
from tests.missions.conftest import book, in_days, month_ahead, today

pytestmark = pytest.mark.django_db

FULL, MORNING, AFTERNOON = Period.FULL_DAY, Period.MORNING, Period.AFTERNOON


def refused(code: str, call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message and caught.value.message != code
    return caught.value


# --- the doctor lifecycle ------------------------------------------------------------------------------------

# Each service moves a doctor from exactly these states to its target; every other state is refused.
DOCTOR_SERVICES = {
    "validate": (DoctorStatus.VALIDATED, {DoctorStatus.SUBMITTED}),
    "reinstate": (DoctorStatus.VALIDATED, {DoctorStatus.SUSPENDED}),
    "reject": (DoctorStatus.REJECTED, {DoctorStatus.SUBMITTED}),
    "suspend": (DoctorStatus.SUSPENDED, {DoctorStatus.VALIDATED}),
    "withdraw": (
        DoctorStatus.WITHDRAWN,
        {DoctorStatus.SUBMITTED, DoctorStatus.VALIDATED, DoctorStatus.SUSPENDED, DoctorStatus.REJECTED},
    ),
}


def run_doctor_service(name: str, doctor: Doctor, by) -> Doctor:
    if name == "validate":
        return services.validate_doctor(doctor, by=by)
    if name == "reinstate":
        return services.reinstate_doctor(doctor, by=by)
    if name == "reject":
        return services.reject_doctor(doctor, by=by, reason="Pièces justificatives incomplètes")
    if name == "suspend":
        return services.suspend_doctor(doctor, by=by, reason="Vérification en cours")
    return services.withdraw_doctor(doctor, by=by, reason="Départ à la retraite")


def test_doctor_services_cover_exactly_the_declared_lifecycle():
    declared = {(src, dst) for src in DoctorStatus.values for dst in DOCTOR.successors(src)}
    served = {(src, dst) for dst, sources in DOCTOR_SERVICES.values() for src in sources}
    assert served == declared


@pytest.mark.parametrize(
    ("service", "start"), list(product(DOCTOR_SERVICES, DoctorStatus.values)), ids=lambda v: str(v)
)
def test_doctor_transition(service, start, ars_staff, zone):
    target, sources = DOCTOR_SERVICES[service]
    doctor = f.DoctorFactory(status=start, zones=[zone])
    history_before = doctor.history.count()
    if start in sources:
        moved = run_doctor_service(service, doctor, ars_staff)
        doctor.refresh_from_db()
        assert doctor.status == moved.status == target
        assert doctor.status_changed_by == ars_staff
        assert doctor.history.count() == history_before + 1
    else:
        refused("invalid_transition", run_doctor_service, service, doctor, ars_staff)
        doctor.refresh_from_db()
        assert doctor.status == start
        assert doctor.status_changed_by is None
        assert doctor.history.count() == history_before


# --- the booking lifecycle -----------------------------------------------------------------------------------

S = BookingStatus
ATTESTED = {S.COMPLETED, S.NO_SHOW}

# Each service, the target it moves a booking to, and the states it accepts. A correction that keeps the status
# (completed → completed with another consultations count) is an edit, not a transition: listed apart.
BOOKING_SERVICES = {
    "confirm": (S.CONFIRMED, {S.REQUESTED}),
    "decline": (S.DECLINED, {S.REQUESTED}),
    "cancel": (S.CANCELLED, {S.REQUESTED, S.CONFIRMED}),
    "attest_completed": (S.COMPLETED, {S.CONFIRMED}),
    "attest_no_show": (S.NO_SHOW, {S.CONFIRMED}),
    "correct_to_completed": (S.COMPLETED, {S.NO_SHOW}),
    "correct_to_no_show": (S.NO_SHOW, {S.COMPLETED}),
}
SAME_STATUS_EDITS = {("correct_to_completed", S.COMPLETED), ("correct_to_no_show", S.NO_SHOW)}


def run_booking_service(name: str, booking: Booking, site_member, ars_staff) -> Booking:
    if name == "confirm":
        return services.confirm_booking(booking, by=site_member)
    if name == "decline":
        return services.decline_booking(booking, by=site_member, reason="Locaux indisponibles")
    if name == "cancel":
        return services.cancel_booking(booking, by=site_member, reason="Fermeture exceptionnelle")
    if name == "attest_completed":
        return services.attest_booking(booking, by=site_member, attended=True, consultations=14)
    if name == "attest_no_show":
        return services.attest_booking(booking, by=site_member, attended=False)
    attended = name == "correct_to_completed"
    return services.correct_attestation(
        booking, by=ars_staff, attended=attended, consultations=9 if attended else None, reason="Erreur de saisie"
    )


def test_booking_services_cover_exactly_the_declared_lifecycle():
    declared = {(src, dst) for src in S.values for dst in BOOKING.successors(src)}
    served = {(src, dst) for dst, sources in BOOKING_SERVICES.values() for src in sources}
    assert served == declared


@pytest.mark.parametrize(("service", "start"), list(product(BOOKING_SERVICES, S.values)), ids=lambda v: str(v))
def test_booking_transition(service, start, site, site_member, ars_staff):
    # Today: a day that may still be cancelled and may already be attested, so only the lifecycle decides.
    target, sources = BOOKING_SERVICES[service]
    slot = f.SlotFactory(site=site, date=today())
    booking = f.BookingFactory(slot=slot, status=start, consultations=3 if start == S.COMPLETED else None)
    history_before = booking.history.count()
    if start in sources or (service, start) in SAME_STATUS_EDITS:
        moved = run_booking_service(service, booking, site_member, ars_staff)
        booking.refresh_from_db()
        assert booking.status == moved.status == target
        assert booking.history.count() == history_before + 1
    else:
        refused("invalid_transition", run_booking_service, service, booking, site_member, ars_staff)
        booking.refresh_from_db()
        assert booking.status == start
        assert booking.history.count() == history_before


def test_closing_a_closed_slot_is_an_invalid_transition(slot, site_member):
    services.close_slot(slot, by=site_member, reason="Travaux")
    refused("invalid_transition", services.close_slot, slot, by=site_member, reason="Travaux")


# --- R1: at most MAX_DAYS_PER_MONTH days per calendar month -----------------------------------------------------


def slots_in(site, month, periods):
    """One slot per period, each on its own day of `month` (R2 allows one booking per date)."""
    return [f.SlotFactory(site=site, date=month + timedelta(days=i), period=p) for i, p in enumerate(periods)]


@pytest.mark.parametrize(
    "periods",
    [[FULL, FULL], [FULL, MORNING, AFTERNOON], [MORNING, AFTERNOON, MORNING, AFTERNOON]],
    ids=["2 full days", "1 full + 2 halves", "4 halves"],
)
def test_r1_two_days_a_month_then_cap_reached(periods, doctor, site, month):
    for slot in slots_in(site, month, periods):
        book(doctor, slot)
    assert services.month_days_booked(doctor.pk, month) == Decimal("2")
    for period in (FULL, MORNING):
        extra = f.SlotFactory(site=site, date=month + timedelta(days=20), period=period)
        error = refused("monthly_cap_reached", book, doctor, extra)
        assert "Vous avez déjà 2 jours réservés en" in error.message
    assert Booking.objects.filter(doctor=doctor).count() == len(periods)


def test_r1_one_and_a_half_days_leave_room_for_a_half_day_only(doctor, site, month):
    for slot in slots_in(site, month, [FULL, MORNING]):
        book(doctor, slot)
    error = refused("monthly_cap_reached", book, doctor, f.SlotFactory(site=site, date=month + timedelta(days=10)))
    assert "Vous avez déjà 1,5 jour réservé en" in error.message  # French: singular below 2
    book(doctor, f.SlotFactory(site=site, date=month + timedelta(days=10), period=AFTERNOON))
    assert services.month_days_booked(doctor.pk, month) == Decimal("2")


def test_r1_bookings_in_other_months_do_not_count(doctor, site):
    this, following = month_ahead(1), month_ahead(2)
    for slot in slots_in(site, this, [FULL, FULL]):
        book(doctor, slot)
    # The last day of the month before and the first day of the month after are other months.
    book(doctor, f.SlotFactory(site=site, date=following))
    book(doctor, f.SlotFactory(site=site, date=this - timedelta(days=1)))
    assert services.month_days_booked(doctor.pk, this) == Decimal("2")
    assert services.month_days_booked(doctor.pk, following) == Decimal("1")


@pytest.mark.parametrize("status", [S.CANCELLED, S.DECLINED, S.NO_SHOW])
def test_r1_inactive_bookings_do_not_count(status, doctor, site, month):
    for day in range(3):
        f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=month + timedelta(days=day)), status=status)
    for slot in slots_in(site, month + timedelta(days=5), [FULL, FULL]):
        book(doctor, slot)


@pytest.mark.parametrize("status", [S.REQUESTED, S.CONFIRMED, S.COMPLETED])
def test_r1_active_bookings_count(status, doctor, site, month):
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=month), status=status)
    book(doctor, f.SlotFactory(site=site, date=month + timedelta(days=1)))
    refused("monthly_cap_reached", book, doctor, f.SlotFactory(site=site, date=month + timedelta(days=2)))


def test_r1_cap_is_a_setting(settings, doctor, site, month):
    settings.MAX_DAYS_PER_MONTH = Decimal("3")
    for slot in slots_in(site, month, [FULL, FULL, FULL]):
        book(doctor, slot)
    refused(
        "monthly_cap_reached", book, doctor, f.SlotFactory(site=site, date=month + timedelta(days=9), period=MORNING)
    )


# --- R2: one active booking per doctor and date ------------------------------------------------------------------


def test_r2_one_booking_a_day_even_for_two_half_days(doctor, site, other_site, month):
    book(doctor, f.SlotFactory(site=site, date=month, period=MORNING))
    for other in (
        f.SlotFactory(site=other_site, date=month, period=AFTERNOON),
        f.SlotFactory(site=other_site, date=month, period=FULL),
    ):
        refused("already_booked_that_day", book, doctor, other)
    assert Booking.objects.filter(doctor=doctor).count() == 1


def test_r2_a_cancelled_booking_frees_the_day(doctor, site, other_site, month):
    first = book(doctor, f.SlotFactory(site=site, date=month))
    services.cancel_booking(first, by=doctor.user, reason="Empêchement")
    again = book(doctor, f.SlotFactory(site=other_site, date=month))
    assert again.status == S.REQUESTED


def test_r2_booking_the_same_slot_twice_is_refused(doctor, site, month):
    slot = f.SlotFactory(site=site, date=month, capacity=3)
    book(doctor, slot)
    refused("already_booked_that_day", book, doctor, slot)


# --- R3: never more active bookings than the slot's capacity --------------------------------------------------------


def test_r3_capacity(site, zone, month):
    slot = f.SlotFactory(site=site, date=month, capacity=2)
    first, second, third = (f.DoctorFactory(zones=[zone]) for _ in range(3))
    book(first, slot)
    taken = book(second, slot)
    refused("slot_full", book, third, slot)
    services.cancel_booking(taken, by=second.user, reason="Empêchement")
    assert book(third, slot).status == S.REQUESTED
    assert Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE_STATUSES).count() == 2


@pytest.mark.parametrize("status", [S.CONFIRMED, S.COMPLETED])
def test_r3_confirmed_and_completed_bookings_hold_their_place(status, doctor, site, month):
    slot = f.SlotFactory(site=site, date=month)
    f.BookingFactory(slot=slot, status=status)
    refused("slot_full", book, doctor, slot)


def test_closed_slot_and_inactive_site_cannot_be_booked(doctor, site, month, site_member):
    closed = f.SlotFactory(site=site, date=month)
    services.close_slot(closed, by=site_member, reason="Travaux")
    refused("slot_closed", book, doctor, closed)
    inactive = f.SlotFactory(site=f.HostSiteFactory(active=False), date=month)
    refused("slot_closed", book, doctor, inactive)


# --- R4: validated doctors only; not in the past; not beyond the horizon ----------------------------------------------


@pytest.mark.parametrize("status", [DoctorStatus.SUBMITTED, DoctorStatus.SUSPENDED, DoctorStatus.REJECTED, "withdrawn"])
def test_r4_only_validated_doctors_book(status, site, zone, month):
    doctor = f.DoctorFactory(status=status, zones=[zone])
    refused("doctor_not_validated", book, doctor, f.SlotFactory(site=site, date=month))
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("days", "code"),
    [(-1, "date_in_past"), (0, None), (1, None), (180, None), (181, "beyond_horizon")],
    ids=["yesterday", "today", "tomorrow", "horizon", "horizon+1"],
)
def test_r4_dates(days, code, doctor, site):
    slot = f.SlotFactory(site=site, date=in_days(days))
    if code:
        refused(code, book, doctor, slot)
    else:
        assert book(doctor, slot).date == in_days(days)


def test_r4_horizon_is_a_setting(settings, doctor, site):
    settings.BOOKING_HORIZON_DAYS = 10
    book(doctor, f.SlotFactory(site=site, date=in_days(10)))
    error = refused("beyond_horizon", book, doctor, f.SlotFactory(site=site, date=in_days(11)))
    assert "10 jours" in error.message


# --- R5: late cancellation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [FULL, MORNING, AFTERNOON])
def test_r5_boundary_is_late_cancel_hours_before_the_period_starts(period, settings):
    day = in_days(30)
    start = period_start(day, period)
    assert start.tzinfo is PARIS and start.date() == day
    limit = start.astimezone(UTC) - timedelta(hours=48)  # real hours, as timezone.now() counts them
    assert not is_late(day, period, limit - timedelta(seconds=1))
    assert not is_late(day, period, limit)  # « up to 48 hours before »: exactly 48 hours before is still in time
    assert is_late(day, period, limit + timedelta(seconds=1))
    assert is_late(day, period, start + timedelta(hours=2))
    settings.LATE_CANCEL_HOURS = 72
    assert is_late(day, period, limit - timedelta(hours=1))


def test_r5_boundary_is_computed_in_paris_time_across_daylight_saving():
    # 30 March 2025: clocks go forward in Paris. 48 real hours before 08:00 (06:00 UTC) on Monday 31 is 06:00 UTC,
    # 07:00 in Paris, on Saturday 29 (not 08:00: that would be 49 hours).
    day = date(2025, 3, 31)
    assert period_start(day, FULL).utcoffset() == timedelta(hours=2)
    limit = datetime(2025, 3, 29, 6, 0, tzinfo=UTC)
    assert not is_late(day, FULL, limit)
    assert is_late(day, FULL, limit + timedelta(minutes=1))
    assert is_late(day, FULL, datetime(2025, 3, 29, 7, 30, tzinfo=PARIS))
    # 26 October 2025: clocks go back; 48 real hours before 08:00 (07:00 UTC) on Tuesday 28 is 07:00 UTC on 26.
    assert not is_late(date(2025, 10, 28), FULL, datetime(2025, 10, 26, 7, 0, tzinfo=UTC))
    assert is_late(date(2025, 10, 28), FULL, datetime(2025, 10, 26, 7, 1, tzinfo=UTC))


def test_r5_is_late_cancellation_takes_now(doctor, site):
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(20), period=AFTERNOON))
    start = period_start(booking.date, AFTERNOON).astimezone(UTC)
    assert not services.is_late_cancellation(booking, now=start - timedelta(hours=48))
    assert services.is_late_cancellation(booking, now=start - timedelta(hours=47, minutes=59))
    assert services.is_late_cancellation(booking) is False


def test_r5_doctor_cancelling_the_day_before_is_late(doctor, site):
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(1)))
    assert services.is_late_cancellation(booking)
    cancelled = services.cancel_booking(booking, by=doctor.user, reason="Malade")
    assert cancelled.late_cancellation is True


def test_r5_doctor_cancelling_in_time_is_not_late(doctor, site):
    # Three days ahead, 08:00, is at least 56 hours away whatever the time today.
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(3)))
    assert services.cancel_booking(booking, by=doctor.user, reason="Empêchement").late_cancellation is False


def test_r5_late_cancel_hours_is_a_setting(settings, doctor, site):
    settings.LATE_CANCEL_HOURS = 24 * 10
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(5)))
    assert services.cancel_booking(booking, by=doctor.user, reason="Empêchement").late_cancellation is True


@pytest.mark.parametrize(("who", "late"), [("site_member", True), ("ars_staff", False)])
def test_r5_the_site_cancels_late_like_the_doctor_ars_staff_fixing_do_not(who, late, request, doctor, site):
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(1)))
    by = request.getfixturevalue(who)
    assert services.cancel_booking(booking, by=by, reason="Fermeture").late_cancellation is late


def test_r5_a_site_closing_its_slot_on_the_day_cancels_late_and_alerts_the_ars(doctor, site, site_member, ars_staff):
    from notifications.models import Message

    slot = f.SlotFactory(site=site, date=in_days(5), period=AFTERNOON)
    booking = book(doctor, slot)
    with time_machine.travel(period_start(slot.date, "morning"), tick=False):  # the day itself, in the morning
        assert services.close_slot(slot, by=site_member, reason="Dégât des eaux") == 1
    booking.refresh_from_db()
    assert (booking.status, booking.late_cancellation) == (S.CANCELLED, True)
    alert = Message.objects.get(kind="booking_late_cancellation")
    assert alert.recipient == ars_staff.email
    told = Message.objects.get(kind="slot_closed")
    assert told.recipient == doctor.user.email


def test_r5_a_site_closing_its_slot_in_time_is_not_late(doctor, site, site_member, ars_staff):
    from notifications.models import Message

    slot = f.SlotFactory(site=site, date=in_days(5))
    booking = book(doctor, slot)
    services.close_slot(slot, by=site_member, reason="Travaux prévus")
    booking.refresh_from_db()
    assert (booking.status, booking.late_cancellation) == (S.CANCELLED, False)
    assert not Message.objects.filter(kind="booking_late_cancellation").exists()


def test_r5_a_past_day_cannot_be_cancelled(doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-1)), status=S.CONFIRMED)
    refused("date_in_past", services.cancel_booking, booking, by=doctor.user, reason="Oubli")


# --- R10: booking in one's own zone is allowed and flagged ----------------------------------------------------------


def test_r10_booking_in_the_zone_of_ones_own_practice_is_flagged(site, zone, month):
    epci = f.EpciFactory(siren=zone.siren)
    local = f.DoctorFactory(practice_commune=f.CommuneFactory(epci=epci), zones=[zone])
    booking = book(local, f.SlotFactory(site=site, date=month))
    assert booking.in_own_zone is True
    assert Booking.objects.get(pk=booking.pk).in_own_zone is True


def test_r10_booking_elsewhere_is_not_flagged(doctor, site, month):
    assert doctor.practice_commune.epci.siren != site.zone.siren
    assert book(doctor, f.SlotFactory(site=site, date=month)).in_own_zone is False


def test_r10_practice_without_epci_is_not_flagged(site, zone, month):
    doctor = f.DoctorFactory(practice_commune=f.CommuneFactory(epci=None), zones=[zone])
    assert book(doctor, f.SlotFactory(site=site, date=month)).in_own_zone is False


def test_dates_are_paris_dates():
    assert timezone.localdate() == timezone.now().astimezone(PARIS).date() == today()
