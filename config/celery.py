"""The Celery application, in Europe/Paris time (settings CELERY_*). Its tasks and beat schedule derive from the job
registry, operations/jobs.py (tasks: operations/tasks.py, found by autodiscovery)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("medecin_solidaire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
