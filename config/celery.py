"""The Celery application, in Europe/Paris time (settings CELERY_*). The beat schedule lives in `config/schedule.py`."""

import os

from celery import Celery

from config.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("medecin_solidaire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
