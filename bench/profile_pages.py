"""Profile a page of the served application in process, with pyinstrument, against the bench database.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_me \\
        .venv/bin/python -m bench.profile_pages /ars/ bench/profiles/ars-after.html [--repeat 5]

Production settings (bench.environ), signed in as the bench's ARS agent (the largest region), one request to
warm up (templates, connection, caches), then `--repeat` requests under the profiler; prints the page's size,
its queries and the mean wall time, and writes pyinstrument's HTML report. The server's own profile (py-spy on a
gunicorn worker under the load generator) is the other view: bench/README.md says how each profile was made.
"""

import argparse
import json
import sys
import time

from bench.environ import setup_django


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("output")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--text", action="store_true", help="also print the profile as text")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from pyinstrument import Profiler

    from bench.jobs import session

    meta = json.loads(_meta())
    cookie = session(meta["ars"]["email"])
    client = _Client(WSGIHandler(), f"{cookie['cookie']}={cookie['key']}")

    status, size = client.get(args.path)
    assert status == 200, status
    queries: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(timed):
        client.get(args.path)
    cpus = []
    for _ in range(max(args.repeat, 3)):
        started_cpu = time.process_time()
        client.get(args.path)
        cpus.append(time.process_time() - started_cpu)
    cpu = min(cpus)
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    profiler.start()
    for _ in range(args.repeat):
        client.get(args.path)
    profiler.stop()
    elapsed = (time.perf_counter() - started) / args.repeat
    with open(args.output, "w") as out:
        out.write(profiler.output_html())
    if args.text:
        print(profiler.output_text(unicode=True, show_all=False))
    print(
        f"{args.path}: {size / 1024:.0f} KB, {len(queries)} queries, the least CPU of a request {cpu * 1000:.1f} ms "
        f"(this process: Django, not PostgreSQL) without the profiler; {elapsed * 1000:.1f} ms a request (wall) under it"
    )
    for seconds, sql in queries:
        print(f"  {seconds * 1000:7.1f} ms  {sql[:150]}")


class _Client:
    """GET through the WSGI handler as gunicorn calls it (no test client: bench/ is held to production imports)."""

    def __init__(self, handler, cookie: str):
        self.handler, self.cookie = handler, cookie

    def get(self, path: str) -> tuple[int, int]:
        from wsgiref.util import setup_testing_defaults

        path, _, query = path.partition("?")
        environ = {"PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": self.cookie}
        setup_testing_defaults(environ)
        statuses = []
        body = b"".join(self.handler(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        return int(statuses[0].split()[0]), len(body)


def _meta() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT value::text FROM bench_meta WHERE key = 'seed'")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main(sys.argv[1:])
