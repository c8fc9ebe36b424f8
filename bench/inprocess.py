"""One endpoint's CPU per request in this process, without HTTP, gunicorn or the load generator (issue #20).

    .venv/bin/python -m bench.inprocess search --requests 2000
    .venv/bin/python -m bench.inprocess ceiling --requests 2000
    .venv/bin/python -m bench.inprocess search --requests 1000 --pyinstrument bench/profiles/search-before.html

The same requests as the served scenarios (`bench.scenarios`: the zones' list of 20 rows; the slot search in a
zone and a month ahead, `available=true`, with the bookers' tokens), sent to Django's WSGI handler with the bench's
production settings and a persistent connection. It prints the CPU milliseconds per request of this process (the
web's share) and of its PostgreSQL backend (the database's), measured after a warm-up: on a machine shared with
other work they move far less than the served scenarios' figures, so a design change is compared here first.
"""

import argparse
import io
import json
import random
import sys
import time
from datetime import date, timedelta

import psutil


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def paths(kind: str, meta: dict, count: int) -> list[tuple[str, str]]:
    """(path and query, token) of each request, seeded: the same every run."""
    tokens = [t for _, t in meta["bookers"]]
    if kind == "ceiling":
        return [("/api/v1/zones/?page_size=20", tokens[0])] * count
    rng = random.Random(7)
    zones = [z for ids in meta["zones_by_region"].values() for z in ids]
    today = date.today()
    months = [date.fromisoformat(m) for m in meta["months"] if date.fromisoformat(m) >= today.replace(day=1)]
    out = []
    for n in range(count):
        zone, first = rng.choice(zones), rng.choice(months)
        query = f"zone={zone}&date_after={first:%Y-%m-%d}&date_before={month_end(first):%Y-%m-%d}&available=true"
        out.append((f"/api/v1/slots/?{query}", tokens[n % len(tokens)]))
    return out


def environ(path: str, token: str) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def run(app, requests: list[tuple[str, str]]) -> list[bytes]:
    bodies = []
    for path, token in requests:
        status: list[str] = []

        def start_response(code: str, headers: list, *exc_info, status: list[str] = status) -> None:
            status.append(code)

        chunks = app(environ(path, token), start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        if not status or not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        bodies.append(body)
    return bodies


def backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("kind", choices=["ceiling", "search"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--pyinstrument", help="write pyinstrument's HTML profile of the measured requests here")
    parser.add_argument("--dump", help="write the answers' bodies (JSON lines) here, to compare two versions")
    args = parser.parse_args(argv)

    from bench.environ import setup_django

    setup_django()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from bench.seed import load_meta

    app = get_wsgi_application()
    with connection.cursor() as cursor:
        meta = load_meta(cursor)
    if meta is None:
        raise SystemExit("no seeded data set in this database: python -m bench seed")
    requests = paths(args.kind, meta, args.warmup + args.requests)
    run(app, requests[: args.warmup])
    backend = psutil.Process(backend_pid(connection))
    me = psutil.Process()

    def cpu(proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system

    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    web0, db0, wall0 = cpu(me), cpu(backend), time.perf_counter()
    bodies = run(app, requests[args.warmup :])
    web1, db1, wall1 = cpu(me), cpu(backend), time.perf_counter()
    if profiler is not None:
        profiler.stop()
        with open(args.pyinstrument, "w") as fh:
            fh.write(profiler.output_html())
        with open(args.pyinstrument.removesuffix(".html") + ".txt", "w") as fh:
            fh.write(profiler.output_text(unicode=True, show_all=False))
    if args.dump:
        with open(args.dump, "wb") as fh:
            for body in bodies:
                fh.write(body + b"\n")
    n = args.requests
    counts = [json.loads(b)["count"] for b in bodies[:200]] if args.kind == "search" else []
    print(
        json.dumps(
            {
                "kind": args.kind,
                "requests": n,
                "web_cpu_ms": round((web1 - web0) * 1000 / n, 2),
                "db_cpu_ms": round((db1 - db0) * 1000 / n, 2),
                "wall_ms": round((wall1 - wall0) * 1000 / n, 2),
                "mean_count": round(sum(counts) / len(counts), 1) if counts else None,
                "profiled": bool(profiler),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
