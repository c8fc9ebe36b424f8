"""The demo data set: idempotent, believable (every status, past and future activity), and it obeys the rules."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import get_hasher
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.authority import ARS_GROUP
from accounts.models import User
from accounts.second_factor import check_code
from billing.models import Cpam, CpamMembership, Statement, StatementStatus
from missions.doctor_regions import check_doctor_regions
from missions.models import Availability, Booking, Doctor, DoctorRegion
from notifications.models import Message
from operations.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, current_demo_code
from operations.reference import load_reference_data
from sites.identifiers import validate_rpps
from sites.models import ArsMembership, HostSite, SiteMembership, Slot
from tests import factories as f

pytestmark = pytest.mark.django_db

MODELS = [User, Doctor, Slot, Booking, Availability, SiteMembership, CpamMembership, ArsMembership, Message]


def counts() -> dict[str, int]:
    result = {model.__name__: model.objects.count() for model in MODELS}
    for status, n in Booking.objects.values_list("status").annotate(n=Count("pk")).order_by():
        result[f"booking:{status}"] = n
    for status, n in Doctor.objects.values_list("status").annotate(n=Count("pk")).order_by():
        result[f"doctor:{status}"] = n
    return result


@pytest.fixture
def reference(db):
    load_reference_data()


def test_seed_demo_builds_a_believable_month_once(db, capsys, mailoutbox):
    """One test, two seedings (seeding is the slow part): from an empty database, then again."""
    call_command("seed_demo")  # loads the reference data itself when it is missing
    first = counts()
    # Every doctor, zone and booking the demo writes keeps the doctors' regions (missions.doctor_regions).
    assert DoctorRegion.objects.count() >= Doctor.objects.count() > 0
    assert not check_doctor_regions()
    first_output = capsys.readouterr().out

    call_command("seed_demo")

    assert counts() == first
    assert "rien de nouveau" in capsys.readouterr().out
    # The logins are printed, with the one password.
    assert f"mot de passe commun : {DEMO_PASSWORD}" in first_output
    for email in ["admin@demo.fr", "ars@demo.fr", "lieu-1@demo.fr", "cpam-03@demo.fr", "medecin-1@demo.fr"]:
        assert email in first_output
    assert HostSite.objects.count() == 8
    check_people_and_statuses()
    check_activity(timezone.localdate())
    check_every_site_has_a_day_to_attest(timezone.localdate())
    check_rules_hold(timezone.localdate())
    check_accounts()
    check_billing()
    check_nothing_was_sent(mailoutbox)
    check_the_first_request_relays_only_its_own_messages(mailoutbox)


def check_every_site_has_a_day_to_attest(today) -> None:
    """Each site's demo account (lieu-1@demo.fr …) has something on its « Journées à attester » page."""
    for site in HostSite.objects.all():
        past = Booking.objects.filter(slot__site=site, status=Booking.Status.CONFIRMED, date__lt=today)
        assert past.exists(), site.name


def check_the_first_request_relays_only_its_own_messages(mailoutbox) -> None:
    """The first form sent after `make run` relayed the demo's hundreds of messages inside its own request."""
    from django.test import Client

    held = Message.objects.count()
    booking = Booking.objects.filter(
        status__in=[Booking.Status.CONFIRMED, Booking.Status.REQUESTED], date__gt=timezone.localdate()
    ).first()
    client = Client()
    client.force_login(booking.doctor.user)
    response = client.post(
        f"/medecin/missions/{booking.pk}/annuler/", {"reason": "Empêchement", "late_ack": "on"}
    )  # a form that enqueues messages, relayed after its commit
    assert response.status_code == 302, response.content[:500]
    from notifications.tasks import relay_as_task

    relay_as_task()  # what the commit asks for (tests run in a transaction that never commits)
    assert 0 < len(mailoutbox) < 5
    assert Message.objects.filter(status=Message.Status.HELD).count() == held
    assert not Message.objects.filter(status=Message.Status.PENDING).exists()


def check_people_and_statuses() -> None:
    """~60 doctors in every status, with valid RPPS and distinct French names; bookings in every status."""
    assert Doctor.objects.count() == 60
    assert set(Doctor.objects.values_list("status", flat=True)) == set(Doctor.Status.values)
    for rpps in Doctor.objects.values_list("rpps", flat=True):
        validate_rpps(rpps)
    assert Doctor.objects.values("first_name", "last_name").distinct().count() == 60
    assert set(Booking.objects.values_list("status", flat=True)) == set(Booking.Status.values)


def check_activity(today) -> None:
    """Completed days in the past, requests in the future, slots over the next three months at every site."""
    completed = Booking.objects.filter(status=Booking.Status.COMPLETED)
    assert completed.count() >= 20
    assert not completed.filter(date__gte=today).exists()
    assert not completed.filter(consultations__isnull=True).exists()
    assert not Booking.objects.filter(status=Booking.Status.REQUESTED, date__lt=today).exists()
    assert Booking.objects.filter(late_cancellation=True).exists()
    assert Booking.objects.exclude(corrected_at=None).exists()
    for site in HostSite.objects.all():
        future = Slot.objects.filter(site=site, date__gt=today)
        assert future.filter(date__gt=today + timedelta(days=75)).exists(), site
        assert future.filter(date__lte=today + timedelta(days=14)).exists(), site


def check_rules_hold(today) -> None:
    """R1: two days a month at most; R3: capacity; R4: only validated doctors hold future bookings."""
    active = Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES)
    per_month: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for doctor_id, day, fraction in active.values_list("doctor_id", "date", "day_fraction"):
        per_month[(doctor_id, day.year, day.month)] += fraction
    assert max(per_month.values()) <= Decimal("2")
    for slot in Slot.objects.annotate(n=Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES))):
        assert slot.n <= slot.capacity
    assert not active.filter(date__gte=today).exclude(doctor__status=Doctor.Status.VALIDATED).exists()
    for booking in Booking.objects.select_related("slot"):
        assert (booking.date, booking.period, booking.zone_id) == (
            booking.slot.date,
            booking.slot.period,
            booking.slot.zone_id,
        )


def check_accounts() -> None:
    admin = User.objects.get(email="admin@demo.fr")
    assert admin.is_superuser and admin.is_staff
    ars = User.objects.get(email="ars@demo.fr")
    assert ars.is_staff and not ars.is_superuser
    assert ars.ars_memberships.get().region.code == "84"
    assert ars.groups.filter(name=ARS_GROUP).exists()
    for n, site in enumerate(HostSite.objects.order_by("commune__insee_code", "name"), start=1):
        assert SiteMembership.objects.filter(user__email=f"lieu-{n}@demo.fr", site=site).exists()
    for cpam in Cpam.objects.select_related("department"):
        assert CpamMembership.objects.filter(user__email=f"cpam-{cpam.department.code}@demo.fr", cpam=cpam).exists()
    assert User.objects.filter(email__startswith="medecin-", doctor__isnull=False).count() == 60
    # One password for every demo account, stored as a real hash of the configured hasher (hashed once, shared).
    hashes = set(User.objects.filter(email__endswith="@demo.fr").values_list("password", flat=True))
    assert len(hashes) == 1
    assert hashes.pop().startswith(get_hasher().algorithm + "$")
    assert User.objects.get(email="medecin-7@demo.fr").check_password(DEMO_PASSWORD)
    # ARS staff and the superuser hold a second factor whose secret the demo publishes.
    code, _ = current_demo_code()
    for user in (admin, ars):
        assert check_code(user, code) is not None
    assert check_code(User.objects.get(email="medecin-1@demo.fr"), code) is None


def check_billing() -> None:
    """Dedicated numbers recorded for most validated doctors, last month's statements in every status."""
    validated = Doctor.objects.filter(status=Doctor.Status.VALIDATED)
    with_number = validated.exclude(billing_number="").count()
    assert 0 < with_number < validated.count()
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    statements = Statement.objects.filter(month=last_month)
    assert set(statements.values_list("status", flat=True)) == set(StatementStatus.values)
    assert all(statement.line_count > 0 for statement in statements)


def test_demo_code_prints_the_code_of_the_moment(db, capsys):
    with pytest.raises(CommandError, match="lancez d'abord"):
        call_command("demo_code")
    ars = f.UserFactory(email="ars@demo.fr", is_staff=True)
    TOTPDevice.objects.create(user=ars, name="démo", key=DEMO_TOTP_KEY, confirmed=True)

    before = current_demo_code()[0]
    call_command("demo_code")
    after = current_demo_code()[0]

    output = capsys.readouterr().out
    assert "ars@demo.fr" in output
    assert before in output or after in output  # the code changes every 30 seconds


def check_nothing_was_sent(mailoutbox) -> None:
    assert Message.objects.count() > 100
    assert not Message.objects.exclude(status=Message.Status.HELD).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "overrides",
    [{"PRODUCTION": True}, {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}],
    ids=["production", "smtp"],
)
def test_seed_demo_is_refused_where_mail_would_really_go_out(reference, settings, overrides):
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(CommandError, match="Données de démonstration refusées"):
        call_command("seed_demo")
    assert not Doctor.objects.exists()


def test_the_report_counts_each_noun_in_its_number():
    """« 1 demandes d'installation » was printed at the end of `make run`: one of a kind reads in the singular."""
    from operations.demo import DemoReport

    report = DemoReport()
    assert report.summary() == "rien de nouveau"
    report.created["demande(s) d'installation"] += 1
    report.created["créneau(x)"] += 12
    report.created["médecin(s)"] += 0
    report.created["créneau(x) passé(s)"] += 1
    assert report.summary() == "1 demande d'installation, 12 créneaux, 1 créneau passé"
