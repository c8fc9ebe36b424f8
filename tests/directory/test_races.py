"""A load replaces the directory at once: on PostgreSQL, real parallel connections read it while a load runs and
see the old directory or the new one, never a half-loaded one; a second load at the same time is refused."""

import threading
import time

import pytest
from django.db import connection

from directory import loading
from directory.loading import LoadInProgress, load_directory
from directory.models import DirectoryEntry, DirectoryLoad
from sites.identifiers import with_luhn_key
from tests.directory.files import line, write

OLD = {with_luhn_key(f"10000{n:03d}00") for n in range(3)}
NEW = {with_luhn_key(f"20000{n:03d}00") for n in range(5)}


def read(into: dict) -> None:
    """What a reader of the directory sees, on its own connection."""
    try:
        into["rpps"] = set(DirectoryEntry.objects.values_list("rpps", flat=True))
        into["load"] = DirectoryLoad.objects.latest().file_name
    finally:
        connection.close()


def waiting_on_a_lock(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_locks WHERE NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readers_never_see_a_half_loaded_directory_and_loads_do_not_overlap(tmp_path, monkeypatch):
    load_directory(write(tmp_path / "old.txt", [line(rpps, "ANCIEN", "Médecin") for rpps in sorted(OLD)]))
    newer = write(tmp_path / "new.txt", [line(rpps, "NOUVEAU", "Médecin") for rpps in sorted(NEW)])
    before_swap: dict = {}
    during_swap: dict = {}
    concurrent_load: dict = {}
    readers: list[threading.Thread] = []
    real_swap = loading._swap

    def other_load() -> None:
        try:
            load_directory(newer)
        except LoadInProgress as exc:
            concurrent_load["refused"] = str(exc)
        finally:
            connection.close()

    def swap(cursor) -> None:
        # The next directory is built and committed beside the one in force: readers still see the old one.
        reader = threading.Thread(target=read, args=(before_swap,))
        reader.start()
        reader.join(60)
        # A second load while this one runs is refused at once.
        loader = threading.Thread(target=other_load)
        loader.start()
        loader.join(60)
        real_swap(cursor)
        # Swapped but not committed: a reader waits for the table (and then sees the new directory whole).
        late = threading.Thread(target=read, args=(during_swap,))
        late.start()
        readers.append(late)
        deadline = time.monotonic() + 30
        while not waiting_on_a_lock(cursor) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_on_a_lock(cursor), "the reader should wait for the swap to commit"
        assert not during_swap

    monkeypatch.setattr(loading, "_swap", swap)
    load_directory(newer)
    readers[0].join(60)

    assert before_swap == {"rpps": OLD, "load": "old.txt"}
    assert during_swap == {"rpps": NEW, "load": "new.txt"}
    assert concurrent_load["refused"].startswith("Un chargement de l'annuaire RPPS est déjà en cours")
    assert set(DirectoryEntry.objects.values_list("rpps", flat=True)) == NEW
    with connection.cursor() as cursor:  # nothing left behind, names kept for the next load and for migrations
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'directory_entry%%' ORDER BY 1")
        assert [row[0] for row in cursor.fetchall()] == ["directory_entry"]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'directory_entry' ORDER BY 1")
        assert [row[0] for row in cursor.fetchall()] == ["directory_entry_pkey", "directory_entry_rpps_idx"]
        cursor.execute("SELECT pg_get_serial_sequence('directory_entry', 'id')")
        assert cursor.fetchone()[0].endswith("directory_entry_id_seq")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_directory_can_be_loaded_again_and_written_by_the_orm_after_swaps(tmp_path):
    for round_ in range(3):
        load_directory(write(tmp_path / f"{round_}.txt", [line(rpps, "NOUVEAU", "Médecin") for rpps in sorted(NEW)]))

    DirectoryEntry.objects.create(rpps="10000000008", last_name="X", profession_code="10")  # the identity works
    assert DirectoryEntry.objects.count() == len(NEW) + 1
    assert DirectoryLoad.objects.count() == 3
