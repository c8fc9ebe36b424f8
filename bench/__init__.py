"""The benchmark harness: a national data set (`bench.seed`), the scenarios run against gunicorn
(`bench.scenarios`, `bench.load`, `bench.jobs`) and the database's own limits (`bench/pgbench/`).

`make bench` (or `python -m bench`) runs it all; bench/README.md says how long it takes and what it measured.
"""
