"""Asking for a relay after each commit, but not once per commit: while a relay task is queued and has not started,
later commits rely on it (it reads the outbox after they committed). Through the real Redis broker, on a queue of
the test's own where no worker consumes, so the queued tasks can be counted."""

import uuid

import pytest
import redis
from django.db import transaction

from config.celery import app
from notifications import outbox, relay, tasks
from notifications.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def route_relay_to(queue: str | None) -> None:
    app.conf.task_routes = {"notifications.relay_outbox": {"queue": queue}} if queue else None
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)  # the router keeps the routes it was built with


@pytest.fixture
def queued_relays(settings):
    """How many relay tasks wait on a queue of this test's own."""
    name = f"test-relay-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_routes
    route_relay_to(name)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        yield lambda: client.llen(name)
    finally:
        app.conf.task_routes = previous
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)
        client.delete(name)
        client.close()


def rejection(n: int) -> None:
    doctor = f.DoctorFactory.build(last_name="Lefèvre", rpps="10000000000")
    context = {"doctor": doctor, "reason": "Dossier incomplet"}  # every variable the template prints
    outbox.enqueue("doctor_rejected", to=f"medecin{n}@exemple.fr", context=context, dedup_key=f"d:{n}")


def commit_a_message(n: int) -> None:
    with transaction.atomic():
        rejection(n)


@pytest.fixture
def debounced(settings):
    settings.OUTBOX_RELAY_DEBOUNCE_SECONDS = 30
    tasks.relay_started()  # no flag left by another test
    yield
    tasks.relay_started()


@pytest.mark.redis
def test_commits_while_a_relay_is_queued_queue_no_other(debounced, queued_relays):
    for n in range(5):
        commit_a_message(n)

    assert Message.objects.count() == 5
    assert queued_relays() == 1


@pytest.mark.redis
def test_once_the_relay_has_started_the_next_commit_queues_another(debounced, queued_relays, mailoutbox):
    commit_a_message(1)
    assert queued_relays() == 1

    # What the worker does when it takes the task: clear the flag, then read and send the outbox.
    assert tasks.relay_as_task() == 1
    assert [m.to for m in mailoutbox] == [["medecin1@exemple.fr"]]

    commit_a_message(2)
    assert queued_relays() == 2


@pytest.mark.redis
def test_without_debouncing_every_commit_queues_a_relay(settings, queued_relays):
    settings.OUTBOX_RELAY_DEBOUNCE_SECONDS = 0
    for n in range(3):
        commit_a_message(n)

    assert queued_relays() == 3


def test_a_backlog_larger_than_a_batch_is_drained_at_once(mailoutbox):
    """The task goes on while messages are due, instead of leaving them to the periodic relay."""
    app.conf.task_always_eager = True  # the task re-asks for itself: in-process here
    try:
        with transaction.atomic():
            for n in range(relay.BATCH_SIZE + 5):
                rejection(n)
        assert len(mailoutbox) == relay.BATCH_SIZE + 5
        assert not Message.objects.exclude(status=Message.Status.SENT).exists()
    finally:
        app.conf.task_always_eager = False
