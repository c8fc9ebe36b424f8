"""The PostgreSQL connection options the settings module derives from the environment (read in a child process:
settings are computed once per process)."""

import json
import subprocess
import sys

import pytest

from tests.security.production import ROOT, production_env

READ_OPTIONS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def database_options(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READ_OPTIONS],
        cwd=ROOT,
        env=production_env(**env),
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


@pytest.mark.parametrize("value", ["none", "off", "NONE"])
def test_preparation_can_be_turned_off_for_a_transaction_pooler(value):
    assert database_options(DB_PREPARE_THRESHOLD=value)["prepare_threshold"] is None


def test_the_threshold_is_read_from_the_environment():
    assert database_options(DB_PREPARE_THRESHOLD="2")["prepare_threshold"] == 2
