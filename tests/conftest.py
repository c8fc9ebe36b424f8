"""Personas, named for who they are, so a permission test reads as a table.

`doctor` and `other_doctor` are `Doctor` objects (their account is `.user`); the others are `User` objects.
"""

import os
import shutil

import hypothesis
import pytest
from django.db import connection

from accounts.authority import ARS_GROUP, ensure_ars_group, scope_of
from tests import factories as f

# Property tests assert behaviour, never speed: Hypothesis' per-example deadline (200 ms) failed a SIREN test
# while the machine's two cores were busy. Benchmarks live in bench/.
hypothesis.settings.register_profile("project", deadline=None)
hypothesis.settings.load_profile("project")


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason printed, what this run's services cannot support."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    has_broker = bool(os.environ.get("CELERY_BROKER_URL"))
    has_chromium = bool(os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)"))
        if "redis" in item.keywords and not has_broker:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL (CI does)"))
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(pytest.mark.skip(reason="needs Chromium (/usr/bin/chromium): .ci/run installs it"))


@pytest.fixture(autouse=True)
def _fast_test_clients(settings):
    """Every persona has a password: hashing them at production strength would dominate the run time. And each
    test client builds its own middleware chain, in which WhiteNoise would index every static file (thousands,
    with the DSFR) unless it looks files up on request."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _cache_per_worker(settings, worker_id):
    """With Redis as the cache, xdist workers share one server: each gets its own key space, so one worker's
    requests never count toward another's throttles or lockouts, and one worker's `cache.clear()` never empties
    another's."""
    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{worker_id}"
    if caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # Django's clear() would flush the database the workers share: ours clears this worker's keys only.
        caches["default"]["BACKEND"] = "tests.worker_cache.WorkerRedisCache"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Prepared files (statements' XLSX and PDF) go to a directory of the test's own, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _relay_every_commit(settings):
    """The « relay already queued » flag lives in the cache, which outlives a test: off unless a test turns it on
    (tests/notifications/test_relay_debounce.py)."""
    settings.OUTBOX_RELAY_DEBOUNCE_SECONDS = 0


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks run in-process unless a test is marked `redis` (it then talks to a real worker)."""
    from config.celery import app

    if "redis" in request.keywords:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def zone(db):
    return f.ZoneFactory()


@pytest.fixture
def site(zone):
    return f.HostSiteFactory(zone=zone)


@pytest.fixture
def other_site(zone):
    return f.HostSiteFactory(zone=zone)


@pytest.fixture
def flat_rate(db):
    return f.FlatRateFactory()


@pytest.fixture
def doctor(zone):
    return f.DoctorFactory(zones=[zone])


@pytest.fixture
def other_doctor(zone):
    return f.DoctorFactory(zones=[zone])


@pytest.fixture
def site_member(site):
    return f.SiteMembershipFactory(site=site).user


@pytest.fixture
def other_site_member(other_site):
    return f.SiteMembershipFactory(site=other_site).user


@pytest.fixture
def ars_staff(zone):
    user = f.ArsMembershipFactory(region=zone.department.region).user
    user.groups.add(ensure_ars_group())
    scope_of(user)  # read once, as a request reads it for its user: query counts measure the work, not this
    return user


# Region B: the other region. Its department codes (2A, 2B) are ones DepartmentFactory's sequence never makes, so
# a test's departments of region A (84) and of region B never meet through `django_get_or_create`.
OTHER_REGION = {"code": "53", "name": "Bretagne"}


@pytest.fixture
def other_zone(db):
    """A zone of region B (the `zone` fixture is in region A)."""
    region = f.RegionFactory(**OTHER_REGION)
    return f.ZoneFactory(department=f.DepartmentFactory(code="2A", region=region))


@pytest.fixture
def ars_other_region(other_zone):
    """ARS staff of region B: everything of region A is outside their scope."""
    user = f.ArsMembershipFactory(region=other_zone.department.region).user
    user.groups.add(ensure_ars_group())
    scope_of(user)
    return user


@pytest.fixture
def staff_without_region(db):
    """A staff account no region was given yet: it sees nothing."""
    user = f.UserFactory(is_staff=True)
    user.groups.add(ensure_ars_group())
    scope_of(user)
    return user


@pytest.fixture
def superuser(db):
    """National: every region."""
    user = f.UserFactory(is_staff=True, is_superuser=True)
    scope_of(user)
    return user


@pytest.fixture
def cpam_agent(doctor):
    """An agent of the CPAM de rattachement of `doctor` (the CPAM of their main practice's department)."""
    cpam = f.CpamFactory(department=doctor.practice_department)
    return f.CpamMembershipFactory(cpam=cpam).user


@pytest.fixture
def slot(site):
    return f.SlotFactory(site=site)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


__all__ = ["ARS_GROUP"]


# ARS sessions opened with client.force_login pass the second factor (see tests/security/otp.py).
from tests.security.otp import staff_force_login_passes_second_factor  # noqa: E402,F401

# --- strictness the code must hold (les-emplois' conftest checks) -------------------------------------------------


STRICT_TEMPLATE_DIRS = ("notifications/",)


@pytest.fixture(autouse=True)
def _undefined_template_variables_fail(monkeypatch):
    """Our e-mail templates (templates/notifications/) render with a context that must hold every variable they
    print, unless they say what to print instead (`|default`). Django's admin and the DSFR's templates rely on
    missing variables printing nothing, so the check applies to the templates we write for messages, where a silent
    blank reaches a person. Conditions (`{% if %}`) may test a missing variable."""
    from django.template import base

    original = base.FilterExpression.resolve
    fallbacks = {"default", "default_if_none"}

    def resolve(self, context, ignore_failures=False):
        template = getattr(getattr(getattr(context, "template", None), "origin", None), "template_name", "") or ""
        if not ignore_failures and isinstance(self.var, base.Variable) and template.startswith(STRICT_TEMPLATE_DIRS):
            try:
                self.var.resolve(context)
            except base.VariableDoesNotExist:
                if not any(getattr(function, "__name__", "") in fallbacks for function, _ in self.filters):
                    raise AssertionError(f"{template} : variable inconnue {self.var.var!r}") from None
        return original(self, context, ignore_failures)

    monkeypatch.setattr(base.FilterExpression, "resolve", resolve)


@pytest.fixture(autouse=True)
def _select_for_update_names_its_tables(monkeypatch):
    """`select_for_update()` with `select_related()` and no `of=` locks every joined row (the site, the zone, the
    user...) on PostgreSQL: a lock wider than the rule needs, and a deadlock waiting to happen. Refused in tests."""
    from django.db.models.sql.compiler import SQLCompiler

    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        query = self.query
        if query.select_for_update and query.select_related and not query.select_for_update_of:
            raise AssertionError("select_for_update() avec select_related() doit nommer ses tables : of=('self', …)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)


@pytest.fixture
def personas(
    doctor,
    other_doctor,
    site_member,
    other_site_member,
    cpam_agent,
    ars_staff,
    ars_other_region,
    staff_without_region,
    superuser,
) -> dict:
    """Every persona of the permission matrices (API, pages), by name, over two regions: the user who acts."""
    return {
        "anonymous": None,
        "doctor": doctor.user,
        "other_doctor": other_doctor.user,
        "site_member": site_member,
        "other_site_member": other_site_member,
        "cpam_agent": cpam_agent,
        "ars_staff": ars_staff,
        "ars_other_region": ars_other_region,
        "staff_without_region": staff_without_region,
        "superuser": superuser,
    }
