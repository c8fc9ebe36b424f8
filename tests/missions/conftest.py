"""Small builders shared by the missions tests: dates relative to today (Europe/Paris) and a booking helper."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from missions import services
from missions.models import Booking, Doctor
from sites.models import Slot


def today() -> date:
    return timezone.localdate()


def month_ahead(n: int) -> date:
    """The first day of the calendar month `n` months after this one."""
    first = today().replace(day=1)
    year, month = divmod(first.month - 1 + n, 12)
    return date(first.year + year, month + 1, 1)


def in_days(n: int) -> date:
    return today() + timedelta(days=n)


def book(doctor: Doctor, slot: Slot) -> Booking:
    """A doctor books a slot for themselves, through the real service."""
    return services.book_slot(doctor=doctor, slot=slot, by=doctor.user)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Each persona sets a password: the production hasher would make these tests ten times slower."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def month() -> date:
    """A whole calendar month in the future and well inside the booking horizon (two months ahead)."""
    return month_ahead(2)
