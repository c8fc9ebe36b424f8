"""API fuzzing: schemathesis generates requests for every operation of /api/schema/, as every persona.

Each (persona, operation) pair is fuzzed with schema-valid data (positive) and schema-violating data (negative),
against a small world where the personas own real objects; operations with an `{id}` are fuzzed once more with
the id of a real object of that kind, so that the fuzzer gets past 404. Every response must be a non-5xx and must
conform to the schema (status code documented → body valid). The requests go in-process through Django's WSGI
application: no server, no network, the same middleware as production.

Bounded: `FUZZ_MAX_EXAMPLES` (default 4) examples per pair and mode; at least `MIN_CASES` cases must run in total.
Deterministic (derandomized), so that a CI failure reproduces; `FUZZ_SEED=random` explores new cases locally.
"""

import datetime
import os
import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from billing.services import generate_statement, issue_statement
from missions.models import Booking
from tests import factories as f

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
MIN_CASES = 1000
PERSONAS = ["anonymous", "doctor", "site_member", "ars_staff", "cpam_agent"]
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass
class Tally:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


TALLY: dict[str, Tally] = {}


@pytest.fixture
def in_process_requests(settings):
    """Requests run on the test's own database connection, without throttles getting in the way of the fuzzer."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    rates = {scope: "100000/min" for scope in settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    cache.clear()
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


@pytest.fixture
def world(doctor, other_doctor, site, slot, site_member, ars_staff, cpam_agent, flat_rate):
    """Real objects of every kind the API serves, each persona holding some."""
    today = timezone.localdate()
    requested = f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.REQUESTED)
    confirmed = f.BookingFactory(
        doctor=other_doctor,
        slot=f.SlotFactory(site=site, date=today + datetime.timedelta(days=20), capacity=2),
        status=Booking.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    past = f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=last_month + datetime.timedelta(days=9)),
        status=Booking.Status.COMPLETED,
        consultations=9,
        confirmed_at=timezone.now(),
        attested_at=timezone.now(),
    )
    unattested = f.BookingFactory(
        doctor=other_doctor,
        slot=f.SlotFactory(site=site, date=today - datetime.timedelta(days=1)),
        status=Booking.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    availability = f.AvailabilityFactory(doctor=doctor, date=today + datetime.timedelta(days=40))
    cpam = f.CpamFactory(department=doctor.practice_department)
    statement = generate_statement(cpam, last_month, by=ars_staff)
    issue_statement(statement, by=ars_staff)
    submitted = f.DoctorFactory(zones=[site.zone], status="submitted", validated_at=None)
    users = {
        "doctor": doctor.user,
        "site_member": site_member,
        "ars_staff": ars_staff,
        "cpam_agent": cpam_agent,
    }
    tokens = {name: Token.objects.create(user=user).key for name, user in users.items()}
    ids = {
        "/api/v1/availability/{id}/": availability.pk,
        "/api/v1/bookings/{id}/": requested.pk,
        "/api/v1/bookings/{id}/attest/": unattested.pk,
        "/api/v1/bookings/{id}/cancel/": confirmed.pk,
        "/api/v1/bookings/{id}/confirm/": requested.pk,
        "/api/v1/bookings/{id}/decline/": requested.pk,
        "/api/v1/doctors/{id}/": doctor.pk,
        "/api/v1/doctors/{id}/validate/": submitted.pk,
        "/api/v1/doctors/{id}/reject/": submitted.pk,
        "/api/v1/doctors/{id}/suspend/": doctor.pk,
        "/api/v1/doctors/{id}/reinstate/": doctor.pk,
        "/api/v1/sites/{id}/": site.pk,
        "/api/v1/slots/{id}/": slot.pk,
        "/api/v1/slots/{id}/close/": slot.pk,
        "/api/v1/statements/{id}/": statement.pk,
        "/api/v1/zones/{id}/": site.zone.pk,
    }
    ids.update(
        {
            f"/api/v1/statements/{{id}}/{suffix}/": statement.pk
            for suffix in ("csv", "xlsx", "pdf", "issue", "mark-paid")
        }
    )
    return {"tokens": tokens, "ids": ids, "past": past}


def fuzz(operation, *, headers: dict, mode: GenerationMode, path_parameters: dict | None, tally: Tally) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_SEED") != "random",
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(case=strategy)
    def run(case):
        tally.cases += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (e.g. GET /doctors/me/ has no parameter and no body): no case to run.
        return
    except (Exception, BaseExceptionGroup) as failure:  # collected: one report lists every failed operation
        label = f"{operation.method.upper()} {operation.path} [{mode.value}{', real id' if path_parameters else ''}]"
        tally.failures.append(f"{label}\n{failure}")


_schema = None


def api_schema():
    """Loaded once (through the WSGI application, like every request after it)."""
    global _schema
    if _schema is None:
        _schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    return _schema


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_operation_survives_fuzzing(persona, world, in_process_requests):
    schema = api_schema()
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Token {world['tokens'][persona]}"
    tally = TALLY.setdefault(persona, Tally())
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, "the schema lost operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, headers=headers, mode=mode, path_parameters=None, tally=tally)
        real_id = world["ids"].get(operation.path)
        if real_id is not None:
            fuzz(operation, headers=headers, mode=GenerationMode.POSITIVE, path_parameters={"id": real_id}, tally=tally)
    tally.seconds = time.monotonic() - started
    print(f"API fuzzing as {persona}: {tally.cases} cases in {tally.seconds:.0f} s")

    assert not tally.failures, f"{len(tally.failures)} operation(s) failed as {persona}:\n\n" + "\n\n".join(
        tally.failures
    )
    # The five personas together must run at least MIN_CASES cases.
    assert tally.cases >= MIN_CASES // len(PERSONAS), f"only {tally.cases} cases as {persona}"
