"""The Celery task of every job of operations.jobs, derived from its declaration: the task runs the job's function
and returns its report. Celery finds this module (autodiscovery of the installed apps' `tasks`).

A database outage retries the task with a backoff; running a job again is always safe (each item is claimed).
A job whose app declares its task (the relay: notifications.tasks) uses that one.
"""

from celery import shared_task
from celery.app.task import Task
from django.db import InterfaceError, OperationalError
from django.utils.module_loading import import_string

from operations.jobs import JOBS, Job

RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 60, "max_retries": 5}


def _task_of(job: Job) -> Task:
    if job.declared_task:
        return import_string(job.declared_task)

    def run() -> dict:
        return job.run().as_dict()

    run.__name__ = run.__qualname__ = job.name
    return shared_task(name=job.task, ignore_result=True, **RETRY)(run)


# `run_job` name → its Celery task.
TASKS: dict[str, Task] = {name: _task_of(job) for name, job in JOBS.items()}
