"""What the race tests wait for instead of sleeping: another session blocked on a lock this one holds."""


def sessions_waiting_on(cursor) -> int:
    """How many other sessions wait for a lock held by the session of this cursor (Django's or psycopg's).
    pg_locks is read live; pg_stat_activity would be a snapshot for the rest of the transaction."""
    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")
    return cursor.fetchone()[0]
