"""Load the ANS extraction into the directory, in bounded memory, replacing the one in force at once.

PostgreSQL: the file is streamed line by line into an UNLOGGED staging table with COPY (psycopg 3
`cursor.copy`), the next directory is built beside the one in force (`directory_entry_next`, same columns,
indexes and identity: `LIKE … INCLUDING ALL`) from the distinct rows of the staging table, then swapped in by
renaming, in one short transaction that also records the load: a reader sees the old directory or the new one,
never a half-loaded one. A session advisory lock refuses a second load running at the same time.

SQLite (the embedded default): the same steps with batched inserts into a temporary table, and the replacement in
one transaction (immediate transactions serialise writers; readers keep their snapshot until it commits).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from core.words import counted
from directory.extraction import FIELDS, ExtractionError, Tally, read_rows
from directory.models import ENTRY_TABLE, DirectoryLoad

STAGING_TABLE = "directory_entry_staging"
NEXT_TABLE = "directory_entry_next"
OLD_TABLE = "directory_entry_old"
# pg_try_advisory_lock key of the load: any fixed 64-bit number no other lock of this database uses.
ADVISORY_LOCK_KEY = 7_342_016_501
COPY_CHUNK_ROWS = 2_000
INSERT_BATCH_ROWS = 5_000
PROGRESS_EVERY_ROWS = 20_000

Progress = Callable[[int], None]  # called with the bytes read so far

# The staging table and the entries share these columns, in the order extraction.read_rows yields them.
ENTRY_COLUMNS = ("rpps", *FIELDS[1:])
ENTRY_COLUMNS_SQL = ", ".join(ENTRY_COLUMNS)


class LoadInProgress(ExtractionError):
    """Another load of the directory is running."""


@dataclass(frozen=True)
class LoadReport:
    load: DirectoryLoad
    tally: Tally


def load_directory(path: Path, *, progress: Progress | None = None) -> LoadReport:
    """Load the extraction at `path` and make it the directory in force. Raises ExtractionError (nothing changed)
    when the file is not the extraction, has no RPPS line, or another load is running."""
    started = time.monotonic()
    tally = Tally()
    size = path.stat().st_size
    with path.open("rb", buffering=1024 * 1024) as stream:
        rows = read_rows(stream, tally)  # checks the header before anything is written
        if connection.vendor == "postgresql":
            _load_postgresql(rows, tally, progress, path.name, size, started)
        else:
            _load_batched(rows, tally, progress, path.name, size, started)
    if progress is not None:
        progress(tally.bytes_read)
    return LoadReport(load=DirectoryLoad.objects.latest(), tally=tally)


def _record(name: str, size: int, tally: Tally, entries: int, persons: int, started: float) -> DirectoryLoad:
    return DirectoryLoad.objects.create(
        file_name=name[:255],
        file_bytes=size,
        lines=tally.lines,
        rpps_lines=tally.rpps_lines,
        malformed_lines=tally.malformed,
        entries=entries,
        persons=persons,
        seconds=round(time.monotonic() - started, 2),
    )


def _refuse_empty(tally: Tally) -> None:
    if tally.rpps_lines == 0:
        raise ExtractionError(
            f"Aucune ligne d'un numéro RPPS dans ce fichier ({counted('{count} ligne(s) lue(s)', tally.lines)}, "
            f"dont {counted('{count} mal formée(s)', tally.malformed)}) : l'annuaire en vigueur est conservé."
        )


def _with_progress(rows: Iterator[tuple[str, ...]], tally: Tally, progress: Progress | None):
    if progress is None:
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY_ROWS == 0:
            progress(tally.bytes_read)
        yield row


# --- PostgreSQL ------------------------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: Iterator[tuple[str, ...]]) -> Iterator[str]:
    """COPY's text format, a chunk of lines at a time. Fields hold no newline (the file is read by lines); a
    backslash, a tab or a carriage return inside one is escaped."""
    chunk: list[str] = []
    width = len(ENTRY_COLUMNS) - 1
    for row in rows:
        line = "\t".join(row)
        if line.count("\t") != width or "\\" in line or "\r" in line:
            line = "\t".join(value.translate(_ESCAPES) for value in row)
        chunk.append(line)
        if len(chunk) >= COPY_CHUNK_ROWS:
            chunk.append("")
            yield "\n".join(chunk)
            chunk = []
    if chunk:
        chunk.append("")
        yield "\n".join(chunk)


def _load_postgresql(
    rows: Iterator[tuple[str, ...]], tally: Tally, progress: Progress | None, name: str, size: int, started: float
) -> tuple[int, int]:
    connection.ensure_connection()
    pg = connection.connection
    assert pg is not None
    with pg.cursor() as cursor:
        if not cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY]).fetchone()[0]:
            raise LoadInProgress("Un chargement de l'annuaire RPPS est déjà en cours : réessayez quand il sera fini.")
        try:
            return _stage_build_swap(cursor, rows, tally, progress, name, size, started)
        finally:
            with transaction.atomic():  # leave nothing behind, whatever happened
                cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
                cursor.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def _stage_build_swap(cursor, rows, tally, progress, name, size, started) -> tuple[int, int]:
    text_columns = ", ".join(f"{column} text NOT NULL" for column in ENTRY_COLUMNS)
    with transaction.atomic():
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
        cursor.execute(f"CREATE UNLOGGED TABLE {STAGING_TABLE} ({text_columns})")
        with cursor.copy(f"COPY {STAGING_TABLE} ({ENTRY_COLUMNS_SQL}) FROM STDIN") as copy:
            for chunk in copy_text(_with_progress(rows, tally, progress)):
                copy.write(chunk)
    _refuse_empty(tally)

    with transaction.atomic():
        cursor.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
        cursor.execute(f"CREATE TABLE {NEXT_TABLE} (LIKE {ENTRY_TABLE} INCLUDING ALL)")
        cursor.execute(
            f"INSERT INTO {NEXT_TABLE} ({ENTRY_COLUMNS_SQL}) "
            f"SELECT DISTINCT {ENTRY_COLUMNS_SQL} FROM {STAGING_TABLE} ORDER BY {ENTRY_COLUMNS_SQL}"
        )
        entries = cursor.rowcount
        cursor.execute(f"SELECT count(DISTINCT rpps) FROM {NEXT_TABLE}")
        persons = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")
    cursor.execute(f"ANALYZE {NEXT_TABLE}")

    with transaction.atomic():
        _swap(cursor)
        _record(name, size, tally, entries, persons, started)
    return entries, persons


def _index_shapes(cursor, table: str) -> dict[str, str]:
    """Index name → its definition with the table's and the index's own names taken out (to pair old and new)."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
    )
    # « CREATE UNIQUE INDEX directory_entry_pkey ON public.directory_entry USING btree (id) » → « … ON T USING … »
    return {
        index: re.sub(r" ON \S+ USING ", " ON T USING ", definition.replace(f" {index} ", " ", 1))
        for index, definition in cursor.fetchall()
    }


def _swap(cursor) -> None:
    """The next directory takes the place (and the index and sequence names) of the one in force."""
    old_indexes = _index_shapes(cursor, ENTRY_TABLE)
    new_indexes = {shape: name for name, shape in _index_shapes(cursor, NEXT_TABLE).items()}
    cursor.execute(f"LOCK TABLE {ENTRY_TABLE} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"ALTER TABLE {ENTRY_TABLE} RENAME TO {OLD_TABLE}")
    cursor.execute(f"ALTER TABLE {NEXT_TABLE} RENAME TO {ENTRY_TABLE}")
    cursor.execute(f"DROP TABLE {OLD_TABLE}")
    for old_name, shape in old_indexes.items():
        new_name = new_indexes.get(shape)
        if new_name and new_name != old_name:
            cursor.execute(f'ALTER INDEX "{new_name}" RENAME TO "{old_name}"')
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [ENTRY_TABLE])
    sequence = cursor.fetchone()[0]
    if sequence and sequence.split(".")[-1].strip('"') != f"{ENTRY_TABLE}_id_seq":
        cursor.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{ENTRY_TABLE}_id_seq"')


# --- SQLite and any other database -------------------------------------------------------------------------------


def _load_batched(
    rows: Iterator[tuple[str, ...]], tally: Tally, progress: Progress | None, name: str, size: int, started: float
) -> tuple[int, int]:
    placeholders = ", ".join(["%s"] * len(ENTRY_COLUMNS))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING_TABLE} ({', '.join(ENTRY_COLUMNS)})")
        insert = f"INSERT INTO {STAGING_TABLE} ({ENTRY_COLUMNS_SQL}) VALUES ({placeholders})"
        batch: list[tuple[str, ...]] = []
        for row in _with_progress(rows, tally, progress):
            batch.append(row)
            if len(batch) >= INSERT_BATCH_ROWS:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)
        _refuse_empty(tally)
        cursor.execute(f"DELETE FROM {ENTRY_TABLE}")
        cursor.execute(
            f"INSERT INTO {ENTRY_TABLE} ({ENTRY_COLUMNS_SQL}) "
            f"SELECT DISTINCT {ENTRY_COLUMNS_SQL} FROM {STAGING_TABLE} ORDER BY {ENTRY_COLUMNS_SQL}"
        )
        cursor.execute(f"SELECT count(*), count(DISTINCT rpps) FROM {ENTRY_TABLE}")
        entries, persons = cursor.fetchone()
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")
        _record(name, size, tally, entries, persons, started)
    return entries, persons
