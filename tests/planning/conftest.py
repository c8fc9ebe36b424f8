"""A frozen day (10 January 2027, Paris) and a small region to plan February 2027 in."""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.authority import ensure_ars_group, scope_of
from tests import factories as f

TODAY = datetime(2027, 1, 10, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
FEBRUARY = date(2027, 2, 1)


def feb(day: int) -> date:
    return date(2027, 2, day)


@pytest.fixture(autouse=True)
def _frozen(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(TODAY, tick=False):
        yield


@dataclass
class World:
    region: object
    zones: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    doctors: list = field(default_factory=list)
    ars: object = None

    def slot(self, zone_index: int, day: int, period: str = "full_day", capacity: int = 1):
        return f.SlotFactory(site=self.sites[zone_index], date=feb(day), period=period, capacity=capacity)

    def doctor(self, zone_indexes, days, period: str = "full_day", **kwargs):
        doctor = f.DoctorFactory(zones=[self.zones[i] for i in zone_indexes], **kwargs)
        for day in days:
            f.AvailabilityFactory(doctor=doctor, date=feb(day), period=period)
        self.doctors.append(doctor)
        return doctor


@pytest.fixture
def world(db) -> World:
    """Two zones of one region (targets 2 and 1 days), a site in each; no slot, no doctor yet."""
    department = f.DepartmentFactory()
    zones = [
        f.ZoneFactory(department=department, target_days_per_month=2),
        f.ZoneFactory(department=department, target_days_per_month=1),
    ]
    ars = f.ArsMembershipFactory(region=department.region).user
    ars.groups.add(ensure_ars_group())
    scope_of(ars)
    return World(region=department.region, zones=zones, sites=[f.HostSiteFactory(zone=z) for z in zones], ars=ars)
