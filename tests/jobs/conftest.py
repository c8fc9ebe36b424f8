"""Builders for the jobs tests: a « now » in Paris, bookings N days ahead (booked when we say), the outbox read back."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from missions.models import Booking
from missions.rules import PARIS
from notifications.models import Message
from tests import factories as f


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """`day` at `hour`:`minute`, Paris time."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def messages(kind: str | None = None) -> list[tuple[str, str]]:
    """(kind, recipient) of every message in the outbox, sorted."""
    qs = Message.objects.all() if kind is None else Message.objects.filter(kind=kind)
    return sorted(qs.values_list("kind", "recipient"))


def recipients(kind: str) -> list[str]:
    return sorted(Message.objects.filter(kind=kind).values_list("recipient", flat=True))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def now(today) -> datetime:
    """Today at 10:00 in Paris: the job's « now » (after the morning runs of the schedule)."""
    return at(today)


@pytest.fixture
def make_booking(doctor, site, today):
    """A booking of `doctor` (unless told) at `site` on `day`, in `status`, requested on `booked_on` (a month before
    its day unless told), written directly: these tests need a given state, not the booking path."""

    def build(day: date, *, status=Booking.Status.CONFIRMED, booked_on: date | None = None, **fields) -> Booking:
        fields.setdefault("doctor", doctor)
        slot = f.SlotFactory(site=fields.pop("at_site", site), date=day)
        booking = f.BookingFactory(slot=slot, status=status, **fields)
        booked_on = booked_on or day - timedelta(days=30)
        Booking.objects.filter(pk=booking.pk).update(requested_at=at(booked_on, 9))
        booking.refresh_from_db()
        return booking

    return build


@pytest.fixture
def site_emails(site, site_member) -> list[str]:
    """Who hears for `site`: its member and its contact address."""
    return sorted([site_member.email, site.contact_email])
