"""The booking in process: `POST /api/v1/bookings/` through the whole stack (middleware, DRF, the service), timed
and profiled without HTTP, gunicorn or the load generator (issue #20: profile first).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_me \\
        .venv/bin/python -m bench.profile_booking [--requests 300] [--html bench/profiles/booking-inprocess.html]

Books `--requests` distinct free slots for the seeded « bookers » (the pairs of the booking scenario), each
request with its own `Idempotency-Key`, after a warm-up of 30; prints the CPU milliseconds per booking of this
process and of its PostgreSQL backend (psutil on the backend's pid: run it on the database's machine), and with
`--html` writes pyinstrument's profile of the timed requests (its text tree when the name ends in .txt). Every row written is deleted at the end.
"""

import argparse
import io
import json
import sys
import time

import psutil


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--html", default="")
    parser.add_argument("--interval", type=float, default=0.0005)
    args = parser.parse_args(argv)

    from bench.environ import setup_django

    setup_django()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.scenarios import Bench, db
    from bench.seed import load_meta

    with db() as conn:
        with conn.cursor() as cursor:
            meta = load_meta(cursor)
        bench = Bench(meta, port=0, duration=1, log=lambda line: None)
        marks = bench.booking_marks(conn)
        requests = bench.booking_pairs(conn, meta["bookers"], args.requests + args.warmup)
        app = WSGIHandler()  # what gunicorn calls (the bench's code may not import django.test)

        def post(spec: dict) -> int:
            body = json.dumps(spec["json"]).encode()
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": spec["path"],
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "127.0.0.1",
                "REMOTE_ADDR": "127.0.0.1",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": False,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in spec["headers"].items()},
            }
            status: list[str] = []
            response = app(environ, lambda s, headers, exc_info=None: status.append(s))
            for _ in response:
                pass
            response.close()
            return int(status[0].split()[0])

        statuses: dict[int, int] = {}
        profiler = None
        try:
            for spec in requests[: args.warmup]:
                post(spec)
            connection.ensure_connection()
            backend = psutil.Process(connection.connection.info.backend_pid)
            timed = requests[args.warmup :]
            if args.html:
                from pyinstrument import Profiler

                profiler = Profiler(interval=args.interval)
                profiler.start()
            db_before = sum(backend.cpu_times()[:2])
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            for spec in timed:
                status = post(spec)
                statuses[status] = statuses.get(status, 0) + 1
            cpu = time.process_time() - cpu_before
            wall = time.perf_counter() - wall_before
            db_cpu = sum(backend.cpu_times()[:2]) - db_before
            if profiler is not None:
                profiler.stop()
                if args.html.endswith(".txt"):
                    text = profiler.output_text(unicode=True, color=False, show_all=False)
                else:
                    text = profiler.output_html()
                with open(args.html, "w") as fh:
                    fh.write(text)
        finally:
            connection.close()
            bench.undo_bookings(conn, marks)
    n = max(1, len(timed))
    out = {
        "requests": len(timed),
        "statuses": statuses,
        "app_cpu_ms": round(cpu * 1000 / n, 2),
        "db_cpu_ms": round(db_cpu * 1000 / n, 2),
        "wall_ms": round(wall * 1000 / n, 2),
        "profiled": bool(profiler),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
