"""The PostgreSQL connection options the settings module derives from the environment (read in a child process:
settings are computed once per process)."""

import json
import subprocess
import sys

import pytest

from tests.security.production import ROOT, production_env

READ_OPTIONS = (
    "import json, django; from django.conf import settings; from django.db import connection; django.setup(); "
    "connection.ensure_connection() if connection.vendor == 'sqlite' else None; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def database_options(development: bool = False, **env: str) -> dict:
    environment = production_env(**env)
    if development:
        environment.pop("DJANGO_ENV")
    result = subprocess.run(
        [sys.executable, "-c", READ_OPTIONS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_binds_on_the_server_and_prepares_frequent_statements():
    options = database_options()
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    assert options["options"] == "-c jit=off"


def test_jit_off_keeps_the_options_given_in_the_url():
    options = database_options(DATABASE_URL="postgres://m:m@127.0.0.1:1/m?options=-c%20statement_timeout%3D5000")
    assert options["options"] == "-c statement_timeout=5000 -c jit=off"


@pytest.mark.parametrize("value", ["none", "off", "NONE"])
def test_preparation_can_be_turned_off_for_a_transaction_pooler(value):
    assert database_options(DB_PREPARE_THRESHOLD=value)["prepare_threshold"] is None


def test_the_threshold_is_read_from_the_environment():
    assert database_options(DB_PREPARE_THRESHOLD="2")["prepare_threshold"] == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_connection_runs_with_jit_off():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_sqlite_database_url_gets_none_of_it(tmp_path):
    """DATABASE_URL may name a SQLite file in development: its connection must open (it once got PostgreSQL's
    options and failed with « 'server_side_binding' is an invalid keyword argument »)."""
    options = database_options(development=True, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert not {"server_side_binding", "prepare_threshold", "options"} & set(options)
