"""The beat schedule: every job is scheduled, in Europe/Paris time, and nothing can fire between 02:00 and 03:00
(the hour that is skipped in March and happens twice in October)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings

from config.celery import app
from missions.rules import PARIS
from operations.jobs import BEAT_SCHEDULE, JOBS, QUIET_HOURS, Job
from operations.tasks import TASKS

# The nights clocks change in 2027: spring forward (no 02:xx) and fall back (02:xx twice).
DST_DAYS = [date(2027, 3, 28), date(2027, 10, 31)]


def fire_times(schedule: crontab, start: datetime, end: datetime) -> list[datetime]:
    """When `schedule` fires after `start` and before `end`, as celery beat computes it (Paris time)."""
    times, last = [], start
    while True:
        last_run_at, delta, _ = schedule.remaining_delta(last)
        nxt = (last_run_at + delta).astimezone(UTC).astimezone(PARIS)
        if nxt >= end:
            return times
        times.append(nxt)
        last = nxt


def test_the_app_runs_on_paris_time_with_the_schedule_from_code():
    assert str(app.conf.timezone) == "Europe/Paris"
    assert app.conf.beat_schedule is BEAT_SCHEDULE
    assert app.conf.beat_scheduler == "celery.beat:PersistentScheduler"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


@pytest.mark.parametrize("name", sorted(BEAT_SCHEDULE))
def test_no_entry_can_fire_between_2_and_3_am(name):
    schedule = BEAT_SCHEDULE[name]["schedule"]

    assert isinstance(schedule, crontab), "only crontabs say at which hours they fire"
    assert not (schedule.hour & QUIET_HOURS), f"{name} may fire at {sorted(schedule.hour & QUIET_HOURS)} h"


def test_every_job_is_scheduled_and_every_scheduled_task_exists():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}

    assert scheduled == {job.task for job in JOBS.values()}
    assert scheduled <= set(app.tasks)


def test_one_declaration_per_job_gives_its_task_its_beat_entry_and_its_run_job_name():
    assert settings.CELERY_BEAT_SCHEDULE is BEAT_SCHEDULE
    for name, job in JOBS.items():
        assert TASKS[name].name == job.task
        assert BEAT_SCHEDULE[job.beat_entry]["task"] == job.task
        assert BEAT_SCHEDULE[job.beat_entry]["schedule"] is job.schedule
        assert callable(job.run)
    assert len(BEAT_SCHEDULE) == len(JOBS)


def test_a_job_declared_between_2_and_3_am_is_refused():
    with pytest.raises(ValueError, match="may fire at"):
        Job("night", "missions.jobs.run_reminders", crontab(minute=30, hour=2), "…", task="x.night", beat_entry="night")


@pytest.mark.parametrize(
    ("task", "minute", "hour", "day_of_month", "day_of_week"),
    [
        ("missions.reminders", {0}, {8}, set(range(1, 32)), set(range(7))),
        ("missions.confirmation_reminders", {15}, {8}, set(range(1, 32)), set(range(7))),
        ("missions.attestation_reminders", {0}, {9}, set(range(1, 32)), set(range(7))),
        ("missions.cps_followup", {0}, {10}, set(range(1, 32)), set(range(7))),
        ("billing.monthly_statements", {0}, {6}, {1}, set(range(7))),  # the 1st at 06:00
        ("missions.coverage_digest", {0}, {7}, set(range(1, 32)), {1}),  # Monday 07:00
        ("notifications.relay_outbox", set(range(60)), set(range(24)) - {2}, set(range(1, 32)), set(range(7))),
    ],
)
def test_each_job_fires_when_the_issue_says(task, minute, hour, day_of_month, day_of_week):
    [schedule] = [entry["schedule"] for entry in BEAT_SCHEDULE.values() if entry["task"] == task]

    assert (schedule.minute, schedule.hour) == (minute, hour)
    assert (schedule.day_of_month, schedule.day_of_week) == (day_of_month, day_of_week)


@pytest.mark.parametrize("day", DST_DAYS)
def test_on_the_nights_clocks_change_daily_jobs_fire_once_at_their_paris_hour(day):
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS) - timedelta(minutes=1)
    end = start + timedelta(days=1)
    schedule = BEAT_SCHEDULE["booking-reminders"]["schedule"]

    [fired] = fire_times(schedule, start, end)

    assert (fired.date(), fired.hour, fired.minute) == (day, 8, 0)


@pytest.mark.parametrize("day", DST_DAYS)
def test_on_the_nights_clocks_change_the_relay_skips_2_am(day):
    start = datetime(day.year, day.month, day.day, 1, 58, tzinfo=PARIS)
    end = datetime(day.year, day.month, day.day, 3, 2, tzinfo=PARIS)

    fired = fire_times(BEAT_SCHEDULE["outbox-relay"]["schedule"], start, end)

    assert [t.strftime("%H:%M") for t in fired] == ["01:59", "03:00", "03:01"]
