"""The environment the bench runs the application in: production settings, plain HTTP on loopback.

Every process of a run (this one, gunicorn, the load generator, the timed jobs) gets the same variables, so
they share one SECRET_KEY (sessions made here are valid there) and one database.
"""

import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RESULTS_DIR = ROOT / "bench" / "results"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def bench_env(port: int | None = None) -> dict[str, str]:
    """Production mode (DJANGO_ENV=production) without TLS: gunicorn serves plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k not in {"TEST_DATABASE_NAME", "DEBUG", "SQLITE_PATH"}}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DB_CONN_MAX_AGE=os.environ.get("BENCH_DB_CONN_MAX_AGE", "600"),
        # A broker as in production: the outbox relay is queued, not run inside the request.
        CELERY_BROKER_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        SITE_URL=f"http://127.0.0.1:{port or 8000}",
        LOG_LEVEL="WARNING",
        # The statements' prepared XLSX and PDF (billing.exports.background): the export jobs remove theirs.
        MEDIA_ROOT=str(RESULTS_DIR / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def setup_django() -> None:
    """Configure Django in this process against the bench database (production settings)."""
    os.environ.update(bench_env())
    for key in ("TEST_DATABASE_NAME", "DEBUG"):
        os.environ.pop(key, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database() -> None:
    """Create the bench database if the server has none of that name (needs a role that may CREATE DATABASE)."""
    info = psycopg.conninfo.conninfo_to_dict(database_url())
    name = info.get("dbname", "bench")
    admin = {**info, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def python() -> str:
    return sys.executable
