"""Backup and restore (README « Sauvegarde et restauration »): the demo data, dumped with `pg_dump -Fc` and
restored with `pg_restore` into an empty database, comes back whole — same rows in every table, same statement
totals, same triggers, constraints and sequences — and the application accepts it as up to date."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from billing.models import Statement
from billing.services import generate_statements, issue_statement
from operations.demo import seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[1]


def database_url(name: str) -> str:
    s = connection.settings_dict
    credentials = quote(s["USER"] or "postgres", safe="")
    if s.get("PASSWORD"):
        credentials += ":" + quote(s["PASSWORD"], safe="")
    return f"postgresql://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    assert result.returncode == 0, f"{' '.join(command[:2])} failed:\n{result.stdout}\n{result.stderr}"
    return result


def snapshot(url: str) -> dict:
    """Row counts of every table, statement totals (stored and recomputed), triggers, constraints, sequences."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
        statements = conn.execute(
            """
            SELECT s.id, s.status, s.line_count, s.total_days, s.total_amount,
                   count(l.id), coalesce(sum(l.day_fraction), 0), coalesce(sum(l.amount), 0)
            FROM billing_statement s LEFT JOIN billing_statementline l ON l.statement_id = s.id
            GROUP BY s.id ORDER BY s.id
            """
        ).fetchall()
        triggers = conn.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, contype FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).fetchall()
        indexes = conn.execute(
            # By name: the restored definitions are equivalent but deparsed differently (casts of partial indexes).
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
        sequences = conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return {
        "counts": counts,
        "statements": statements,
        "triggers": triggers,
        "constraints": constraints,
        "indexes": indexes,
        "sequences": sequences,
    }


@pytest.fixture
def demo_with_statements(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo()
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    result = generate_statements(last_month)
    if result.statements:
        return issue_statement(result.statements[0], by=User.objects.get(email="ars@demo.fr"))
    issued = Statement.objects.filter(status=Statement.Status.ISSUED).first()  # the demo issued them already
    assert issued is not None, "the demo has attested days last month: there must be statements to back up"
    return issued


@pytest.fixture
def restore_target():
    name = f"{connection.settings_dict['NAME']}_restore"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    yield name
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_an_empty_database_gives_the_same_data(demo_with_statements, restore_target, tmp_path):
    source = database_url(connection.settings_dict["NAME"])
    target = database_url(restore_target)
    dump = tmp_path / "medecin.dump"

    # The two commands of the README.
    run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", f"--dbname={source}")
    run("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={target}", str(dump))

    before, after = snapshot(source), snapshot(target)
    assert before["counts"]["missions_booking"] > 100  # the demo data is really there…
    assert before["counts"]["billing_statementline"] > 0
    assert after["counts"] == before["counts"]  # …and comes back whole, table by table
    assert after["statements"] == before["statements"]
    for _id, _status, line_count, total_days, total_amount, lines, days, amount in after["statements"]:
        assert (line_count, total_days, total_amount) == (lines, days, amount)
    assert after["triggers"] == before["triggers"]
    assert any("statement" in table for table, _name in after["triggers"])  # the freeze of issued statements
    assert after["constraints"] == before["constraints"]
    assert after["indexes"] == before["indexes"]
    assert after["sequences"] == before["sequences"]  # new rows will not collide with restored ones

    # An issued statement is still frozen there: the database triggers came back with the data.
    issued = demo_with_statements
    assert issued.status == Statement.Status.ISSUED
    with psycopg.connect(target) as conn, pytest.raises(psycopg.errors.IntegrityConstraintViolation):
        conn.execute("UPDATE billing_statement SET total_amount = total_amount + 1 WHERE id = %s", [issued.pk])

    # The application sees the restored database as up to date.
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    env.update(DATABASE_URL=target, DJANGO_ENV="development")
    run(sys.executable, "manage.py", "migrate", "--check", env=env)
