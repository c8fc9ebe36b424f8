"""Real parallel transactions against the booking engine (DESIGN.md « Rules that hold under concurrency »).

On PostgreSQL: 32 threads in this process, each on its own connection to the test database, lined up on a barrier
(`race_scenarios.race`). On SQLite: the same scenarios in a child process on a migrated *file* database with the
embedded default's settings (WAL, immediate transactions, 20 s busy timeout) — the in-memory test database that
pytest uses cannot be shared by threads for writing. Every loser must get a RuleViolation with the expected code:
never an IntegrityError, a deadlock or « database is locked ».
"""

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from tests.missions import race_scenarios as scenarios
from tests.missions.race_scenarios import ERROR, OK, REFUSED

THREADS = 32
ROUNDS = 20


# --- what every scenario must show, on either database ---------------------------------------------------------------


def tally(outcomes) -> Counter:
    errors = [detail for outcome, detail in outcomes if outcome == ERROR]
    assert not errors, errors
    return Counter(outcome if outcome == OK else detail for outcome, detail in outcomes)


def check_one_place_slot(result, threads, capacity=1):
    assert tally(result["outcomes"]) == {OK: capacity, "slot_full": threads - capacity}
    assert result["active"] == result["rows"] == capacity
    assert result["messages"] == capacity  # one request message to the site per booking that exists
    assert result["sent"] == result["delivered"] == capacity  # racing relays send each message once


def check_monthly_cap(result, threads, winners):
    got = tally(result["outcomes"])
    assert got[OK] == winners
    assert set(got) <= {OK, "monthly_cap_reached", "already_booked_that_day"}
    assert sum(got.values()) == threads
    assert result["active"] == result["dates"] == winners
    assert Decimal(result["days"]) == 2  # never more than MAX_DAYS_PER_MONTH


def check_same_date(result, threads):
    assert tally(result["outcomes"]) == {OK: 1, "already_booked_that_day": threads - 1}
    assert result["active"] == result["rows"] == 1


def check_cancel_versus_confirm(result, pairs, rounds):
    bookings = result["bookings"]
    assert len(bookings) == pairs * rounds
    confirmed_first = 0
    for b in bookings:
        assert ERROR not in (b["confirm"][0], b["cancel"][0]), b
        assert b["cancel"] == [OK, ""], b  # a doctor may always cancel a requested or confirmed booking
        assert b["status"] == "cancelled" and b["cancelled_by_doctor"] and not b["late"], b
        if b["confirm"] == [OK, ""]:  # the confirmation went first, then the cancellation
            confirmed_first += 1
            assert b["confirmed"], b
            assert b["history"] == ["requested", "confirmed", "cancelled"], b
            assert b["history_users"] == [b["users"]["site"], b["users"]["doctor"]], b
            assert b["messages"] == ["booking_cancelled", "booking_confirmed"], b
        else:  # the cancellation went first: confirming a cancelled booking is refused
            assert b["confirm"] == [REFUSED, "invalid_transition"], b
            assert not b["confirmed"], b
            assert b["history"] == ["requested", "cancelled"], b
            assert b["history_users"] == [b["users"]["doctor"]], b
            assert b["messages"] == ["booking_cancelled"], b
    return confirmed_first


def check_close_versus_book(result, threads):
    close, *bookers = result["outcomes"]
    assert close == [OK, ""]
    got = tally(bookers)
    # Bookers that ran before the closure fill the slot (then slot_full); those after it find it closed.
    assert set(got) <= {OK, "slot_closed", "slot_full"}
    assert result["slot_status"] == "closed"
    assert result["still_active"] == 0  # whatever got in before the closure was cancelled by it
    assert result["cancelled_by_close"] == result["rows"] == got[OK]
    assert result["told"] == got[OK]


def check_publish_same_slot(result):
    got = tally(result["outcomes"])
    # Each publication either creates its slots or is told the slot exists; batches skip, never fail, on a clash.
    assert set(got) <= {OK, "slot_exists"}
    assert result["open_that_day"] == 1
    assert result["open"] == 2


# --- PostgreSQL: threads in this process ----------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [1, 5])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_doctors_race_for_a_slot(capacity):
    check_one_place_slot(scenarios.one_place_slot(THREADS, capacity=capacity), THREADS, capacity)


@pytest.mark.parametrize(("period", "winners"), [("full_day", 2), ("morning", 4)])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_doctor_races_for_eight_slots_in_a_month(period, winners):
    check_monthly_cap(scenarios.monthly_cap(THREADS, period=period), THREADS, winners)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_doctor_races_for_two_slots_on_the_same_date():
    check_same_date(scenarios.same_date(THREADS), THREADS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancellation_races_confirmation():
    result = scenarios.cancel_versus_confirm(THREADS, rounds=ROUNDS)
    check_cancel_versus_confirm(result, THREADS // 2, ROUNDS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_closing_races_booking():
    check_close_versus_book(scenarios.close_versus_book(THREADS), THREADS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_publishing_the_same_slot_twice_at_once():
    check_publish_same_slot(scenarios.publish_same_slot(THREADS))


# --- SQLite: the same scenarios in a child process, on a file database --------------------------------------------------

SQLITE_THREADS = 16
ROOT = Path(settings.BASE_DIR)


def child_env(sqlite_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_NAME", "CELERY_BROKER_URL"}}
    env.update(
        SQLITE_PATH=str(sqlite_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        DEBUG="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        REDIS_URL="",
    )
    return env


SQLITE_SCENARIOS = {
    "one_place_slot": {"threads": SQLITE_THREADS},
    "monthly_cap": {"threads": SQLITE_THREADS},
    "same_date": {"threads": SQLITE_THREADS},
    "cancel_versus_confirm": {"threads": 8, "rounds": 5},
    "close_versus_book": {"threads": SQLITE_THREADS},
    "publish_same_slot": {"threads": SQLITE_THREADS},
}


def run_child(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


@pytest.fixture(scope="module")
def sqlite_results(tmp_path_factory) -> dict[str, dict]:
    """Every SQLite scenario, run once for the module in one child process on a freshly migrated file database."""
    database = tmp_path_factory.mktemp("race-sqlite") / "race.sqlite3"
    env = child_env(database)
    run_child(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    plan = [[name, kwargs] for name, kwargs in SQLITE_SCENARIOS.items()]
    done = run_child(["-m", "tests.missions.race_scenarios", json.dumps(plan)], env)
    lines = [line for line in done.stdout.splitlines() if line.startswith(scenarios.MARKER)]
    assert len(lines) == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return dict(zip(SQLITE_SCENARIOS, json.loads(lines[0][len(scenarios.MARKER) :]), strict=True))


def test_sqlite_doctors_race_for_a_slot(sqlite_results):
    check_one_place_slot(sqlite_results["one_place_slot"], SQLITE_THREADS)


def test_sqlite_one_doctor_races_for_eight_slots_in_a_month(sqlite_results):
    check_monthly_cap(sqlite_results["monthly_cap"], SQLITE_THREADS, winners=2)


def test_sqlite_one_doctor_races_for_two_slots_on_the_same_date(sqlite_results):
    check_same_date(sqlite_results["same_date"], SQLITE_THREADS)


def test_sqlite_cancellation_races_confirmation(sqlite_results):
    check_cancel_versus_confirm(sqlite_results["cancel_versus_confirm"], 4, 5)


def test_sqlite_closing_races_booking(sqlite_results):
    check_close_versus_book(sqlite_results["close_versus_book"], SQLITE_THREADS)


def test_sqlite_publishing_the_same_slot_twice_at_once(sqlite_results):
    check_publish_same_slot(sqlite_results["publish_same_slot"])
