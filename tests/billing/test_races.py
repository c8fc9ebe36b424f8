"""Generation under real concurrency (PostgreSQL): threads, each with its own connection, lined up on a barrier."""

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Count

from billing.models import Statement, StatementLine
from billing.services import generate_statement
from missions.models import Booking
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_passwords"),
]

NOVEMBER = datetime.date(2025, 11, 1)


def run_together(calls) -> list[Exception]:
    barrier = threading.Barrier(len(calls))
    errors: list[Exception] = []

    def worker(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.fixture
def month_of_work(doctor, other_doctor, cpam, attested_day):
    other_doctor.practice_department = doctor.practice_department
    other_doctor.save()
    days = []
    for n in range(1, 11):
        days.append(attested_day(doctor, datetime.date(2025, 10, n), period="morning"))
        days.append(attested_day(other_doctor, datetime.date(2025, 10, n + 12)))
    days.append(attested_day(doctor, datetime.date(2025, 11, 4)))
    return days


def test_concurrent_generations_make_one_statement_and_no_duplicate(cpam, month_of_work):
    errors = run_together([lambda: generate_statement(cpam, OCTOBER)] * 4)

    assert errors == []
    [statement] = Statement.objects.all()
    assert statement.line_count == statement.lines.count() == 20
    assert not StatementLine.objects.values("booking").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert sum(line.amount for line in statement.lines.all()) == statement.total_amount


def test_concurrent_generations_of_two_months_state_each_day_once(cpam, month_of_work):
    errors = run_together([lambda: generate_statement(cpam, OCTOBER), lambda: generate_statement(cpam, NOVEMBER)] * 2)

    assert errors == []
    stated = StatementLine.objects.values("booking").annotate(n=Count("pk"))
    assert {row["n"] for row in stated} == {1}
    assert stated.count() == Booking.objects.filter(status="completed").count() == 21


def test_two_cpams_generate_in_parallel(cpam, month_of_work):
    other = f.DoctorFactory()
    other_cpam = f.CpamFactory(department=other.practice_department)
    slot = f.SlotFactory(date=datetime.date(2025, 10, 9))
    f.BookingFactory(doctor=other, slot=slot, status="completed", consultations=4)

    errors = run_together([lambda: generate_statement(cpam, OCTOBER), lambda: generate_statement(other_cpam, OCTOBER)])

    assert errors == []
    assert Statement.objects.get(cpam=cpam).line_count == 20
    assert Statement.objects.get(cpam=other_cpam).line_count == 1
