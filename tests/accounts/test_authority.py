"""accounts.authority, the one definition of who may see and do what, over two regions.

Region A is the `zone` fixture's (Auvergne-Rhône-Alpes, the factories' default); region B is Corse (department 2A,
a code the department factory's sequence never produces). Each persona sees its own and nothing of the other.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.authority import (
    ACTS,
    ARS_GROUP,
    VISIBILITY,
    admin_permissions,
    ensure_ars_group,
    forget_scope,
    may,
    scope_of,
    visible,
)
from billing.models import Statement
from billing.services import generate_statement, generate_statements, issue_statement, record_billing_number
from core.errors import NotAllowed
from demarches.models import Dossier
from missions import services
from missions.models import Booking, Doctor
from notifications.outbox import enqueue
from planning.models import Plan, PlanLine
from sites.models import Slot
from sites.services import publish_slot
from tests import factories as f
from tests.api.conftest import in_days

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2025, 10, 1)


@dataclass
class Region:
    """One region's objects: a zone, a site with a slot and a booking, a doctor, an applicant, a CPAM."""

    zone: object
    site: object
    slot: object
    doctor: object
    applicant: object
    booking: object
    cpam: object
    staff: object
    site_member: object
    cpam_agent: object


def build_region(zone) -> Region:
    site = f.HostSiteFactory(zone=zone)
    doctor = f.DoctorFactory(zones=[zone], practice_commune=f.CommuneFactory(department=zone.department))
    slot = f.SlotFactory(site=site, date=in_days(10), capacity=2)
    cpam = f.CpamFactory(department=zone.department)
    staff = f.ArsMembershipFactory(region=zone.department.region).user
    staff.groups.add(ensure_ars_group())
    return Region(
        zone=zone,
        site=site,
        slot=slot,
        doctor=doctor,
        applicant=f.DoctorFactory(
            zones=[zone],
            status=Doctor.Status.SUBMITTED,
            validated_at=None,
            practice_commune=f.CommuneFactory(department=zone.department),
        ),
        booking=f.BookingFactory(doctor=doctor, slot=slot),
        cpam=cpam,
        staff=staff,
        site_member=f.SiteMembershipFactory(site=site).user,
        cpam_agent=f.CpamMembershipFactory(cpam=cpam).user,
    )


@pytest.fixture
def a(zone) -> Region:
    return build_region(zone)


@pytest.fixture
def b(db) -> Region:
    corse = f.RegionFactory(code="94", name="Corse")
    return build_region(f.ZoneFactory(department=f.DepartmentFactory(code="2A", name="Corse-du-Sud", region=corse)))


@pytest.fixture
def superuser(db):
    return f.UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_without_region(db):
    user = f.UserFactory(is_staff=True)
    user.groups.add(ensure_ars_group())
    return user


def ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


# --- what each person sees ---------------------------------------------------------------------------------


REGIONAL = ["sites.zone", "sites.hostsite", "sites.slot", "missions.doctor", "missions.booking", "billing.cpam"]


def objects_of(region: Region, label: str) -> set[int]:
    return {
        "sites.zone": {region.zone.pk},
        "sites.hostsite": {region.site.pk},
        "sites.slot": {region.slot.pk},
        "missions.doctor": {region.doctor.pk, region.applicant.pk},
        "missions.booking": {region.booking.pk},
        "billing.cpam": {region.cpam.pk},
    }[label]


@pytest.mark.parametrize("label", REGIONAL)
def test_ars_staff_see_their_region_and_nothing_of_the_other(a, b, label):
    assert ids(visible(a.staff, label)) == objects_of(a, label)
    assert ids(visible(b.staff, label)) == objects_of(b, label)


@pytest.mark.parametrize("label", REGIONAL)
def test_superusers_are_national(a, b, superuser, label):
    assert ids(visible(superuser, label)) >= objects_of(a, label) | objects_of(b, label)


@pytest.mark.parametrize("label", sorted(VISIBILITY))
def test_a_staff_user_without_region_sees_nothing(a, staff_without_region, label):
    """Fails closed: before, a staff account with no region saw every region."""
    assert scope_of(staff_without_region).staff_without_region
    if label in {"sites.region", "sites.department", "sites.epci", "sites.commune", "billing.flatrate"}:
        return  # national reference: readable by every signed-in person, writable by none of them
    assert not visible(staff_without_region, label).exists()


def test_a_doctor_is_of_a_region_by_zone_practice_or_booking(a, b):
    by_zone = f.DoctorFactory(zones=[b.zone], practice_commune=f.CommuneFactory(department=a.zone.department))
    by_practice = f.DoctorFactory(zones=[], practice_commune=f.CommuneFactory(department=b.zone.department))
    by_booking = f.DoctorFactory(zones=[], practice_commune=f.CommuneFactory(department=a.zone.department))
    f.BookingFactory(doctor=by_booking, slot=f.SlotFactory(site=b.site, date=in_days(12)))
    seen_by_b = ids(visible(b.staff, Doctor))
    assert {by_zone.pk, by_practice.pk, by_booking.pk} <= seen_by_b
    assert by_practice.pk not in ids(visible(a.staff, Doctor))  # neither zone, practice nor booking in A
    assert {by_zone.pk, by_booking.pk} <= ids(visible(a.staff, Doctor))  # practice in A


def test_each_other_role_sees_its_own(a, b):
    assert ids(visible(a.doctor.user, Doctor)) == {a.doctor.pk}
    assert ids(visible(a.doctor.user, Booking)) == {a.booking.pk}
    assert ids(visible(a.site_member, Booking)) == {a.booking.pk}
    assert ids(visible(a.cpam_agent, Booking)) == {a.booking.pk}
    assert ids(visible(a.cpam_agent, Doctor)) == {a.doctor.pk, a.applicant.pk}
    assert not visible(a.site_member, Doctor).exists()
    # The catalogue a volunteer searches is national: a doctor of A may go to B.
    assert {a.slot.pk, b.slot.pk} <= ids(visible(a.doctor.user, Slot))


def test_statements_of_the_region_drafts_only_to_the_ars(a, b, flat_rate):
    f.BookingFactory(
        doctor=a.doctor,
        slot=f.SlotFactory(site=a.site, date=OCTOBER.replace(day=7)),
        status=Booking.Status.COMPLETED,
        consultations=8,
    )
    draft = generate_statement(a.cpam, OCTOBER, by=a.staff)
    assert ids(visible(a.staff, Statement)) == {draft.pk}
    assert not visible(b.staff, Statement).exists()
    assert not visible(a.cpam_agent, Statement).exists()  # a draft is the ARS's preview
    issue_statement(draft, by=a.staff)
    assert ids(visible(a.cpam_agent, Statement)) == {draft.pk}
    assert not visible(b.cpam_agent, Statement).exists()


def test_the_outbox_shows_an_agent_only_their_regions_people(a, b):
    enqueue("doctor_validated", to=a.doctor.user.email, context={"doctor": a.doctor}, dedup_key="t:a")
    enqueue("doctor_validated", to=b.doctor.user.email, context={"doctor": b.doctor}, dedup_key="t:b")
    assert set(visible(a.staff, "notifications.Message").values_list("recipient", flat=True)) == {a.doctor.user.email}
    assert not visible(a.doctor.user, "notifications.Message").exists()


def test_anonymous_sees_nothing(a):
    from django.contrib.auth.models import AnonymousUser

    for label in VISIBILITY:
        assert not visible(AnonymousUser(), label).exists(), label


def test_a_new_model_is_closed_until_it_has_a_rule(a):
    """IdempotentRequest has no rule: only superusers see it."""
    from api.models import IdempotentRequest

    assert not visible(a.staff, IdempotentRequest).exists()
    assert "api.idempotentrequest" not in VISIBILITY


# --- what each person may do -------------------------------------------------------------------------------


def test_every_act_refuses_the_other_regions_agent(a, b):
    """Each act, on region A's object: A's agent may, B's agent may not."""
    objects = {
        "account.close": a.doctor.user,
        "doctor.review": a.doctor,
        "doctor.edit": a.doctor,
        "doctor.withdraw": a.doctor,
        "doctor.billing_number": a.doctor,
        "site.manage": a.site,
        "site.edit": a.site,
        "slot.book_for": a.slot,
        "zone.edit": a.zone,
        "booking.respond": a.booking,
        "booking.attest": a.booking,
        "booking.correct": a.booking,
        "booking.cancel": a.booking,
        "cpam.edit": a.cpam,
        "statement.generate": a.cpam,
        "plan.propose": a.zone.department.region,
        "plan.review": Plan.objects.create(region=a.zone.department.region, month=datetime.date(2027, 2, 1)),
        "demarches.sync": Dossier.objects.create(
            demarche_number=1,
            number=1,
            ds_id="RG9zc2llci0x",
            state="en_construction",
            ds_updated_at=timezone.now(),
            status="to_complete",
            department=a.zone.department,
        ),
        "installation.follow": f.InstallationLeadFactory(doctor=a.doctor, zone=a.zone),
        "installation.referent": f.InstallationReferentFactory(department=a.zone.department),
    }
    # « installation.ask » is the doctor's own (tests/installation/test_leads.py): no ARS agent may do it;
    # « booking.site_correct » the site's own (below).
    # The statement's own acts are checked on a statement: tests/billing (statement.export: test_export_jobs.py).
    statement_acts = {"statement.issue", "statement.mark_paid", "statement.export"}
    own = {"planline.decline", "installation.ask", "booking.site_correct"}
    assert set(objects) | statement_acts | own == set(ACTS)
    for act, obj in objects.items():
        assert may(a.staff, act, obj), act
        assert not may(b.staff, act, obj), act


def test_only_the_sites_own_members_correct_its_attestation(a, b):
    """The site's act: ARS staff correct through « booking.correct » (at any time, R9), never as the site."""
    assert may(a.site_member, "booking.site_correct", a.booking)
    for person in (b.site_member, a.staff, b.staff, a.doctor.user, a.cpam_agent):
        assert not may(person, "booking.site_correct", a.booking), person
    assert not may(a.site_member, "booking.correct", a.booking)


def test_only_the_doctor_an_offer_was_made_to_declines_it(a, b):
    plan = Plan.objects.create(region=a.zone.department.region, month=datetime.date(2027, 2, 1))
    line = PlanLine.objects.create(plan=plan, slot=a.slot, doctor=a.doctor, status=PlanLine.Status.SENT)
    assert may(a.doctor.user, "planline.decline", line)
    assert not may(b.doctor.user, "planline.decline", line)
    assert not may(a.staff, "planline.decline", line)
    assert not visible(a.doctor.user, PlanLine).filter(status=PlanLine.Status.PROPOSED).exists()


def test_a_plain_agent_may_not_close_a_staff_account(a, superuser):
    assert not may(a.staff, "account.close", superuser)
    other_staff = f.ArsMembershipFactory(region=a.zone.department.region).user
    assert not may(a.staff, "account.close", other_staff)


def test_services_refuse_the_other_regions_agent(a, b, flat_rate):
    """Through the services every door calls: nothing of region A is done by region B's agent."""
    attempts = [
        lambda: services.validate_doctor(a.applicant, by=b.staff),
        lambda: services.reject_doctor(a.applicant, by=b.staff, reason="Incomplet"),
        lambda: services.suspend_doctor(a.doctor, by=b.staff, reason="x"),
        lambda: services.withdraw_doctor(a.doctor, by=b.staff, reason="x"),
        lambda: services.confirm_booking(a.booking, by=b.staff),
        lambda: services.decline_booking(a.booking, by=b.staff, reason="x"),
        lambda: services.cancel_booking(a.booking, by=b.staff, reason="x"),
        lambda: services.close_slot(a.slot, by=b.staff, reason="x"),
        lambda: services.book_slot(doctor=a.doctor, slot=b.slot, by=b.staff),
        lambda: publish_slot(site=a.site, date=in_days(20), period="morning", by=b.staff),
        lambda: record_billing_number(a.doctor, number="123456789", by=b.staff),
        lambda: record_billing_number(a.doctor, number="123456789", by=b.cpam_agent),
        lambda: generate_statement(a.cpam, OCTOBER, by=b.staff),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed):
            attempt()
    a.doctor.refresh_from_db()
    a.booking.refresh_from_db()
    a.slot.refresh_from_db()
    assert (a.doctor.status, a.doctor.billing_number) == (Doctor.Status.VALIDATED, "")
    assert a.booking.status == Booking.Status.REQUESTED
    assert a.slot.status == Slot.Status.OPEN


def test_generating_every_statement_covers_only_the_agents_region(a, b, flat_rate):
    for region in (a, b):
        f.BookingFactory(
            doctor=region.doctor,
            slot=f.SlotFactory(site=region.site, date=OCTOBER.replace(day=9)),
            status=Booking.Status.COMPLETED,
            consultations=5,
        )
    result = generate_statements(OCTOBER, by=b.staff)
    assert [s.cpam for s in result.statements] == [b.cpam]
    national = generate_statements(OCTOBER, by=None)  # the monthly job
    assert {s.cpam for s in national.statements} == {a.cpam, b.cpam}


def test_a_staff_user_without_region_may_do_nothing(a, staff_without_region):
    with pytest.raises(NotAllowed):
        services.validate_doctor(a.applicant, by=staff_without_region)
    assert not any(may(staff_without_region, act, a.booking) for act in ("booking.respond", "booking.cancel"))


# --- admin model permissions and the group -----------------------------------------------------------------


def test_admin_permissions_national_reference_is_read_only(a):
    from billing.models import FlatRate
    from sites.models import Department

    for model in (Department, FlatRate):
        assert admin_permissions(a.staff, model) == {"view": True, "add": False, "change": False, "delete": False}


def test_admin_permissions_accounts_and_memberships_are_superuser_only(a, superuser):
    from django.contrib.auth.models import Group

    from accounts.models import AccessLog, User
    from billing.models import CpamMembership
    from sites.models import ArsMembership, SiteMembership

    for model in (User, Group, ArsMembership, SiteMembership, CpamMembership, AccessLog):
        assert not any(admin_permissions(a.staff, model).values()), model
        assert all(admin_permissions(superuser, model).values()), model


def test_the_ars_group_holds_no_permission_on_accounts():
    """Before, the group held every permission of `accounts`: a plain agent could make themselves superuser."""
    group = ensure_ars_group()
    labels = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert not {app for app, _ in labels} & {"accounts", "auth", "authtoken", "axes", "otp_totp"}
    assert ("missions", "change_doctor") in labels
    assert ("sites", "view_region") in labels
    assert ("sites", "change_region") not in labels
    assert not [codename for _, codename in labels if codename.startswith("delete_")]


def test_the_group_is_complete_after_migrate():
    """The group as the test database's `migrate` left it: the post-migrate sync runs after every app, so the
    permissions of sites, missions, billing and notifications exist when it runs for the last one."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=ARS_GROUP)
    apps_with_permissions = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps_with_permissions == {
        "sites",
        "missions",
        "billing",
        "demarches",
        "notifications",
        "planning",
        "installation",
    }
    assert Permission.objects.filter(group__name=ARS_GROUP).count() == group.permissions.count()


def test_the_scope_is_read_once_per_user_object(a, django_assert_num_queries):
    user = type(a.staff).objects.get(pk=a.staff.pk)
    with django_assert_num_queries(1):
        scope_of(user)
        scope_of(user)
    forget_scope(user)
    with django_assert_num_queries(1):
        scope_of(user)


@pytest.mark.django_db
def test_the_memberships_query_compiled_once_binds_each_person(doctor, site, zone, django_assert_num_queries):
    """`_memberships` runs a UNION compiled once per process (issue #20): each person still reads their own."""
    from accounts.authority import _memberships
    from tests import factories as fac

    region = zone.department.region
    many = fac.SiteMembershipFactory(site=site).user
    fac.ArsMembershipFactory(user=many, region=region)
    cpam = fac.CpamFactory(department=doctor.practice_department)
    fac.CpamMembershipFactory(user=many, cpam=cpam)
    nobody = fac.UserFactory()
    with django_assert_num_queries(3):
        assert _memberships(many.pk) == {"region": [region.pk], "site": [site.pk], "cpam": [cpam.pk], "doctor": []}
        assert _memberships(doctor.user_id) == {"region": [], "site": [], "cpam": [], "doctor": [doctor.pk]}
        assert _memberships(nobody.pk) == {"region": [], "site": [], "cpam": [], "doctor": []}
