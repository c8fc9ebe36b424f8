"""`manage.py run_job NAME [--dry-run] [--date]`: any job, once, by hand."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from missions.models import Booking
from notifications.models import Message
from operations.jobs import JOBS

pytestmark = pytest.mark.django_db


def run_job(*args) -> str:
    out = StringIO()
    call_command("run_job", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_what_would_be_sent_and_writes_nothing(make_booking, doctor, today):
    booking = make_booking(today + timedelta(days=7))

    output = run_job("reminders", "--dry-run")

    assert f"J-7 : Dr {doctor.full_name}" in output
    assert "2 messages à envoyer (simulation, rien n'a été écrit)" in output
    assert not Message.objects.exists()
    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at is None


def test_a_real_run_sends_and_a_second_sends_nothing(make_booking, today):
    make_booking(today + timedelta(days=7))

    assert "2 messages mis en file d'envoi" in run_job("reminders")
    assert "0 élément, 0 message " in run_job("reminders")
    assert Message.objects.count() == 2


def test_date_runs_the_job_as_if_it_were_that_day(make_booking, today):
    booking = make_booking(today + timedelta(days=20))

    run_job("reminders", "--date", (today + timedelta(days=13)).isoformat())

    booking.refresh_from_db()
    assert booking.reminder_d7_sent_at is not None


@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_job_can_be_run_by_hand(name, make_booking, today, ars_staff):
    make_booking(today - timedelta(days=1), status=Booking.Status.CONFIRMED)

    assert "simulation" in run_job(name, "--dry-run")


def test_an_unknown_job_or_a_bad_date_is_refused():
    with pytest.raises(CommandError):
        run_job("nope")
    with pytest.raises(CommandError, match="Date invalide"):
        run_job("reminders", "--date", "31/12/2026")
