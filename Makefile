# The two commands of the README: `make run` and `make test`. Both bootstrap their own environment.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: bootstrap run test lint bench

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null; \
		$(PY) -m pip install --quiet --disable-pip-version-check uv; }
	$(VENV)/bin/uv sync --frozen --quiet --python $(PY)
	@touch $@

bootstrap: $(VENV)/.synced

run: bootstrap
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: bootstrap
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The benchmark (bench/README.md): national data set on PostgreSQL, gunicorn on loopback, one table of figures.
# BENCH_ARGS="--scale 0.02" for a quick run; BENCH_DATABASE_URL says where (default: database « bench »).
BENCH_ARGS ?=
bench: bootstrap
	$(PY) -m bench $(BENCH_ARGS)
