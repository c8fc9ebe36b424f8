"""Billing fixtures: the CPAM of `doctor`, the flat rate, and attested days built directly in a given state."""

import datetime

import pytest
from django.utils import timezone

from missions.models import Booking
from tests import factories as f

OCTOBER = datetime.date(2025, 10, 1)


@pytest.fixture
def cpam(doctor):
    """The CPAM de rattachement of `doctor` (same as `cpam_agent`'s)."""
    return f.CpamFactory(department=doctor.practice_department)


@pytest.fixture
def attested_day(site, flat_rate):
    """Build a booking of `doctor` at `site` on `day`, already attested (completed unless told otherwise)."""

    def build(doctor, day, *, period="full_day", status=Booking.Status.COMPLETED, at_site=None):
        slot = f.SlotFactory(site=at_site or site, date=day, period=period)
        return f.BookingFactory(
            doctor=doctor,
            slot=slot,
            status=status,
            consultations=12 if status == Booking.Status.COMPLETED else None,
            confirmed_at=timezone.now(),
            attested_at=timezone.now(),
        )

    return build


@pytest.fixture
def fast_passwords(settings):
    """Factories hash a password for every user: a cheap hasher keeps these tests quick on a busy machine.
    Opt-in (`pytestmark`), so that tests checking real password hashes are not affected."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
