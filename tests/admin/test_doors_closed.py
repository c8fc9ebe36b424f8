"""Issue #12, the admin's doors one by one: privilege escalation, other regions, history revert, secret links, bulk
reads, and a staff account without region."""

import subprocess
import sys

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.html import escape

from accounts.authority import ARS_GROUP, forget_scope
from accounts.models import AccessLog
from config.admin_site import NO_REGION
from missions.models import Booking
from notifications.models import Message
from sites.models import ArsMembership, Slot
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, world):
    client.force_login(world.people["ars_a"])
    return client


# --- privilege escalation ---------------------------------------------------------------------------------------


def test_an_agent_cannot_make_themselves_superuser(agent, world):
    me = world.people["ars_a"]
    url = reverse("admin:accounts_user_change", args=[me.pk])
    response = agent.post(url, {"email": me.email, "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 404
    me.refresh_from_db()
    assert not me.is_superuser


def test_an_agent_cannot_set_the_superusers_password(agent, world):
    boss = world.people["superuser"]
    url = reverse("admin:auth_user_password_change", args=[boss.pk])
    response = agent.post(url, {"password1": "pris-en-main-2026!", "password2": "pris-en-main-2026!"})
    assert response.status_code == 404
    boss.refresh_from_db()
    assert not boss.check_password("pris-en-main-2026!")


def test_an_agent_cannot_close_accounts(agent, world):
    victim = world.people["doctor"]
    url = reverse("admin:accounts_user_changelist")
    response = agent.post(url, {"action": "close_accounts", ACTION_CHECKBOX_NAME: [victim.pk]})
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.is_active and victim.closed_at is None


def test_an_agent_cannot_add_themselves_to_another_region(agent, world):
    me, other = world.people["ars_a"], world.b["sites.region"]
    response = agent.post(reverse("admin:sites_arsmembership_add"), {"user": me.pk, "region": other.pk})
    assert response.status_code == 403
    own = world.a["sites.arsmembership"]
    edit = agent.post(reverse("admin:sites_arsmembership_change", args=[own.pk]), {"user": me.pk, "region": other.pk})
    assert edit.status_code == 404
    assert list(ArsMembership.objects.filter(user=me).values_list("region", flat=True)) == [world.a["sites.region"].pk]


def test_the_ars_group_holds_no_permission_on_accounts_or_memberships():
    from accounts.authority import ensure_ars_group

    held = set(ensure_ars_group().permissions.values_list("content_type__app_label", "codename"))
    assert not {app for app, _ in held} & {"accounts", "auth", "authtoken", "otp_totp", "axes"}
    assert not {code for _, code in held} & {"add_arsmembership", "change_arsmembership", "change_sitemembership"}


def test_an_agent_never_creates_a_zone_or_a_site_in_another_region(agent, world):
    """The department of a zone, the zone and commune of a site: only one's region's are offered (and accepted)."""
    other_department = world.b["sites.department"]
    response = agent.post(
        reverse("admin:sites_zone_add"),
        {
            "siren": "200000172",
            "name": "CC Ailleurs",
            "department": other_department.pk,
            "target_days_per_month": 4,
            "host_sites-TOTAL_FORMS": 0,
            "host_sites-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "department" in response.context["adminform"].form.errors
    page = agent.get(reverse("admin:sites_zone_add")).content.decode()
    assert f'value="{world.a["sites.department"].pk}"' in page
    assert f'value="{other_department.pk}"' not in page


def test_a_doctors_zones_elsewhere_are_kept_when_an_agent_saves_their_record(agent, world):
    doctor, zone_b = world.a["missions.doctor"], world.b["sites.zone"]
    doctor.zones.add(zone_b)
    url = reverse("admin:missions_doctor_change", args=[doctor.pk])
    form = agent.get(url).context["adminform"].form
    assert zone_b not in form.fields["zones"].queryset
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "zones": [world.a["sites.zone"].pk],
            "practice_commune": doctor.practice_commune_id,
            "cdom_department": doctor.cdom_department_id,
            "phone": "0102030405",
            "bookings-TOTAL_FORMS": 0,
            "bookings-INITIAL_FORMS": 0,
        }
    )
    data.pop("user", None)
    response = agent.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    doctor.refresh_from_db()
    assert doctor.phone == "0102030405"
    assert set(doctor.zones.all()) == {world.a["sites.zone"], zone_b}


def test_an_agent_cannot_reassign_a_doctor_record_to_another_account(agent, world):
    doctor = world.a["missions.doctor"]
    page = agent.get(reverse("admin:missions_doctor_change", args=[doctor.pk])).content.decode()
    assert 'name="user"' not in page and 'name="billing_number"' not in page


# --- other regions ----------------------------------------------------------------------------------------------


def test_related_list_filters_offer_only_the_agents_region(agent, world):
    f.DepartmentFactory(region=world.a["sites.region"])  # a filter with a single choice is not shown
    response = agent.get(reverse("admin:sites_hostsite_changelist"))
    choices = [
        str(choice["display"])
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "zone__department"
        for choice in spec.choices(response.context["cl"])
    ]
    assert str(world.a["sites.department"]) in choices
    assert str(world.b["sites.department"]) not in choices


# --- history: read, never restored --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["superuser", "ars_a"])
def test_history_revert_is_refused_and_changes_nothing(client, world, persona):
    booking = world.a["missions.booking"]
    history_id = booking.history.earliest().history_id
    from missions import services

    services.cancel_booking(booking, by=world.people["superuser"], reason="Lieu fermé.")
    client.force_login(world.people[persona])
    url = reverse("admin:missions_booking_simple_history", args=[booking.pk, history_id])
    assert client.get(url).status_code == 200  # a past version may be read
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"_change_history": "1"}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_another_regions_history_is_a_404(client, world):
    client.force_login(world.people["ars_b"])
    for label in ["missions.booking", "missions.doctor", "sites.slot", "billing.statement"]:
        obj = world.a[label]
        app_label, model_name = label.split(".")
        assert client.get(reverse(f"admin:{app_label}_{model_name}_history", args=[obj.pk])).status_code == 404
        version = obj.history.earliest().history_id
        url = reverse(f"admin:{app_label}_{model_name}_simple_history", args=[obj.pk, version])
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404


def test_revert_is_disabled_in_settings(settings):
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True


def test_lifecycle_fields_are_never_typed_in_a_form(client, world):
    """Each status and its stamps are read-only: they move through the services (the actions)."""
    client.force_login(world.people["superuser"])
    checks = {
        "missions.doctor": ["status", "status_changed_at", "status_changed_by", "validated_at", "billing_number"],
        "missions.booking": ["status", "confirmed_at", "cancelled_at", "attested_at", "consultations"],
        "sites.slot": ["status", "closed_at", "closed_by", "capacity"],
        "billing.statement": ["status", "issued_at", "issued_by", "paid_at", "total_amount"],
    }
    for label, fields in checks.items():
        obj = world.a[label]
        app_label, model_name = label.split(".")
        form = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])).context["adminform"].form
        assert not set(fields) & set(form.fields), label


# --- secret links in the outbox -----------------------------------------------------------------------------------


def test_a_reset_link_is_never_readable_in_the_outbox(client, world):
    from notifications import relay

    staff = world.people["ars_b"]  # an agent's colleague, whose reset message the agent may list
    client.post(reverse("accounts:password_reset"), {"email": world.people["ars_a"].email})
    message = Message.objects.get(kind="password_reset")
    link = next(line for line in message.body_text.splitlines() if "/compte/" in line).strip()
    for persona in ["ars_a", "superuser"]:
        client.force_login(world.people[persona])
        page = client.get(reverse("admin:notifications_message_change", args=[message.pk])).content.decode()
        assert link.rsplit("/", 2)[-2] not in page  # the token
        assert "Masqué : ce message contient un lien personnel" in page
    assert staff  # (region B's agent does not even list it: not of their region)
    relay.relay()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert (message.body_text, message.body_html) == ("", "")  # erased once sent; the trail stays
    assert message.subject and message.recipient == world.people["ars_a"].email


# --- bulk reads ---------------------------------------------------------------------------------------------------


def test_a_changelist_or_a_search_of_doctors_leaves_who_what_and_how_many(agent, world):
    AccessLog.objects.all().delete()
    doctor = world.a["missions.doctor"]
    doctor.last_name = "Zwyssigkeit"  # a name no other generated doctor shares, nor contains
    doctor.save(update_fields=["last_name"])
    agent.get(reverse("admin:missions_doctor_changelist"), {"q": world.a["missions.doctor"].last_name})
    [entry] = AccessLog.objects.all()
    assert entry.user == world.people["ars_a"]
    assert entry.object_type == "missions.doctor" and entry.object_id == ""
    assert entry.query == f"q={world.a['missions.doctor'].last_name}"
    assert entry.record_count == 1


@pytest.mark.parametrize(
    "label", ["missions.booking", "missions.availability", "billing.statementline", "notifications.message"]
)
def test_each_personal_list_is_recorded(agent, label):
    AccessLog.objects.all().delete()
    app_label, model_name = label.split(".")
    agent.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    [entry] = AccessLog.objects.filter(object_type=label)
    assert entry.record_count >= 1


def test_an_autocomplete_search_of_doctors_is_recorded(agent, world):
    AccessLog.objects.all().delete()
    query = {"app_label": "missions", "model_name": "availability", "field_name": "doctor", "term": "a"}
    assert agent.get(reverse("admin:autocomplete"), query).status_code == 200
    [entry] = AccessLog.objects.all()
    assert (entry.object_type, entry.view_name) == ("missions.doctor", "admin:autocomplete")


# --- a staff account without region -----------------------------------------------------------------------------


def test_a_staff_account_without_region_sees_nothing_and_is_told_why(client, world):
    client.force_login(world.people["staff_without_region"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []
    assert NO_REGION in [str(message) for message in response.context["messages"]]
    assert escape(NO_REGION) in response.content.decode()
    client.force_login(world.people["ars_a"])
    assert escape(NO_REGION) not in client.get(reverse("admin:index")).content.decode()


def test_an_agent_losing_their_region_loses_the_admin(client, world):
    agent = world.people["ars_a"]
    ArsMembership.objects.filter(user=agent).delete()
    forget_scope(agent)
    client.force_login(agent)
    assert client.get(reverse("admin:missions_doctor_changelist")).status_code == 403


# --- every admin goes through the mixin ---------------------------------------------------------------------------


def test_an_admin_without_the_mixin_fails_the_system_checks():
    from django.contrib.admin import ModelAdmin

    from config.admin_site import ConsoleAdminSite

    site = ConsoleAdminSite(name="probe")
    site.register(Slot, ModelAdmin)
    ids = {error.id for error in site.check(None)}
    assert "console.E001" in ids
    assert not {e.id for e in admin.site.check(None)} & {"console.E001", "console.E002"}


# --- a fresh install gives the ARS group its permissions -----------------------------------------------------------


def _group_codenames_after_migrate(env: dict) -> set[str]:
    script = (
        "import django, os; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.contrib.auth.models import Group;"
        f"print(','.join(sorted(Group.objects.get(name={ARS_GROUP!r}).permissions.values_list('codename', flat=True))))"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(result.stdout.strip().splitlines()[-1].split(","))


WANTED = {
    "view_zone",
    "change_zone",
    "add_hostsite",
    "view_slot",
    "view_doctor",
    "change_booking",
    "view_statement",
    "view_statementline",
    "view_cpam",
    "change_cpam",
    "view_message",
    "view_flatrate",
}


def test_a_fresh_sqlite_database_gives_the_ars_group_its_permissions(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SQLITE_PATH=str(tmp_path / "fresh.sqlite3"))
    held = _group_codenames_after_migrate(env)
    assert held >= WANTED
    assert not any(code.endswith(("_user", "_arsmembership", "_group", "_permission")) for code in held)


@pytest.mark.postgres
def test_a_fresh_postgresql_database_gives_the_ars_group_its_permissions(settings):
    import os
    import uuid

    import psycopg

    name = f"fresh_{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    server = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as maintenance:
        maintenance.execute(f'CREATE DATABASE "{name}"')
    try:
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"{base}/{name}"}
        env.pop("TEST_DATABASE_NAME", None)
        held = _group_codenames_after_migrate(env)
        assert held >= WANTED
        assert not any(code.endswith(("_user", "_arsmembership", "_group", "_permission")) for code in held)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
