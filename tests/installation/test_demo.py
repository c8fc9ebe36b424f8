"""The demo's installation part: a zonage marked as demo values for the demo zones' communes, one referent per
department, one volunteer's lead for a zone where they worked — and nothing twice."""

import datetime

import pytest

from installation.models import CommuneZonage, InstallationLead, InstallationReferent, ZonageDecree
from installation.queries import zonage_of
from missions.models import Booking
from notifications.models import Message
from operations.demo import DEMO_ZONAGE_REFERENCE, Demo, DemoReport, seed_installation
from operations.reference import load_reference_data
from sites.models import HostSite, Region
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_journey_its_zonage_referents_and_a_lead():
    load_reference_data()
    region = Region.objects.get(code="84")
    site = HostSite.objects.select_related("zone", "commune").get(name="Centre de santé de Saugues")
    doctor = f.DoctorFactory(zones=[site.zone])
    day = datetime.date(2026, 11, 10)
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=day), status=Booking.Status.COMPLETED)
    demo = Demo(today=datetime.date(2026, 12, 3), report=DemoReport(), password_hash="")
    demo.region = region

    for _ in range(2):
        seed_installation(demo, [doctor])

    decree = ZonageDecree.objects.get()
    assert decree.reference == DEMO_ZONAGE_REFERENCE and "valeurs fictives" in decree.reference
    assert zonage_of(site.commune, day).kind in {"zip", "zac"}
    assert CommuneZonage.objects.filter(decree=decree).count() == demo.report.created["ligne(s) de zonage (démo)"]
    assert InstallationReferent.objects.count() == region.departments.count() >= 12  # AuRA's 12, and the factories'
    lead = InstallationLead.objects.get()
    assert (lead.doctor, lead.zone) == (doctor, site.zone)
    assert Message.objects.get(kind="installation_lead").recipient == "installation-43@demo.fr"
