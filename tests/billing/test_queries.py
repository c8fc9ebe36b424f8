"""Reads: who pays (R8), who sees which statement, doctors awaiting a number, a doctor's earnings."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings

from billing.models import FlatRate, Statement
from billing.queries import (
    doctor_earnings,
    doctors_awaiting_billing_number,
    payer_cpam_for,
    statement_doctor_totals,
    statements_visible_to,
)
from billing.services import generate_statement, issue_statement
from missions.models import Doctor
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def test_the_payer_is_the_cpam_of_the_doctors_main_practice(doctor, cpam, attested_day, site):
    f.CpamFactory(department=site.commune.department)
    booking = attested_day(doctor, datetime.date(2025, 10, 7))
    assert payer_cpam_for(booking) == cpam


@override_settings(FLAT_RATE_PAYER="site")
def test_the_payer_setting_can_name_the_host_sites_cpam(doctor, cpam, attested_day, site):
    site_cpam = f.CpamFactory(department=site.commune.department)
    booking = attested_day(doctor, datetime.date(2025, 10, 7))
    assert payer_cpam_for(booking) == site_cpam


@override_settings(FLAT_RATE_PAYER="region")
def test_an_unknown_payer_setting_fails_loudly(doctor, cpam, attested_day):
    booking = attested_day(doctor, datetime.date(2025, 10, 7))
    with pytest.raises(ImproperlyConfigured):
        payer_cpam_for(booking)


def test_no_cpam_on_file_means_no_payer(doctor, attested_day):
    assert payer_cpam_for(attested_day(doctor, datetime.date(2025, 10, 7))) is None


@pytest.fixture
def statements(doctor, cpam, attested_day, ars_staff):
    """An issued statement for `cpam` (October), a draft for September, and another CPAM's issued statement."""
    attested_day(doctor, datetime.date(2025, 9, 15))
    september = generate_statement(cpam, datetime.date(2025, 9, 1), by=ars_staff)
    attested_day(doctor, datetime.date(2025, 10, 7))
    october = issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    other = f.DoctorFactory()
    other_cpam = f.CpamFactory(department=other.practice_department)
    attested_day(other, datetime.date(2025, 10, 8))
    foreign = issue_statement(generate_statement(other_cpam, OCTOBER, by=ars_staff), by=ars_staff)
    return {"september": september, "october": october, "foreign": foreign}


def test_a_cpam_agent_sees_the_issued_statements_of_their_cpam_only(statements, cpam_agent):
    assert list(statements_visible_to(cpam_agent)) == [statements["october"]]


def test_ars_staff_see_every_statement_drafts_included(statements, ars_staff):
    assert set(statements_visible_to(ars_staff)) == set(statements.values())


def test_others_see_no_statement(statements, doctor, site_member):
    assert not statements_visible_to(doctor.user).exists()
    assert not statements_visible_to(site_member).exists()
    assert not statements_visible_to(AnonymousUser()).exists()


def test_doctor_totals_sum_each_doctors_lines(doctor, other_doctor, cpam, attested_day, ars_staff):
    other_doctor.practice_department = doctor.practice_department
    other_doctor.save()
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")
    attested_day(other_doctor, datetime.date(2025, 10, 9), period="afternoon")
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    totals = {t.rpps: t for t in statement_doctor_totals(statement)}

    assert (totals[doctor.rpps].days, totals[doctor.rpps].amount) == (Decimal("1.5"), Decimal("300.00"))
    assert (totals[other_doctor.rpps].line_count, totals[other_doctor.rpps].amount) == (1, Decimal("100.00"))
    assert sum(t.amount for t in totals.values()) == statement.total_amount


def test_doctors_awaiting_a_number_are_those_of_the_agents_department(doctor, cpam_agent, ars_staff):
    neighbour = f.DoctorFactory(practice_commune=doctor.practice_commune)
    f.DoctorFactory(practice_commune=doctor.practice_commune, billing_number="691234567")
    f.DoctorFactory(practice_commune=doctor.practice_commune, status=Doctor.Status.SUBMITTED)
    stranger = f.DoctorFactory()  # another department

    assert set(doctors_awaiting_billing_number(cpam_agent)) == {doctor, neighbour}
    assert {doctor, neighbour, stranger} <= set(doctors_awaiting_billing_number(ars_staff))
    assert not doctors_awaiting_billing_number(doctor.user).exists()


def test_doctor_earnings_per_month_with_a_rate_change(doctor, attested_day, flat_rate, django_assert_num_queries):
    flat_rate.valid_to = datetime.date(2025, 10, 14)
    flat_rate.save()
    FlatRate.objects.create(amount=Decimal("230.00"), valid_from=datetime.date(2025, 10, 15))
    attested_day(doctor, datetime.date(2025, 9, 10), period="morning")
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 20), period="afternoon")
    attested_day(doctor, datetime.date(2025, 10, 21), status="no_show")
    attested_day(doctor, datetime.date(2025, 10, 22), status="confirmed")
    attested_day(f.DoctorFactory(), datetime.date(2025, 10, 23))  # somebody else's

    with django_assert_num_queries(2):
        earnings = doctor_earnings(doctor)

    assert earnings.months == [
        (datetime.date(2025, 9, 1), Decimal("0.5"), Decimal("100.00")),
        (datetime.date(2025, 10, 1), Decimal("1.5"), Decimal("315.00")),
    ]
    assert (earnings.total_days, earnings.total_amount) == (Decimal("2.0"), Decimal("415.00"))


def test_doctor_earnings_when_nothing_is_done_yet(doctor, flat_rate):
    earnings = doctor_earnings(doctor)
    assert (earnings.months, earnings.total_days, earnings.total_amount) == ([], Decimal("0"), Decimal("0"))


def test_statement_reference_names_month_and_department(statements, cpam):
    assert statements["october"].reference == f"2025-10-{cpam.department.code}"
    assert Statement.objects.filter(cpam=cpam).count() == 2


def test_flat_rate_periods_may_not_overlap(flat_rate):
    overlapping = FlatRate(amount=Decimal("210.00"), valid_from=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationError):
        overlapping.full_clean()
    flat_rate.valid_to = datetime.date(2025, 12, 31)
    flat_rate.save()
    overlapping.full_clean()  # the old period now ends the day before
