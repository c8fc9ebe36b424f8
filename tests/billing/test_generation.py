"""Statement generation: money to the cent, half-days, rates, late days, reversals, idempotence."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import FlatRate, Statement, StatementLine
from billing.services import generate_statement, generate_statements, issue_statement
from core.errors import NotAllowed, RuleViolation
from missions.models import Booking
from missions.services import correct_attestation
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NOVEMBER = datetime.date(2025, 11, 1)
DECEMBER = datetime.date(2025, 12, 1)


def lines_of(statement):
    return list(statement.lines.order_by("date", "sequence"))


def net_of(booking) -> Decimal:
    return sum((line.amount for line in StatementLine.objects.filter(booking=booking)), Decimal("0"))


def test_one_line_per_attested_day_with_its_snapshot(doctor, cpam, site, attested_day, ars_staff):
    doctor.billing_number, doctor.billing_number_status = "691234567", "recorded"
    doctor.save()
    day = attested_day(doctor, datetime.date(2025, 10, 7))

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    [line] = lines_of(statement)
    assert line.booking == day
    assert line.kind == StatementLine.Kind.LINE
    assert (line.doctor_last_name, line.doctor_first_name) == (doctor.last_name, doctor.first_name)
    assert line.doctor_rpps == doctor.rpps
    assert line.doctor_billing_number == "691234567"
    assert line.date == datetime.date(2025, 10, 7)
    assert line.site_name == site.name
    assert line.zone_name == site.zone.name
    assert line.period_label == "Journée"
    assert (line.day_fraction, line.rate, line.amount) == (Decimal("1"), Decimal("200.00"), Decimal("200.00"))
    assert statement.status == Statement.Status.DRAFT
    assert (statement.line_count, statement.total_days, statement.total_amount) == (1, Decimal("1"), Decimal("200"))


def test_the_snapshot_does_not_follow_later_edits(doctor, cpam, site, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)
    issue_statement(statement, by=ars_staff)
    doctor.last_name = "Nouveau-Nom"
    doctor.save()
    site.name = "Autre nom"
    site.save()

    line = statement.lines.get()
    assert line.doctor_last_name != "Nouveau-Nom"
    assert line.site_name != "Autre nom"


def test_half_days_and_totals_are_exact_decimals(doctor, other_doctor, cpam, attested_day, ars_staff):
    other_doctor.practice_department = doctor.practice_department
    other_doctor.save()
    attested_day(doctor, datetime.date(2025, 10, 7), period="morning")
    attested_day(doctor, datetime.date(2025, 10, 8), period="afternoon")
    attested_day(other_doctor, datetime.date(2025, 10, 9))
    attested_day(other_doctor, datetime.date(2025, 10, 10), period="morning")

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    amounts = [line.amount for line in lines_of(statement)]
    assert amounts == [Decimal("100.00"), Decimal("100.00"), Decimal("200.00"), Decimal("100.00")]
    assert all(isinstance(a, Decimal) for a in amounts)
    assert statement.total_days == Decimal("2.5")
    assert statement.total_amount == Decimal("500.00")
    statement.refresh_from_db()
    assert statement.total_amount == Decimal("500.00")


def test_odd_rates_round_half_up_to_the_cent(doctor, cpam, attested_day, ars_staff):
    FlatRate.objects.create(amount=Decimal("200.01"), valid_from=datetime.date(2025, 10, 1))
    attested_day(doctor, datetime.date(2025, 10, 7), period="morning")

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    # 200.01 × 0.5 = 100.005 → 100.01 (half-up, not banker's 100.00)
    assert statement.lines.get().amount == Decimal("100.01")


def test_a_rate_change_in_the_middle_of_the_month(doctor, cpam, attested_day, ars_staff, flat_rate):
    flat_rate.valid_to = datetime.date(2025, 10, 14)
    flat_rate.save()
    FlatRate.objects.create(amount=Decimal("230.00"), valid_from=datetime.date(2025, 10, 15))
    attested_day(doctor, datetime.date(2025, 10, 14))
    attested_day(doctor, datetime.date(2025, 10, 15), period="afternoon")

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    assert [(line.rate, line.amount) for line in lines_of(statement)] == [
        (Decimal("200.00"), Decimal("200.00")),
        (Decimal("230.00"), Decimal("115.00")),
    ]
    assert statement.total_amount == Decimal("315.00")


def test_only_completed_days_of_the_cpams_doctors_up_to_the_month_end(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 6), status="no_show")
    attested_day(doctor, datetime.date(2025, 10, 7), status="confirmed")
    attested_day(doctor, datetime.date(2025, 10, 8), status="cancelled")
    attested_day(doctor, datetime.date(2025, 11, 3))  # next month
    elsewhere = f.DoctorFactory()  # another department, another CPAM
    attested_day(elsewhere, datetime.date(2025, 10, 9))
    billed = attested_day(doctor, datetime.date(2025, 10, 31), period="morning")

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    assert [line.booking for line in lines_of(statement)] == [billed]


def test_nothing_to_state_creates_nothing(cpam, flat_rate, ars_staff):
    assert generate_statement(cpam, OCTOBER, by=ars_staff) is None
    assert not Statement.objects.exists()


def test_generation_is_idempotent(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(doctor, datetime.date(2025, 10, 8), period="morning")

    first = generate_statement(cpam, OCTOBER, by=ars_staff)
    snapshot = [(line.booking_id, line.sequence, line.amount) for line in lines_of(first)]
    second = generate_statement(cpam, OCTOBER, by=ars_staff)

    assert second.pk == first.pk
    assert [(line.booking_id, line.sequence, line.amount) for line in lines_of(second)] == snapshot
    assert Statement.objects.count() == 1
    assert StatementLine.objects.count() == 2


def test_regenerating_a_draft_picks_up_changes(doctor, cpam, attested_day, ars_staff):
    kept = attested_day(doctor, datetime.date(2025, 10, 7))
    dropped = attested_day(doctor, datetime.date(2025, 10, 8))
    statement = generate_statement(cpam, OCTOBER, by=ars_staff)
    correct_attestation(dropped, by=ars_staff, attended=False, consultations=None, reason="Absent en fait")
    added = attested_day(doctor, datetime.date(2025, 10, 20), period="morning")

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    # A draft is a preview: no reversal inside it, the stale line simply goes.
    assert [line.booking for line in lines_of(statement)] == [kept, added]
    assert statement.total_amount == Decimal("300.00")


def test_an_issued_statement_is_never_regenerated(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    statement = issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    attested_day(doctor, datetime.date(2025, 10, 8))

    with pytest.raises(RuleViolation) as refused:
        generate_statement(cpam, OCTOBER, by=ars_staff)

    assert refused.value.code == "statement_issued"
    assert statement.lines.count() == 1


def test_a_late_day_goes_into_the_next_statement_with_its_own_date(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    late = attested_day(doctor, datetime.date(2025, 10, 28))  # attested after October was issued
    attested_day(doctor, datetime.date(2025, 11, 4), period="morning")

    november = generate_statement(cpam, NOVEMBER, by=ars_staff)

    lines = lines_of(november)
    assert [line.date for line in lines] == [datetime.date(2025, 10, 28), datetime.date(2025, 11, 4)]
    assert lines[0].booking == late
    assert "octobre 2025" in lines[0].note
    assert november.total_amount == Decimal("300.00")


def test_a_correction_after_issue_is_a_reversal_in_the_next_statement(doctor, cpam, attested_day, ars_staff):
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    october = issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Médecin absent ce jour-là")

    november = generate_statement(cpam, NOVEMBER, by=ars_staff)

    [reversal] = lines_of(november)
    original = october.lines.get()
    assert reversal.kind == StatementLine.Kind.REVERSAL
    assert reversal.reverses == original
    assert (reversal.date, reversal.rate) == (original.date, original.rate)
    assert (reversal.day_fraction, reversal.amount) == (Decimal("-1"), Decimal("-200.00"))
    assert october.reference in reversal.note and "Médecin absent" in reversal.note
    assert november.total_amount == Decimal("-200.00")
    assert net_of(day) == Decimal("0")
    october.refresh_from_db()
    assert october.total_amount == Decimal("200.00")  # untouched


def test_no_show_corrected_back_to_completed_is_stated_again(doctor, cpam, attested_day, ars_staff):
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Erreur")
    issue_statement(generate_statement(cpam, NOVEMBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=True, consultations=9, reason="Finalement venu")

    december = generate_statement(cpam, DECEMBER, by=ars_staff)

    [line] = lines_of(december)
    assert (line.kind, line.sequence, line.amount) == ("line", 3, Decimal("200.00"))
    assert net_of(day) == Decimal("200.00")
    # Stated again, so the next generation has nothing more for it.
    assert generate_statement(cpam, DECEMBER, by=ars_staff).lines.count() == 1


def test_a_rate_corrected_after_issue_reverses_and_restates(doctor, cpam, attested_day, ars_staff, flat_rate):
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    flat_rate.amount = Decimal("210.00")  # the ARS fixes a mistaken rate
    flat_rate.save()

    november = generate_statement(cpam, NOVEMBER, by=ars_staff)

    assert [(line.kind, line.amount) for line in lines_of(november)] == [
        ("reversal", Decimal("-200.00")),
        ("line", Decimal("210.00")),
    ]
    assert net_of(day) == Decimal("210.00")


def test_a_reversal_drafted_then_made_moot_disappears(doctor, cpam, attested_day, ars_staff):
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Erreur")
    assert generate_statement(cpam, NOVEMBER, by=ars_staff).lines.count() == 1
    correct_attestation(day, by=ars_staff, attended=True, consultations=9, reason="Erreur de l'erreur")

    assert generate_statement(cpam, NOVEMBER, by=ars_staff) is None  # the draft had nothing left
    assert not Statement.objects.filter(month=NOVEMBER).exists()
    assert net_of(day) == Decimal("200.00")


def test_net_stays_right_when_drafts_of_two_months_overlap(doctor, cpam, attested_day, ars_staff):
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Erreur")
    generate_statement(cpam, NOVEMBER, by=ars_staff)  # draft with the reversal
    # A correction refreshes the drafts that state the day (test_site_correction.py); one written straight to the
    # row does not, and November's draft stays as it was while December is generated.
    Booking.objects.filter(pk=day.pk).update(status="completed", consultations=9)
    december = generate_statement(cpam, DECEMBER, by=ars_staff)  # November still a draft

    # December restates the day after November's reversal; November's reversal must then stay.
    assert [line.kind for line in lines_of(december)] == ["line"]
    november = generate_statement(cpam, NOVEMBER, by=ars_staff)
    assert [line.kind for line in lines_of(november)] == ["reversal"]
    assert net_of(day) == Decimal("200.00")


def test_a_correction_back_to_completed_leaves_no_reversal_in_the_draft(doctor, cpam, attested_day, ars_staff):
    """The same corrections through the service: November's draft follows each one, and ends with nothing."""
    day = attested_day(doctor, datetime.date(2025, 10, 7))
    issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(day, by=ars_staff, attended=False, consultations=None, reason="Erreur")
    assert [line.kind for line in lines_of(generate_statement(cpam, NOVEMBER, by=ars_staff))] == ["reversal"]
    correct_attestation(day, by=ars_staff, attended=True, consultations=9, reason="Erreur de l'erreur")

    assert not Statement.objects.filter(month=NOVEMBER).exists()  # its one reversal is no longer owed
    assert generate_statement(cpam, DECEMBER, by=ars_staff) is None
    assert net_of(day) == Decimal("200.00")


def test_missing_rate_is_refused_with_the_date(doctor, cpam, site, ars_staff):
    slot = f.SlotFactory(site=site, date=datetime.date(2025, 10, 7))
    f.BookingFactory(doctor=doctor, slot=slot, status="completed", consultations=3)  # no FlatRate at all

    with pytest.raises(RuleViolation) as refused:
        generate_statement(cpam, OCTOBER, by=ars_staff)

    assert refused.value.code == "no_flat_rate"
    assert "07/10/2025" in refused.value.message
    assert not Statement.objects.exists()


def test_only_ars_staff_or_the_job_generate(doctor, cpam, attested_day, cpam_agent):
    attested_day(doctor, datetime.date(2025, 10, 7))
    with pytest.raises(NotAllowed):
        generate_statement(cpam, OCTOBER, by=cpam_agent)
    assert generate_statement(cpam, OCTOBER, by=None).lines.count() == 1


def test_a_future_month_is_refused(cpam, ars_staff):
    with pytest.raises(RuleViolation) as refused:
        generate_statement(cpam, datetime.date(2999, 1, 1), by=ars_staff)
    assert refused.value.code == "month_in_future"


def test_generate_all_cpams_with_something_to_pay(doctor, cpam, attested_day, ars_staff):
    other = f.DoctorFactory()
    other_cpam = f.CpamFactory(department=other.practice_department)
    idle_cpam = f.CpamFactory()
    attested_day(doctor, datetime.date(2025, 10, 7))
    attested_day(other, datetime.date(2025, 10, 8))
    issue_statement(generate_statement(other_cpam, OCTOBER, by=ars_staff), by=ars_staff)

    result = generate_statements(OCTOBER, by=ars_staff)

    assert [s.cpam for s in result.statements] == [cpam]
    assert [s.cpam for s in result.already_issued] == [other_cpam]
    assert not Statement.objects.filter(cpam=idle_cpam).exists()


@override_settings(FLAT_RATE_PAYER="site")
def test_payer_setting_site_bills_the_host_sites_cpam(doctor, cpam, attested_day, ars_staff, site):
    site_cpam = f.CpamFactory(department=site.commune.department)
    assert site_cpam != cpam
    day = attested_day(doctor, datetime.date(2025, 10, 7))

    assert generate_statement(cpam, OCTOBER, by=ars_staff) is None
    assert generate_statement(site_cpam, OCTOBER, by=ars_staff).lines.get().booking == day
