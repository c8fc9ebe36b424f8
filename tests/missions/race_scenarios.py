"""Race scenarios, shared by the PostgreSQL tests (threads inside the pytest process, on the test database) and the
SQLite tests (threads inside a child process, on a file database with the embedded default's settings).

Each scenario builds its data, starts real threads — each on its own database connection, opened before the
start line — lines them up on a barrier, lets every one call the real service, and returns what each thread got
and what the database holds afterwards, as plain JSON-able data. The assertions live in test_races.py.

Run one by hand on SQLite: `SQLITE_PATH=/tmp/x.sqlite3 .venv/bin/python manage.py migrate` then
`SQLITE_PATH=/tmp/x.sqlite3 .venv/bin/python -m tests.missions.race_scenarios '[["same_date", {"threads": 8}]]'`.
"""

import json
import sys
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

OK, REFUSED, ERROR = "ok", "refused", "error"


def race(calls: list[Callable[[], Any]], relay: bool = False) -> list[list[str]]:
    """Run each call in its own thread, all released at once; [outcome, detail] per call, in order.

    A RuleViolation is a refusal (detail: its code). Anything else — an IntegrityError, a deadlock, « database
    is locked » — is an error: a race the engine let leak out. With `relay`, each commit relays the outbox at
    once, as in production, so the relays race too; without, messages wait (the relay is CPU the rules don't need).
    """
    from django.db import connection, connections

    from core.errors import RuleViolation
    from notifications.outbox import relay_held

    barrier = threading.Barrier(len(calls))
    outcomes: list[list[str]] = [[ERROR, "thread did not finish"] for _ in calls]

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # this thread's own connection, opened before the start line
            barrier.wait(timeout=60)
            with nullcontext() if relay else relay_held():
                call()
            outcomes[index] = [OK, ""]
        except RuleViolation as exc:
            outcomes[index] = [REFUSED, exc.code]
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
            outcomes[index] = [ERROR, f"{type(exc).__name__}: {exc}"]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def _booker(doctor, slot) -> Callable[[], Any]:
    from missions import services

    return lambda: services.book_slot(doctor=doctor, slot=slot, by=doctor.user)


def _world():
    from tests import factories as f

    zone = f.ZoneFactory()
    site = f.HostSiteFactory(zone=zone)
    return f, zone, site


def one_place_slot(threads: int, capacity: int = 1) -> dict:
    """(a) `threads` doctors race for a slot of `capacity` places; the outbox relays race along."""
    from django.core import mail
    from django.utils import timezone

    from missions.models import Booking
    from notifications.models import Message

    f, zone, site = _world()
    slot = f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=20), capacity=capacity)
    doctors = [f.DoctorFactory(zones=[zone]) for _ in range(threads)]
    outcomes = race([_booker(doctor, slot) for doctor in doctors], relay=True)
    return {
        "outcomes": outcomes,
        "active": Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE_STATUSES).count(),
        "rows": Booking.objects.filter(slot=slot).count(),
        "messages": Message.objects.filter(kind="booking_requested").count(),
        "sent": Message.objects.filter(kind="booking_requested", status="sent").count(),
        "delivered": len(getattr(mail, "outbox", [])),
    }


def monthly_cap(threads: int, period: str = "full_day", slots: int = 8) -> dict:
    """(b) one doctor's `threads` requests race for `slots` slots on different days of one month."""
    from missions.models import Booking
    from missions.services import month_days_booked
    from tests.missions.conftest import month_ahead

    f, zone, site = _world()
    month = month_ahead(2)
    doctor = f.DoctorFactory(zones=[zone])
    targets = [f.SlotFactory(site=site, date=month + timedelta(days=2 * i), period=period) for i in range(slots)]
    outcomes = race([_booker(doctor, targets[i % slots]) for i in range(threads)])
    active = Booking.objects.filter(doctor=doctor, status__in=Booking.ACTIVE_STATUSES)
    return {
        "outcomes": outcomes,
        "days": str(month_days_booked(doctor.pk, month)),
        "active": active.count(),
        "dates": active.values("date").distinct().count(),
    }


def same_date(threads: int) -> dict:
    """(c) one doctor's `threads` requests race for two slots (two sites) on the same date."""
    from django.utils import timezone

    from missions.models import Booking

    f, zone, site = _world()
    day = timezone.localdate() + timedelta(days=25)
    here = f.SlotFactory(site=site, date=day, capacity=threads)
    there = f.SlotFactory(site=f.HostSiteFactory(zone=zone), date=day, period="morning", capacity=threads)
    doctor = f.DoctorFactory(zones=[zone])
    outcomes = race([_booker(doctor, (here, there)[i % 2]) for i in range(threads)])
    return {
        "outcomes": outcomes,
        "active": Booking.objects.filter(doctor=doctor, status__in=Booking.ACTIVE_STATUSES).count(),
        "rows": Booking.objects.filter(doctor=doctor).count(),
    }


def cancel_versus_confirm(threads: int, rounds: int) -> dict:
    """(d) in each round, `threads // 2` requested bookings are each confirmed by the site and cancelled by their
    doctor at the same instant. Returns, per booking, both outcomes, the final state and the history."""
    from django.utils import timezone

    from missions import services
    from missions.models import BookingStatus
    from notifications.models import Message

    f, zone, site = _world()
    member = f.SiteMembershipFactory(site=site).user
    pairs = threads // 2
    doctors = [f.DoctorFactory(zones=[zone]) for _ in range(pairs)]
    # Each doctor's slot at a site of its own, all with the same member: the pairs run side by side instead
    # of queueing on one slot's lock, and only the two calls on the same booking contend.
    sites = [f.HostSiteFactory(zone=zone) for _ in doctors]
    for other in sites:
        f.SiteMembershipFactory(site=other, user=member)
    results = []
    for round_ in range(rounds):
        day = timezone.localdate() + timedelta(days=10 + round_)
        bookings = [
            f.BookingFactory(doctor=d, slot=f.SlotFactory(site=s, date=day), status=BookingStatus.REQUESTED)
            for d, s in zip(doctors, sites, strict=True)
        ]
        calls: list[Callable[[], Any]] = []
        for booking in bookings:
            calls.append(lambda b=booking: services.confirm_booking(b, by=member))
            calls.append(lambda b=booking: services.cancel_booking(b, by=b.doctor.user, reason="Empêchement"))
        outcomes = race(calls)
        for i, booking in enumerate(bookings):
            booking.refresh_from_db()
            history = list(booking.history.order_by("history_date", "history_id"))
            kinds = set(
                Message.objects.filter(dedup_key__startswith=f"booking:{booking.pk}:").values_list("kind", flat=True)
            )
            results.append(
                {
                    "confirm": outcomes[2 * i],
                    "cancel": outcomes[2 * i + 1],
                    "status": booking.status,
                    "confirmed": booking.confirmed_at is not None and booking.confirmed_by_id == member.pk,
                    "cancelled_by_doctor": booking.cancelled_by_id == booking.doctor.user_id,
                    "late": booking.late_cancellation,
                    "history": [h.status for h in history],
                    "history_users": [h.history_user_id for h in history[1:]],
                    "users": {"site": member.pk, "doctor": booking.doctor.user_id},
                    "messages": sorted(kinds),
                }
            )
    return {"bookings": results}


def close_versus_book(threads: int) -> dict:
    """(e) the site closes a slot while `threads - 1` doctors try to book it."""
    from django.utils import timezone

    from missions import services
    from missions.models import Booking
    from notifications.models import Message

    f, zone, site = _world()
    member = f.SiteMembershipFactory(site=site).user
    slot = f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=15), capacity=20)
    doctors = [f.DoctorFactory(zones=[zone]) for _ in range(threads - 1)]
    calls = [lambda: services.close_slot(slot, by=member, reason="Fermeture exceptionnelle")]
    calls += [_booker(doctor, slot) for doctor in doctors]
    outcomes = race(calls)
    slot.refresh_from_db()
    return {
        "outcomes": outcomes,
        "slot_status": slot.status,
        "still_active": Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE_STATUSES).count(),
        "cancelled_by_close": Booking.objects.filter(slot=slot, status="cancelled", cancelled_by=member).count(),
        "rows": Booking.objects.filter(slot=slot).count(),
        "told": Message.objects.filter(kind="slot_closed").count(),
    }


def publish_same_slot(threads: int) -> dict:
    """(f) `threads` publications of the same slot (site, date, period) at once, alone or in a batch."""
    from django.utils import timezone

    from sites.models import Slot
    from sites.services import publish_slot, publish_slots

    f, zone, site = _world()
    member = f.SiteMembershipFactory(site=site).user
    day = timezone.localdate() + timedelta(days=30)
    batch = [day, day + timedelta(days=7)]
    calls: list[Callable[[], Any]] = []
    for i in range(threads):
        if i % 2:
            calls.append(lambda: publish_slots(site=site, dates=batch, period="morning", by=member))
        else:
            calls.append(lambda: publish_slot(site=site, date=day, period="morning", by=member))
    outcomes = race(calls)
    return {
        "outcomes": outcomes,
        "open": Slot.objects.filter(site=site, status=Slot.Status.OPEN).count(),
        "open_that_day": Slot.objects.filter(site=site, date=day, status=Slot.Status.OPEN).count(),
    }


SCENARIOS = {
    "one_place_slot": one_place_slot,
    "monthly_cap": monthly_cap,
    "same_date": same_date,
    "cancel_versus_confirm": cancel_versus_confirm,
    "close_versus_book": close_versus_book,
    "publish_same_slot": publish_same_slot,
}
MARKER = "RACE-RESULT "


def main(argv: list[str]) -> None:
    """Child-process entry point: run scenarios (a JSON list of [name, kwargs]) on the configured database, one
    after the other, and print their results as one JSON list."""
    import django

    django.setup()
    from django.test.utils import override_settings

    results = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for name, kwargs in json.loads(argv[0]):
            results.append(SCENARIOS[name](**kwargs))
    sys.stdout.write(MARKER + json.dumps(results) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
