"""Two regions and the people of the admin's permission matrix.

Region A holds one object of every model the admin shows; region B holds its own zone, site, doctor and booking,
so that each list can be checked for what it must not show. Personas: a national administrator (superuser), an ARS
agent of region A, one of region B, a staff account without region, a doctor and a host-site member (no admin)."""

import datetime
from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from dsfr.models import DsfrConfig
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.authority import ensure_ars_group, forget_scope
from accounts.models import AccessLog
from billing.services import generate_statement
from demarches.models import Decision, Dossier
from missions.models import Booking
from notifications.models import Message
from planning.models import Plan, PlanSchedule
from tests import factories as f

OCTOBER = datetime.date(2025, 10, 1)


@dataclass
class World:
    people: dict = field(default_factory=dict)
    a: dict = field(default_factory=dict)  # label → the object of region A
    b: dict = field(default_factory=dict)  # label → the object of region B (where it has one)


def _region(code: str, name: str):
    region = f.RegionFactory(code=code, name=name)
    department = f.DepartmentFactory(region=region)
    zone = f.ZoneFactory(department=department)
    site = f.HostSiteFactory(zone=zone)
    slot = f.SlotFactory(site=site)
    doctor = f.DoctorFactory(zones=[zone], practice_commune=f.CommuneFactory(department=department))
    booking = f.BookingFactory(doctor=doctor, slot=slot)
    dossier = Dossier.objects.create(
        demarche_number=1,
        number=int(code) * 1000,
        ds_id=f"RG9zc2llci0{code}",
        state=Dossier.State.EN_INSTRUCTION,
        ds_updated_at=timezone.now(),
        status=Dossier.Status.IMPORTED,
        doctor=doctor,
        department=department,
    )
    decree = f.ZonageDecreeFactory(region=region)
    return {
        "demarches.dossier": dossier,
        "demarches.decision": Decision.objects.create(
            dossier=dossier, kind=Decision.Kind.ACCEPT, next_attempt_at=timezone.now()
        ),
        "installation.zonagedecree": decree,
        "installation.communezonage": f.CommuneZonageFactory(decree=decree, commune=doctor.practice_commune),
        "installation.installationreferent": f.InstallationReferentFactory(department=department),
        "installation.installationlead": f.InstallationLeadFactory(doctor=doctor, zone=zone),
        "sites.region": region,
        "sites.department": department,
        "sites.commune": doctor.practice_commune,
        "sites.epci": doctor.practice_commune.epci,
        "sites.zone": zone,
        "sites.hostsite": site,
        "sites.slot": slot,
        "missions.doctor": doctor,
        "missions.booking": booking,
        "missions.availability": f.AvailabilityFactory(doctor=doctor),
        "accounts.user": doctor.user,
        "planning.plan": Plan.objects.create(region=region, month=datetime.date.today().replace(day=1)),
        "planning.planschedule": PlanSchedule.objects.create(region=region),
    }


def _staff(region=None):
    user = f.UserFactory(is_staff=True)
    if region is not None:
        f.ArsMembershipFactory(user=user, region=region)
    user.groups.add(ensure_ars_group())
    forget_scope(user)
    return user


@pytest.fixture
def world(db) -> World:
    world = World()
    world.a = _region("84", "Auvergne-Rhône-Alpes")
    world.b = _region("11", "Île-de-France")
    a = world.a
    superuser = f.UserFactory(is_staff=True, is_superuser=True)
    ars_a, ars_b = _staff(a["sites.region"]), _staff(world.b["sites.region"])
    site_membership = f.SiteMembershipFactory(site=a["sites.hostsite"])
    world.people = {
        "superuser": superuser,
        "ars_a": ars_a,
        "ars_b": ars_b,
        "staff_without_region": _staff(),
        "doctor": a["missions.doctor"].user,
        "site_member": site_membership.user,
    }
    # Billing: a completed day of October, stated for the CPAM of the doctor's main practice.
    cpam = f.CpamFactory(department=a["sites.department"])
    f.FlatRateFactory()
    past = f.SlotFactory(site=a["sites.hostsite"], date=datetime.date(2025, 10, 7))
    f.BookingFactory(doctor=a["missions.doctor"], slot=past, status=Booking.Status.COMPLETED, consultations=9)
    statement = generate_statement(cpam, OCTOBER)
    token = Token.objects.create(user=a["accounts.user"])
    a.update(
        {
            "sites.sitemembership": site_membership,
            "sites.arsmembership": ars_a.ars_memberships.get(),
            "billing.cpam": cpam,
            "billing.cpammembership": f.CpamMembershipFactory(cpam=cpam),
            "billing.flatrate": f.FlatRateFactory(),
            "billing.statement": statement,
            "billing.statementline": statement.lines.get(),
            "notifications.message": Message.objects.create(
                kind="booking_confirmed",
                recipient=a["accounts.user"].email,
                subject="Votre journée est confirmée",
                body_text="Bonjour",
                dedup_key="matrix:message",
            ),
            "accounts.accesslog": AccessLog.objects.create(
                user=superuser, object_type="missions.doctor", object_id="1", view_name="x", path="/"
            ),
            "auth.group": ensure_ars_group(),
            "authtoken.tokenproxy": TokenProxy.objects.get(key=token.key),
            "otp_totp.totpdevice": TOTPDevice.objects.create(user=a["accounts.user"], name="téléphone"),
            "axes.accessattempt": AccessAttempt.objects.create(
                user_agent="test",
                ip_address="192.0.2.1",
                username="x@exemple.fr",
                http_accept="*/*",
                path_info="/",
                get_data="",
                post_data="",
                failures_since_start=1,
            ),
            "axes.accesslog": AxesAccessLog.objects.create(
                user_agent="test", ip_address="192.0.2.1", username="x@exemple.fr", http_accept="*/*", path_info="/"
            ),
            "axes.accessfailurelog": AccessFailureLog.objects.create(
                user_agent="test", ip_address="192.0.2.1", username="x@exemple.fr", http_accept="*/*", path_info="/"
            ),
            "dsfr.dsfrconfig": DsfrConfig.objects.create(site_title="Un médecin près de chez vous"),
            "installation.aid": f.AidFactory(),
        }
    )
    return world
