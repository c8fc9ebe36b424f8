import pytest
from django.db import IntegrityError

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_personas_build(doctor, site_member, ars_staff, cpam_agent, other_site_member):
    assert doctor.zones.count() == 1
    assert site_member.site_memberships.count() == 1
    assert ars_staff.is_staff


def test_slot_capacity_is_held_by_the_database(site):
    with pytest.raises(IntegrityError):
        f.SlotFactory(site=site, capacity=0)
