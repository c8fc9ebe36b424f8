"""A real Celery worker against the machine's Redis and the test PostgreSQL database.

The worker is a subprocess started here, on a queue of its own (parallel runs do not collide), writing e-mails to
files. One test checks that a reminder triggered through the broker is delivered; the other SIGKILLs the worker's
pool process in the middle of the task (after its first claim, while it waits for a row lock on the second) and
checks that the task runs again (acks_late, reject_on_worker_lost) and that every e-mail goes out exactly once.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from missions.models import Booking
from notifications.models import Message
from operations.tasks import TASKS
from tests.pg_locks import sessions_waiting_on

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

READY_TIMEOUT = 60
DELIVERY_TIMEOUT = 60


def wait_for(condition, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, queue: str, root: Path):
        self.queue = queue
        self.mail_dir = root / "mails"
        self.mail_dir.mkdir()
        self.log_path = root / "worker.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
        }
        env.pop("TEST_DATABASE_NAME", None)
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1"]
        command += ["-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--loglevel=INFO"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole, nothing else touched
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        if not wait_for(lambda: " ready." in self.log or self.process.poll() is not None, READY_TIMEOUT):
            pytest.fail(f"worker not ready after {READY_TIMEOUT} s:\n{self.log}")
        if self.process.poll() is not None:
            pytest.fail(f"worker exited ({self.process.returncode}):\n{self.log}")

    def pool_processes(self) -> list[int]:
        """The pids of the worker's pool processes (its children)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def recipients(self) -> Counter:
        """How many e-mails each address received."""
        found = Counter()
        for path in self.mail_dir.glob("*"):
            found.update(re.findall(r"^To: (.+)$", path.read_text(errors="replace"), flags=re.MULTILINE))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


@pytest.fixture
def queue():
    name = f"test-jobs-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def worker(queue, tmp_path):
    worker = Worker(queue, tmp_path)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def test_a_real_worker_delivers_a_reminder(worker, make_booking, doctor, site, today):
    booking = make_booking(today + timedelta(days=7))
    expected = Counter({doctor.user.email: 1, site.contact_email: 1})

    TASKS["reminders"].apply_async(queue=worker.queue)

    assert wait_for(lambda: worker.recipients() == expected, DELIVERY_TIMEOUT), (worker.recipients(), worker.log)
    # The relay writes the e-mail, then commits the message as sent: wait for that commit, not for the file.
    statuses = Message.objects.values_list("status", flat=True)
    assert wait_for(lambda: set(statuses) == {Message.Status.SENT}, DELIVERY_TIMEOUT), (list(statuses), worker.log)
    assert worker.recipients() == expected
    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at is not None


def test_a_worker_killed_mid_task_runs_it_again_without_duplicate_mail(
    worker, make_booking, doctor, other_doctor, site, other_site, today
):
    day = today + timedelta(days=7)
    first = make_booking(day)
    second = make_booking(day, doctor=other_doctor, at_site=other_site)
    expected = Counter({doctor.user.email: 1, site.contact_email: 1, other_doctor.user.email: 1})
    expected[other_site.contact_email] += 1
    [child] = worker.pool_processes()

    with psycopg.connect(database_url().replace("postgres://", "postgresql://", 1)) as blocker:
        # Hold the second booking's row: the task claims the first, then waits here.
        blocker.execute("SELECT id FROM missions_booking WHERE id = %s FOR UPDATE", [second.pk])
        TASKS["reminders"].apply_async(queue=worker.queue)
        claimed = Booking.objects.filter(pk=first.pk, reminder_d7_sent_at__isnull=False)
        assert wait_for(claimed.exists, DELIVERY_TIMEOUT), worker.log
        # The task is now blocked on the second row: a session of the worker waits for our lock.
        assert wait_for(lambda: sessions_waiting_on(blocker.cursor()) > 0, DELIVERY_TIMEOUT), worker.log
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: "WorkerLostError" in worker.log or "signal 9" in worker.log, 30), worker.log
        blocker.rollback()

    assert wait_for(lambda: worker.recipients() == expected, DELIVERY_TIMEOUT), (worker.recipients(), worker.log)
    time.sleep(2)  # nothing more arrives
    assert worker.recipients() == expected
    assert Booking.objects.filter(reminder_d7_sent_at__isnull=False).count() == 2
    assert Message.objects.count() == sum(expected.values())
