"""The doctor's earnings, day by day: « à déclarer », « sur le relevé de … », « payé le … » (issue 15)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing.queries import doctor_earned_days
from billing.services import generate_statement, issue_statement, mark_statement_paid
from tests.web.conftest import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

PARIS = ZoneInfo("Europe/Paris")


def test_each_day_says_where_its_flat_rate_stands(
    client, doctor, cpam, cpam_agent, attested_day, ars_staff, django_assert_num_queries
):
    september = attested_day(doctor, datetime.date(2025, 9, 16))
    attested_day(doctor, datetime.date(2025, 10, 7), period="afternoon")
    attested_day(doctor, datetime.date(2025, 11, 4))
    with time_machine.travel(datetime.datetime(2025, 10, 2, 9, 0, tzinfo=PARIS), tick=False):
        issued = issue_statement(generate_statement(cpam, datetime.date(2025, 9, 1), by=ars_staff), by=ars_staff)
    with time_machine.travel(datetime.datetime(2025, 10, 20, 23, 30, tzinfo=PARIS), tick=False):
        mark_statement_paid(issued, by=cpam_agent)  # 23:30 in Paris: still the 20th there
    with time_machine.travel(datetime.datetime(2025, 11, 2, 9, 0, tzinfo=PARIS), tick=False):
        generate_statement(cpam, datetime.date(2025, 10, 1), by=ars_staff)  # a draft, not issued yet

    with django_assert_num_queries(2):  # the flat rates, the days with their statement
        days = doctor_earned_days(doctor)
    assert [(d.day.isoformat(), d.payment_text) for d in days] == [
        ("2025-11-04", "à déclarer"),
        ("2025-10-07", "sur le relevé d'octobre 2025"),
        ("2025-09-16", "payé le 20 octobre 2025"),
    ]
    assert days[1].amount == days[2].amount / 2 and days[2].consultations == september.consultations

    client.force_login(doctor.user)
    page = text_of(client.get("/medecin/gains/"))
    assert "Payé le 20 octobre 2025" in page and "Sur le relevé d'octobre 2025" in page and "À déclarer" in page


def test_a_reversed_day_then_attested_again_waits_for_its_new_statement(doctor, cpam, attested_day, ars_staff):
    from missions.services import correct_attestation

    day = attested_day(doctor, datetime.date(2025, 9, 16))
    issue_statement(generate_statement(cpam, datetime.date(2025, 9, 1), by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Absent")
    issue_statement(generate_statement(cpam, datetime.date(2025, 10, 1), by=ars_staff), by=ars_staff)  # reversal
    assert doctor_earned_days(doctor) == []  # not an attested day any more
    correct_attestation(day, by=ars_staff, attended=True, consultations=8, reason="Présent finalement")
    [earned] = doctor_earned_days(doctor)
    assert earned.payment_text == "à déclarer"  # September's line is reversed: nothing states it now
    generate_statement(cpam, datetime.date(2025, 11, 1), by=ars_staff)
    [earned] = doctor_earned_days(doctor)
    assert earned.payment_text == "sur le relevé de novembre 2025"
