"""Publishing slots: one, many (with skips), recurring dates; who may publish; what is refused."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import NotAllowed, RuleViolation
from missions import services as missions
from sites.models import Slot
from sites.services import publish_slot, publish_slots, recurring_dates
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def in_days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def refused(code: str, call, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(**kwargs)
    assert caught.value.code == code
    assert caught.value.message
    return caught.value


# --- publish_slot -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["site_member", "ars_staff"])
def test_publish_slot(who, request, site):
    by = request.getfixturevalue(who)
    slot = publish_slot(site=site, date=in_days(7), period="morning", note="Salle 2", by=by)
    slot.refresh_from_db()
    assert (slot.site, slot.zone, slot.date, slot.period, slot.capacity, slot.note) == (
        site,
        site.zone,
        in_days(7),
        "morning",
        1,
        "Salle 2",
    )
    assert (slot.status, slot.created_by) == (Slot.Status.OPEN, by)
    assert slot.history.get().history_user == by


@pytest.mark.parametrize("who", ["other_site_member", "doctor", "cpam_agent"])
def test_only_the_sites_members_and_ars_publish(who, request, site):
    by = request.getfixturevalue(who)
    by = getattr(by, "user", by)
    with pytest.raises(NotAllowed):
        publish_slot(site=site, date=in_days(7), period="full_day", by=by)
    with pytest.raises(NotAllowed):
        publish_slots(site=site, dates=[in_days(7)], period="full_day", by=by)
    assert not Slot.objects.exists()


@pytest.mark.parametrize(
    ("days", "code"),
    [(-1, "date_in_past"), (0, None), (180, None), (181, "beyond_horizon")],
    ids=["yesterday", "today", "horizon", "horizon+1"],
)
def test_publish_slot_dates(days, code, site, site_member):
    if code:
        refused(code, publish_slot, site=site, date=in_days(days), period="full_day", by=site_member)
        assert not Slot.objects.exists()
    else:
        assert publish_slot(site=site, date=in_days(days), period="full_day", by=site_member).pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"capacity": 0}, "capacity"), ({"capacity": -2}, "capacity"), ({"capacity": 21}, "capacity")]
    + [({"capacity": "2"}, "capacity"), ({"period": "soir"}, "period")],
)
def test_publish_slot_input_errors(kwargs, field, site, site_member):
    with pytest.raises(ValidationError) as caught:
        publish_slot(site=site, date=in_days(3), **{"period": "full_day", **kwargs}, by=site_member)
    assert field in caught.value.message_dict


def test_capacity_of_several_places(site, site_member):
    assert publish_slot(site=site, date=in_days(3), period="full_day", capacity=20, by=site_member).capacity == 20


def test_one_open_slot_per_site_date_and_period(site, site_member):
    first = publish_slot(site=site, date=in_days(5), period="morning", by=site_member)
    error = refused("slot_exists", publish_slot, site=site, date=in_days(5), period="morning", by=site_member)
    assert "matin" in error.message
    publish_slot(site=site, date=in_days(5), period="afternoon", by=site_member)
    missions.close_slot(first, by=site_member, reason="Erreur de saisie")
    again = publish_slot(site=site, date=in_days(5), period="morning", by=site_member)
    assert again.pk != first.pk


def test_an_inactive_site_publishes_nothing(zone, ars_staff):
    closed = f.HostSiteFactory(zone=zone, active=False)
    refused("site_inactive", publish_slot, site=closed, date=in_days(5), period="morning", by=ars_staff)
    refused("site_inactive", publish_slots, site=closed, dates=[in_days(5)], period="morning", by=ars_staff)


# --- publish_slots ------------------------------------------------------------------------------------------------------


def test_publish_slots_skips_dates_already_open(site, site_member):
    taken = publish_slot(site=site, date=in_days(8), period="full_day", by=site_member)
    publish_slot(site=site, date=in_days(9), period="morning", by=site_member)  # another period: no clash
    dates = [in_days(9), in_days(8), in_days(10), in_days(10)]
    result = publish_slots(site=site, dates=dates, period="full_day", capacity=2, note="Cabinet 1", by=site_member)
    assert result.skipped == [in_days(8)]
    assert [s.date for s in result.created] == [in_days(9), in_days(10)]
    for slot in Slot.objects.filter(pk__in=[s.pk for s in result.created]):
        assert (slot.period, slot.capacity, slot.note, slot.created_by, slot.zone) == (
            "full_day",
            2,
            "Cabinet 1",
            site_member,
            site.zone,
        )
        assert slot.history.get().history_user == site_member
    assert Slot.objects.filter(site=site, period="full_day").count() == 3
    assert taken.pk not in {s.pk for s in result.created}


def test_publish_slots_is_all_or_nothing_on_a_bad_date(site, site_member):
    refused(
        "date_in_past", publish_slots, site=site, dates=[in_days(3), in_days(-2)], period="full_day", by=site_member
    )
    with pytest.raises(ValidationError):
        publish_slots(site=site, dates=[in_days(3)], period="full_day", capacity=0, by=site_member)
    assert not Slot.objects.exists()


def test_publish_slots_nothing_to_do(site, site_member):
    result = publish_slots(site=site, dates=[], period="full_day", by=site_member)
    assert (result.created, result.skipped) == ([], [])


@pytest.mark.parametrize("count", [1, 40])
def test_publish_slots_query_count_does_not_grow_with_the_dates(count, site, site_member):
    dates = [in_days(1 + i) for i in range(count)]
    with CaptureQueriesContext(connection) as captured:
        result = publish_slots(site=site, dates=dates, period="afternoon", by=site_member)
    assert len(result.created) == count
    assert len(captured.captured_queries) <= 8


# --- recurring_dates ----------------------------------------------------------------------------------------------------


def test_recurring_dates_picks_the_weekdays():
    # Monday 5 January 2026 to Sunday 18 January 2026; Mondays (0) and Thursdays (3).
    got = recurring_dates(date(2026, 1, 5), date(2026, 1, 18), {0, 3})
    assert got == [date(2026, 1, 5), date(2026, 1, 8), date(2026, 1, 12), date(2026, 1, 15)]
    assert all(d.weekday() in {0, 3} for d in got)


def test_recurring_dates_bounds_are_inclusive():
    assert recurring_dates(date(2026, 1, 5), date(2026, 1, 5), {0}) == [date(2026, 1, 5)]
    assert recurring_dates(date(2026, 1, 5), date(2026, 1, 5), {1}) == []
    assert recurring_dates(date(2026, 1, 5), date(2026, 1, 11), set()) == []
    assert len(recurring_dates(date(2026, 1, 1), date(2026, 12, 31), {0, 1, 2, 3, 4, 5, 6})) == 365


def test_recurring_dates_refuses_bad_ranges():
    with pytest.raises(ValidationError) as caught:
        recurring_dates(date(2026, 2, 1), date(2026, 1, 1), {0})
    assert "end" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        recurring_dates(date(2026, 1, 1), date(2027, 1, 3), {0})
    assert "end" in caught.value.message_dict


def test_recurring_dates_feed_publish_slots(site, site_member):
    start = in_days(1)
    dates = recurring_dates(start, start + timedelta(days=27), {1, 4})
    result = publish_slots(site=site, dates=dates, period="full_day", by=site_member)
    assert len(result.created) == 8 and result.skipped == []
    assert {s.date.weekday() for s in result.created} == {1, 4}
