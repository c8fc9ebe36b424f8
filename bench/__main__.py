"""`python -m bench` (or `make bench`): create and migrate the bench database, seed the national data set if it
is missing (or of another scale, or of another month), serve the application with gunicorn on loopback, run
the scenarios from a separate process, and print one table of figures with the targets and the database's own
limits beside them. Results are also written to bench/results/last.json and last.txt.

    python -m bench                     # full scale (seeds once: about 3 minutes), then every scenario
    python -m bench --scale 0.02        # a quick run on a small data set
    python -m bench seed --scale 1      # only (re)seed
    python -m bench --only search,booking --duration 10

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench) and BENCH_REDIS_URL
(default redis://127.0.0.1:6379/13) say where; nothing else on the server is touched.
"""

import argparse
import os
import signal
import socket
import sys
import time
from datetime import date
from pathlib import Path

import psutil


def neighbours(sample: float = 1.0) -> list[str]:
    """What else keeps the CPU busy (the figures are noisy while other work runs on this 2-core machine)."""
    mine = {os.getpid()}
    procs = []
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            p.cpu_percent(None)
            procs.append(p)
        except psutil.Error:
            pass
    time.sleep(sample)
    busy = []
    for p in procs:
        try:
            cpu = p.cpu_percent(None)
        except psutil.Error:
            continue
        if p.pid in mine or cpu < 5:
            continue
        cmd = " ".join(p.info["cmdline"] or [p.info["name"] or "?"])[:90]
        busy.append((cpu, cmd))
    busy.sort(reverse=True)
    return [f"{cpu:.0f}% {cmd}" for cpu, cmd in busy[:6]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["run", "seed"], default="run")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per load scenario")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated: ceiling,search,booking,race,statement,coverage,admin,planning,directory",
    )
    parser.add_argument(
        "--job-timeout", type=float, default=600, help="seconds an export may take before it is stopped"
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even if the data set is there")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BENCH_WORKERS", "3")),
        help="gunicorn sync workers (3: the issue's reference for the ceiling)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "0")), help="0: a free one")
    args = parser.parse_args(argv)
    # A SIGTERM (timeout, Ctrl-C from make) unwinds normally, so gunicorn is stopped by the `finally` blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from bench.environ import ensure_database, setup_django

    started = time.perf_counter()
    ensure_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from bench.scenarios import OFFLINE, Bench, table
    from bench.seed import check_invariants, load_meta, seed

    print("Bench database:", connection.settings_dict["NAME"], "— migrating …", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    only = {x.strip() for x in args.only.split(",") if x.strip()} or None
    if only and only <= set(OFFLINE) and args.command == "run":
        return offline(only, args, started)
    with connection.cursor() as cursor:
        meta = load_meta(cursor)
    today = date.today()
    stale = meta is None or meta.get("scale") != args.scale or meta.get("seeded_on", "")[:7] != f"{today:%Y-%m}"
    if args.command == "seed" or args.reseed or stale:
        print(f"Seeding the national data set at scale {args.scale} …", flush=True)
        report = seed(args.scale, log=lambda line: print(line, flush=True))
        meta = report.meta
        print(f"Seeded in {report.seconds:.1f} s: {report.counts}", flush=True)
    else:
        print(f"Data set of {meta['seeded_on']} at scale {meta['scale']} (seeded in {meta.get('seed_seconds')} s)")
    with connection.cursor() as cursor:
        violations = check_invariants(cursor)
    print("Invariants on the data set:", violations, flush=True)
    if args.command == "seed":
        return 0 if not any(violations.values()) else 1
    connection.close()

    print("Collecting static files (production storage needs the manifest) …", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    connection.close()

    before = neighbours()
    print("Also running on this machine:", *(before or ["nothing notable"]), sep="\n  ", flush=True)
    bench = Bench(
        meta,
        port=args.port or free_port(),
        duration=args.duration,
        job_timeout=args.job_timeout,
        workers=args.workers,
        log=lambda line: print(line, flush=True),
    )
    rows = bench.run_all(only)
    after = neighbours()

    text = "\n".join(
        [
            f"Bench of {date.today()} on {os.cpu_count()} cores, scale {meta['scale']} "
            f"(seeded in {meta.get('seed_seconds')} s: {meta.get('counts', {}).get('slots')} slots, "
            f"{meta.get('counts', {}).get('bookings')} bookings, {meta.get('counts', {}).get('doctors')} doctors); "
            f"gunicorn -w {args.workers} sync workers, DB_CONN_MAX_AGE=600; {args.duration:.0f} s per load scenario",
            "",
            table(rows),
            "",
            "Also running at the start: " + ("; ".join(before) or "nothing notable"),
            "Also running at the end: " + ("; ".join(after) or "nothing notable"),
            f"Total time: {time.perf_counter() - started:.0f} s",
        ]
    )
    print()
    print(text)
    write_results(text, rows, meta)
    return 0


def write_results(text: str, rows: list, meta: dict) -> None:
    from bench.environ import ROOT
    from bench.scenarios import save

    results = Path(ROOT) / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "last.txt").write_text(text + "\n", encoding="utf-8")
    save(rows, meta, results / "last.json")


def offline(only: set[str], args: argparse.Namespace, started: float) -> int:
    """Scenarios that need neither the national data set nor the server (`--only directory`)."""
    from bench.scenarios import Bench, table

    before = neighbours()
    meta: dict = {"bookers": [], "scale": None}
    bench = Bench(meta, port=args.port or free_port(), duration=args.duration, log=lambda line: print(line, flush=True))
    rows = bench.run_all(only)
    after = neighbours()
    text = "\n".join(
        [
            f"Bench of {date.today()} on {os.cpu_count()} cores: {', '.join(sorted(only))} (no data set, no server)",
            "",
            table(rows),
            "",
            "Also running at the start: " + ("; ".join(before) or "nothing notable"),
            "Also running at the end: " + ("; ".join(after) or "nothing notable"),
            f"Total time: {time.perf_counter() - started:.0f} s",
        ]
    )
    print()
    print(text)
    write_results(text, rows, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
