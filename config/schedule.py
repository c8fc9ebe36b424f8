"""The beat schedule, declared in code (settings.CELERY_BEAT_SCHEDULE), in Europe/Paris time (CELERY_TIMEZONE).

Nothing runs between 02:00 and 03:00: on the nights clocks change, that hour is skipped (March) or happens twice
(October), so a job scheduled in it would not run, or run twice. tests/jobs/test_schedule.py holds this.
"""

from celery.schedules import crontab

# The hours (Europe/Paris) in which no job may be scheduled.
QUIET_HOURS = frozenset({2})

BEAT_SCHEDULE = {
    # The outbox relay: every minute (and right after each commit that enqueued mail, see notifications.outbox).
    "outbox-relay": {
        "task": "notifications.relay_outbox",
        "schedule": crontab(minute="*", hour="0-1,3-23"),
        "options": {"expires": 55},  # a relay still queued when the next one is due is dropped
    },
    "booking-reminders": {"task": "missions.reminders", "schedule": crontab(minute=0, hour=8)},
    "confirmation-reminders": {"task": "missions.confirmation_reminders", "schedule": crontab(minute=15, hour=8)},
    "attestation-reminders": {"task": "missions.attestation_reminders", "schedule": crontab(minute=0, hour=9)},
    "cps-followup": {"task": "missions.cps_followup", "schedule": crontab(minute=0, hour=10)},
    "monthly-statements": {
        "task": "billing.monthly_statements",
        "schedule": crontab(minute=0, hour=6, day_of_month=1),
    },
    "retention": {"task": "missions.retention", "schedule": crontab(minute=30, hour=4)},
    "coverage-digest": {"task": "missions.coverage_digest", "schedule": crontab(minute=0, hour=7, day_of_week="mon")},
}
