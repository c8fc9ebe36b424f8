"""The reads several callers share: coverage per zone and month, open slots, what each persona sees, who is
available. Numbers first, then the number of queries, which must not grow with the data."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from missions import queries
from missions.models import BookingStatus, DoctorStatus
from sites.models import Slot
from tests import factories as f
from tests.missions.conftest import in_days

pytestmark = pytest.mark.django_db

S = BookingStatus
DEC, JAN, FEB = date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)


def booking_on(zone, day: date, status: str, period: str = "full_day"):
    """A booking written directly (coverage reads any state, past or future)."""
    site = f.HostSiteFactory(zone=zone)
    return f.BookingFactory(
        slot=f.SlotFactory(site=site, date=day, period=period),
        status=status,
        consultations=5 if status == S.COMPLETED else None,
    )


def rows_by_key(rows):
    return {(row.zone.pk, row.month): row for row in rows}


# --- coverage -------------------------------------------------------------------------------------------------------


def test_coverage_counts_days_by_status_with_half_days(zone):
    zone.target_days_per_month = 6
    zone.save()
    booking_on(zone, JAN + timedelta(days=3), S.REQUESTED)
    booking_on(zone, JAN + timedelta(days=4), S.REQUESTED, "morning")
    booking_on(zone, JAN + timedelta(days=5), S.CONFIRMED)
    booking_on(zone, JAN + timedelta(days=6), S.CONFIRMED, "afternoon")
    booking_on(zone, JAN + timedelta(days=6), S.CONFIRMED, "morning")
    booking_on(zone, JAN + timedelta(days=7), S.COMPLETED, "afternoon")
    for status in (S.CANCELLED, S.DECLINED, S.NO_SHOW):
        booking_on(zone, JAN + timedelta(days=8), status)

    (row,) = queries.coverage([JAN], zones=type(zone).objects.filter(pk=zone.pk))
    assert (row.zone, row.month) == (zone, JAN)
    assert row.target_days == Decimal("6")
    assert row.requested_days == Decimal("1.5")
    assert row.confirmed_days == Decimal("2")
    assert row.completed_days == Decimal("0.5")
    assert row.booked_days == Decimal("4")
    assert row.ratio == Decimal("4") / Decimal("6")
    assert all(isinstance(v, Decimal) for v in (row.requested_days, row.confirmed_days, row.completed_days))


def test_coverage_respects_month_boundaries_across_a_year_end(zone):
    booking_on(zone, date(2026, 11, 30), S.CONFIRMED)
    booking_on(zone, date(2026, 12, 1), S.CONFIRMED)
    booking_on(zone, date(2026, 12, 31), S.REQUESTED, "morning")
    booking_on(zone, date(2027, 1, 1), S.COMPLETED)
    booking_on(zone, date(2027, 1, 31), S.COMPLETED, "afternoon")
    booking_on(zone, date(2027, 2, 1), S.REQUESTED)

    # Months given in any order and not on the first day are normalised.
    rows = queries.coverage([date(2027, 1, 15), DEC])
    got = rows_by_key(rows)
    assert [row.month for row in rows] == [DEC, JAN]
    assert (got[zone.pk, DEC].confirmed_days, got[zone.pk, DEC].requested_days) == (Decimal("1"), Decimal("0.5"))
    assert (got[zone.pk, JAN].completed_days, got[zone.pk, JAN].requested_days) == (Decimal("1.5"), Decimal("0"))


def test_coverage_shows_zeros_for_zones_without_bookings(zone):
    quiet = f.ZoneFactory(target_days_per_month=4)
    f.ZoneFactory(active=False)  # not part of the mission any more: left out unless asked for
    booking_on(zone, JAN, S.CONFIRMED)
    got = rows_by_key(queries.coverage([JAN, FEB]))
    assert set(got) == {(zone.pk, JAN), (zone.pk, FEB), (quiet.pk, JAN), (quiet.pk, FEB)}
    for month in (JAN, FEB):
        row = got[quiet.pk, month]
        assert (row.target_days, row.requested_days, row.confirmed_days, row.completed_days) == (
            Decimal("4"),
            Decimal("0"),
            Decimal("0"),
            Decimal("0"),
        )
    assert got[zone.pk, FEB].booked_days == 0
    assert queries.coverage([]) == []


def test_coverage_of_chosen_zones_only(zone):
    other = f.ZoneFactory()
    booking_on(other, JAN, S.CONFIRMED)
    rows = queries.coverage([JAN], zones=type(zone).objects.filter(pk=zone.pk))
    assert [(row.zone, row.confirmed_days) for row in rows] == [(zone, Decimal("0"))]


def populate(zones: int, bookings_per_zone: int) -> None:
    statuses = [S.REQUESTED, S.CONFIRMED, S.COMPLETED, S.CANCELLED]
    for _ in range(zones):
        zone = f.ZoneFactory()
        site = f.HostSiteFactory(zone=zone)
        for i in range(bookings_per_zone):
            slot = f.SlotFactory(site=site, date=DEC + timedelta(days=i * 3), period=["full_day", "morning"][i % 2])
            f.BookingFactory(slot=slot, status=statuses[i % 4], consultations=2 if i % 4 == 2 else None)


@pytest.mark.parametrize(("zones", "bookings"), [(1, 1), (12, 20)])
def test_coverage_runs_two_queries_whatever_the_size(zones, bookings, django_assert_num_queries):
    populate(zones, bookings)
    with django_assert_num_queries(2):
        rows = queries.coverage([DEC, JAN, FEB])
        # Reading what a dashboard shows costs nothing more.
        cells = [(row.zone.name, row.zone.department.code, row.ratio, row.booked_days) for row in rows]
    assert len(cells) == zones * 3


# --- open slots ------------------------------------------------------------------------------------------------------


def test_slots_with_remaining_counts_active_bookings(site):
    slot = f.SlotFactory(site=site, date=in_days(5), capacity=3)
    f.BookingFactory(slot=slot, status=S.REQUESTED)
    f.BookingFactory(slot=slot, status=S.CONFIRMED)
    f.BookingFactory(slot=slot, status=S.CANCELLED)
    f.BookingFactory(slot=slot, status=S.DECLINED)
    full = f.SlotFactory(site=site, date=in_days(6))
    f.BookingFactory(slot=full, status=S.COMPLETED)
    empty = f.SlotFactory(site=site, date=in_days(7), capacity=2)
    got = {s.pk: (s.booked, s.remaining) for s in queries.slots_with_remaining(Slot.objects.filter(site=site))}
    assert got == {slot.pk: (2, 1), full.pk: (1, 0), empty.pk: (0, 2)}


def test_open_slots_lists_bookable_slots_with_room(site, zone):
    room = f.SlotFactory(site=site, date=in_days(3), capacity=2)
    f.BookingFactory(slot=room, status=S.CONFIRMED)
    today_slot = f.SlotFactory(site=site, date=in_days(0), period="afternoon")
    full = f.SlotFactory(site=site, date=in_days(4))
    f.BookingFactory(slot=full, status=S.REQUESTED)
    f.SlotFactory(site=site, date=in_days(-1))  # past
    f.SlotFactory(site=site, date=in_days(8), status=Slot.Status.CLOSED)
    f.SlotFactory(site=f.HostSiteFactory(zone=zone, active=False), date=in_days(3))
    assert [(s.pk, s.remaining) for s in queries.open_slots()] == [(today_slot.pk, 1), (room.pk, 1)]


def test_open_slots_filters(site, zone):
    elsewhere = f.HostSiteFactory()
    morning = f.SlotFactory(site=site, date=in_days(10), period="morning")
    later = f.SlotFactory(site=site, date=in_days(20))
    other = f.SlotFactory(site=elsewhere, date=in_days(10))

    def pks(**filters):
        return [s.pk for s in queries.open_slots(**filters)]

    assert pks(zone=zone) == [morning.pk, later.pk]
    assert pks(zone=elsewhere.zone_id) == [other.pk]
    assert pks(site=elsewhere) == [other.pk]
    assert pks(date_from=in_days(11)) == [later.pk]
    assert pks(date_from=in_days(-30), date_to=in_days(10)) == [morning.pk, other.pk]
    assert pks(period="morning") == [morning.pk]


@pytest.mark.parametrize("count", [1, 25])
def test_open_slots_is_one_query(count, site, django_assert_num_queries):
    for i in range(count):
        slot = f.SlotFactory(site=f.HostSiteFactory(zone=site.zone), date=in_days(1 + i), capacity=2)
        f.BookingFactory(slot=slot)
    with django_assert_num_queries(1):
        listed = [(s.site.name, s.site.commune.name, s.zone.name, s.remaining) for s in queries.open_slots()]
    assert len(listed) == count and {row[3] for row in listed} == {1}


# --- who sees which booking -----------------------------------------------------------------------------------------------


@pytest.fixture
def three_bookings(doctor, other_doctor, site, other_site):
    mine = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(3)))
    theirs_here = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=site, date=in_days(4)))
    theirs_there = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=other_site, date=in_days(5)))
    return {"mine": mine, "theirs_here": theirs_here, "theirs_there": theirs_there}


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("doctor", {"mine"}),
        ("other_doctor", {"theirs_here", "theirs_there"}),
        ("site_member", {"mine", "theirs_here"}),
        ("other_site_member", {"theirs_there"}),
        ("ars_staff", {"mine", "theirs_here", "theirs_there"}),
        ("cpam_agent", {"mine"}),  # the CPAM of `doctor`'s practice department only
        ("nobody", set()),
        ("anonymous", set()),
    ],
)
def test_bookings_visible_to(persona, visible, request, three_bookings, doctor, other_doctor):
    assert doctor.practice_department_id != other_doctor.practice_department_id
    if persona == "anonymous":
        user = AnonymousUser()
    elif persona == "nobody":
        user = f.UserFactory()
    else:
        user = request.getfixturevalue(persona)
        user = getattr(user, "user", user)  # doctors are Doctor objects
    got = set(queries.bookings_visible_to(user).values_list("pk", flat=True))
    assert got == {three_bookings[name].pk for name in visible}


def test_a_doctor_who_is_also_site_staff_sees_both(doctor, other_doctor, site, other_site, three_bookings):
    f.SiteMembershipFactory(user=doctor.user, site=other_site)
    got = set(queries.bookings_visible_to(doctor.user).values_list("pk", flat=True))
    assert got == {three_bookings["mine"].pk, three_bookings["theirs_there"].pk}


# --- available doctors ------------------------------------------------------------------------------------------------------


def test_available_doctors(zone, site):
    day = in_days(12)
    free = f.DoctorFactory(zones=[zone], last_name="Aubert")
    halves = f.DoctorFactory(zones=[zone, f.ZoneFactory()], last_name="Bernard")
    freed = f.DoctorFactory(zones=[zone], last_name="Carpentier")
    booked = f.DoctorFactory(zones=[zone])
    elsewhere = f.DoctorFactory(zones=[f.ZoneFactory()])
    suspended = f.DoctorFactory(zones=[zone], status=DoctorStatus.SUSPENDED)
    other_day = f.DoctorFactory(zones=[zone])
    for doctor in (free, freed, booked, elsewhere, suspended):
        f.AvailabilityFactory(doctor=doctor, date=day)
    f.AvailabilityFactory(doctor=halves, date=day, period="morning")
    f.AvailabilityFactory(doctor=halves, date=day, period="afternoon")
    f.AvailabilityFactory(doctor=other_day, date=day + timedelta(days=1))
    f.BookingFactory(doctor=booked, slot=f.SlotFactory(site=f.HostSiteFactory(), date=day), status=S.CONFIRMED)
    f.BookingFactory(doctor=freed, slot=f.SlotFactory(site=site, date=day), status=S.CANCELLED)

    got = [(a.doctor.last_name, a.period) for a in queries.available_doctors(zone=zone, date=day)]
    assert [name for name, _ in got] == ["Aubert", "Bernard", "Bernard", "Carpentier"]
    assert set(got) == {
        ("Aubert", "full_day"),
        ("Bernard", "morning"),
        ("Bernard", "afternoon"),
        ("Carpentier", "full_day"),
    }
    assert list(queries.available_doctors(zone=zone.pk, date=day)) == list(
        queries.available_doctors(zone=zone, date=day)
    )


@pytest.mark.parametrize("count", [1, 20])
def test_available_doctors_is_one_query(count, zone, django_assert_num_queries):
    day = in_days(9)
    for _ in range(count):
        f.AvailabilityFactory(doctor=f.DoctorFactory(zones=[zone]), date=day)
    with django_assert_num_queries(1):
        names = [(a.doctor.full_name, a.get_period_display()) for a in queries.available_doctors(zone=zone, date=day)]
    assert len(names) == count
