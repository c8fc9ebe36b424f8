"""Timed jobs the bench runs in a fresh Python process each (so that each peak RSS is that job's own):

    python -m bench.jobs session EMAIL            → a logged-in session key (with the second factor passed)
    python -m bench.jobs statement CPAM_ID MONTH  → generate that CPAM-month's statement from scratch, timed
    python -m bench.jobs export FORMAT STMT_ID    → build the CSV (streamed), or run the XLSX or PDF job, timed
    python -m bench.jobs export-sql STMT_ID       → the SQL of the CSV export's query (for COPY beside it)
    python -m bench.jobs booking-sql DOCTOR SLOT  → the SQL statements of one booking transaction, rolled back
    python -m bench.jobs directory-file PATH N    → write a synthetic RPPS extraction of N lines (bench.directory)
    python -m bench.jobs directory-load PATH      → load it as the RPPS directory (directory.loading), timed
    python -m bench.jobs planning MONTH           → every region's plan of MONTH, optimiser and greedy, rolled back
    python -m bench.jobs coverage-refresh         → the `coverage` job: the dashboard's precomputed coverage, timed

Each prints one JSON object. The process runs with the bench environment (bench.environ.bench_env).
"""

import json
import resource
import sys
import time
from datetime import date, timedelta


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB.

    Linux's `VmHWM`, the high-water mark of this program's own memory: `ru_maxrss` survives `exec`, so a job
    started by a bench runner that had grown to 330 MB (the booking scenario's planned pairs) reported 330 MB
    whatever it used itself."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def session(email: str) -> dict:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.get(email=email)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if "django_otp" in settings.INSTALLED_APPS:  # ARS staff must have passed their second factor
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return {"cookie": settings.SESSION_COOKIE_NAME, "key": store.session_key}


def statement(cpam_id: int, month: str) -> dict:
    from django.db import connection

    from billing.models import Cpam, Statement
    from billing.services import generate_statement

    first = date.fromisoformat(month)
    # From scratch: a draft of this CPAM-month (from an earlier run) is dropped first, untimed.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM billing_statementexport WHERE statement_id IN "
            "(SELECT id FROM billing_statement WHERE cpam_id = %s AND month = %s AND status = 'draft')",
            [cpam_id, first],
        )
        cursor.execute(
            "DELETE FROM billing_statementline WHERE statement_id IN "
            "(SELECT id FROM billing_statement WHERE cpam_id = %s AND month = %s AND status = 'draft')",
            [cpam_id, first],
        )
        cursor.execute(
            "DELETE FROM billing_statement WHERE cpam_id = %s AND month = %s AND status = 'draft'", [cpam_id, first]
        )
    cpam = Cpam.objects.get(pk=cpam_id)
    before = current_rss_mb()
    started = time.perf_counter()
    result = generate_statement(cpam, first)
    seconds = time.perf_counter() - started
    lines = Statement.objects.get(pk=result.pk).line_count if result else 0
    return {
        "seconds": round(seconds, 2),
        "lines": lines,
        "statement_id": result.pk if result else None,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def export(fmt: str, statement_id: int) -> dict:
    """The CSV as the streamed response builds it; the XLSX and PDF as the background job does (its claim, the file
    built with its progress recorded, stored under MEDIA_ROOT, the job marked ready): `run_export`, in this process."""
    from billing.exports import csv_rows
    from billing.models import Statement

    stmt = Statement.objects.select_related("cpam__department__region").get(pk=statement_id)
    if fmt in ("xlsx", "pdf"):
        return export_job(fmt, stmt)
    if fmt != "csv":
        raise SystemExit(f"unknown format {fmt}")
    before = current_rss_mb()
    started = time.perf_counter()  # no tracemalloc here: it slows allocation-heavy code several times
    size = 0
    for chunk in csv_rows(stmt):  # what the streamed response sends, encoded as it does
        size += len(chunk.encode("utf-8"))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def export_job(fmt: str, stmt) -> dict:
    """One export job of `stmt` in `fmt`, timed from its claim to its file stored; the job and file are then
    removed (a run leaves nothing behind; the next run builds the file again)."""
    from django.utils import timezone

    from billing.exports import background
    from billing.models import StatementExport

    StatementExport.objects.filter(statement=stmt, format=fmt).delete()
    job = StatementExport.objects.create(
        statement=stmt,
        format=fmt,
        content_key=background.content_key(stmt),
        requested_at=timezone.now(),
        rows_total=stmt.line_count,
    )
    before = current_rss_mb()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    outcome = background.run_export(job.pk)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    job.refresh_from_db()
    size = job.size
    if job.file:
        job.file.storage.delete(job.file.name)
    job.delete()
    if outcome != "ready":
        raise SystemExit(f"export job {fmt}: {outcome} ({job.error})")
    return {
        "seconds": round(seconds, 2),
        "bytes": size,
        "rows_done": job.rows_done,
        "cpu_seconds": round(cpu, 2),  # of this process (the job's own CPU: less sensitive to a busy machine)
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def export_sql(statement_id: int) -> dict:
    """The CSV export's query with its parameters bound, as PostgreSQL would run it."""
    import psycopg
    from django.db import connection

    from billing.exports.columns import FIELDS
    from billing.lines import READING_ORDER
    from billing.models import Statement

    stmt = Statement.objects.get(pk=statement_id)
    qs = stmt.lines.order_by(*READING_ORDER).values(*FIELDS)
    sql, params = qs.query.sql_with_params()
    connection.ensure_connection()
    bound = psycopg.ClientCursor(connection.connection).mogrify(sql, params)
    return {"sql": bound}


def booking_sql(doctor_id: int, slot_id: int) -> dict:
    """The statements one `book_slot` sends, captured and rolled back (to mirror them in pgbench)."""
    from django.db import connection, transaction

    from missions.models import Doctor
    from missions.services import book_slot
    from sites.models import Slot

    doctor = Doctor.objects.select_related("user").get(pk=doctor_id)
    slot = Slot.objects.get(pk=slot_id)
    captured: list[str] = []

    def capture(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        finally:  # the statement as the server ran it, parameters bound (what Django's debug cursor logs)
            captured.append(connection.ops.last_executed_query(context["cursor"], sql, params))

    with connection.execute_wrapper(capture):
        try:
            with transaction.atomic():
                book_slot(doctor=doctor, slot=slot, by=doctor.user)
                raise _Rollback
        except _Rollback:
            pass
    return {"count": len(captured), "sql": captured}


def directory_file(path: str, lines: int) -> dict:
    from pathlib import Path

    from bench.directory import write_extraction

    started = time.perf_counter()
    out = write_extraction(Path(path), lines)
    return {**out, "seconds": round(time.perf_counter() - started, 2)}


def directory_load(path: str) -> dict:
    """The command's own work (directory.loading.load_directory), in this fresh process: its peak RSS is the load's."""
    from pathlib import Path

    from directory.loading import load_directory

    rss_before = current_rss_mb()
    started = time.perf_counter()
    report = load_directory(Path(path))
    seconds = time.perf_counter() - started
    load = report.load
    return {
        "seconds": round(seconds, 2),
        "lines": load.lines,
        "rpps_lines": load.rpps_lines,
        "entries": load.entries,
        "persons": load.persons,
        "bytes": load.file_bytes,
        "lines_per_second": round(load.lines / seconds),
        "peak_rss_mb": round(rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
    }


class _Rollback(Exception):
    pass


def planning(month: str, share: float = 0.2, release: float = 0.8, seed: int = 18) -> dict:
    """Plan every region for `month` with the optimiser and the greedy baseline, side by side, timed.

    The national data set is a month already booked (every zone over its target) and holds no availability
    (bench/seed.py). So, inside a transaction rolled back at the end (the database is left as it was): the plan is
    made as an ARS makes it, before most doctors booked — `release` of the month's active bookings are set aside
    (cancelled) — and `share` of the validated doctors declare three days of the month each (seeded: the same
    ones every run). Each region is then read (planning.problem) and solved on its own, as a plan is."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from missions.models import Availability, Booking, Doctor
    from planning.problem import read_problem
    from planning.services import figures, solve
    from sites.models import Region

    first = date.fromisoformat(month)
    days = [d for d in range(1, 29) if date(first.year, first.month, d) >= timezone.localdate()]
    rng = random.Random(seed)
    out: dict = {"month": month, "regions": []}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            month_bookings = Booking.objects.filter(
                date__gte=first,
                date__lt=(first + timedelta(days=32)).replace(day=1),
                status__in=Booking.ACTIVE_STATUSES,
            )
            ids = sorted(month_bookings.values_list("pk", flat=True))
            set_aside = [pk for pk in ids if rng.random() < release]
            for i in range(0, len(set_aside), 5000):
                Booking.objects.filter(pk__in=set_aside[i : i + 5000]).update(status=Booking.Status.CANCELLED)
            out["bookings_set_aside"] = len(set_aside)
            doctors = list(Doctor.objects.filter(status=Doctor.Status.VALIDATED).values_list("pk", flat=True))
            rows = []
            for pk in doctors:
                if rng.random() >= share:
                    continue
                for d in rng.sample(days, min(3, len(days))):
                    period = rng.choices(["full_day", "morning", "afternoon"], [0.7, 0.15, 0.15])[0]
                    rows.append(Availability(doctor_id=pk, date=date(first.year, first.month, d), period=period))
            Availability.objects.bulk_create(rows, batch_size=5000)
            out["availability_rows"] = len(rows)
            out["availability_seconds"] = round(time.perf_counter() - started, 2)
            from ortools.sat.python import cp_model  # noqa: F401 - imported once, untimed (about a second)

            total = time.perf_counter()
            for region in Region.objects.order_by("code"):
                t0 = time.perf_counter()
                problem = read_problem(region, first)
                read = time.perf_counter() - t0
                best, baseline = solve(problem)
                result = figures(problem, best, baseline)
                target = result["target_units"] or 1
                out["regions"].append(
                    {
                        "region": f"{region.code} {region.name}",
                        "zones": len(problem.zones),
                        "slots": len(problem.slots),
                        "doctors": len(problem.doctors),
                        "pairs": best.pairs,
                        "parts": best.parts,
                        "read_seconds": round(read, 3),
                        "target_units": result["target_units"],
                        "booked_units": result["booked_units"],
                        "opt": {
                            "covered": round((result["booked_units"] + result["proposed_units"]) / target, 4),
                            "proposed_units": result["proposed_units"],
                            "under_target": result["zones_short_after"],
                            "doctors_used": result["doctors_used"],
                            "seconds": round(read + best.seconds, 3),
                            "status": best.status,
                        },
                        "greedy": {
                            "covered": round((result["booked_units"] + result["greedy"]["proposed_units"]) / target, 4),
                            "proposed_units": result["greedy"]["proposed_units"],
                            "under_target": _short_after(problem, baseline),
                            "doctors_used": result["greedy"]["doctors_used"],
                            "seconds": round(read + baseline.seconds, 3),
                        },
                    }
                )
            out["country_seconds"] = round(time.perf_counter() - total, 2)
            raise _Rollback
    except _Rollback:
        pass
    out["peak_rss_mb"] = round(rss_mb(), 1)
    return out


def _short_after(problem, solution) -> int:
    covered = solution.covered_units(problem)
    return sum(1 for z in problem.zones if z.need_units > covered.get(z.id, 0))


def coverage_refresh() -> dict:
    """The `coverage` job as beat runs it every five minutes (missions.coverage): every active zone, the twelve
    months of the ARS dashboard, recounted and written."""
    from missions.jobs import run_coverage_refresh

    rss_before = current_rss_mb()
    started = time.perf_counter()
    report = run_coverage_refresh()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": report.claimed,
        "peak_rss_mb": round(rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
    }


def main(argv: list[str]) -> None:
    from bench.environ import setup_django

    setup_django()
    command, args = argv[0], argv[1:]
    if command == "session":
        out = session(args[0])
    elif command == "statement":
        out = statement(int(args[0]), args[1])
    elif command == "export":
        out = export(args[0], int(args[1]))
    elif command == "export-sql":
        out = export_sql(int(args[0]))
    elif command == "booking-sql":
        out = booking_sql(int(args[0]), int(args[1]))
    elif command == "directory-file":
        out = directory_file(args[0], int(args[1]))
    elif command == "directory-load":
        out = directory_load(args[0])
    elif command == "planning":
        out = planning(args[0])
    elif command == "coverage-refresh":
        out = coverage_refresh()
    else:
        raise SystemExit(f"unknown job {command}")
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
