"""Generation as it runs for a large CPAM-month: every line equals the snapshot of its booking read directly,
reversals name the right statement, totals are exact, and the number of queries does not grow with the lines."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import lines
from billing.models import FlatRate, StatementLine
from billing.services import generate_statement, issue_statement
from missions.models import Booking
from missions.services import correct_attestation
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

NOVEMBER = datetime.date(2025, 11, 1)
SNAPSHOT = ["booking_id", "kind", "sequence", *lines.SNAPSHOT, *lines.FIGURES, "note"]
PERIOD_LABELS = {"full_day": "Journée", "morning": "Matin", "afternoon": "Après-midi"}


def expected_line(booking: Booking, rate: Decimal, sequence: int = 1, note: str = "") -> dict:
    """What a line must hold, read from the booking and its relations one by one (the slow, obvious way)."""
    booking = Booking.objects.select_related("doctor", "slot__site__commune", "zone").get(pk=booking.pk)
    site = booking.slot.site
    return {
        "booking_id": booking.pk,
        "kind": "line",
        "sequence": sequence,
        "doctor_last_name": booking.doctor.last_name,
        "doctor_first_name": booking.doctor.first_name,
        "doctor_rpps": booking.doctor.rpps,
        "doctor_billing_number": booking.doctor.billing_number,
        "date": booking.date,
        "period": booking.period,
        "period_label": PERIOD_LABELS[booking.period],
        "site_name": site.name,
        "site_finess": site.finess or "",
        "site_commune": site.commune.name,
        "zone_name": booking.zone.name,
        "day_fraction": booking.day_fraction,
        "rate": rate,
        "amount": (rate * booking.day_fraction).quantize(Decimal("0.01")),
        "note": note,
    }


def lines_as_dicts(statement) -> list[dict]:
    return list(statement.lines.order_by("booking_id", "sequence").values(*SNAPSHOT))


@pytest.fixture
def month_of_days(doctor, other_doctor, cpam, attested_day, site, flat_rate):
    """October for two doctors at three sites in two zones, half and full days, a rate change on the 16th, and a
    late September day; plus a day of another CPAM's doctor, which must not appear."""
    flat_rate.valid_to = datetime.date(2025, 10, 15)
    flat_rate.save()
    FlatRate.objects.create(amount=Decimal("215.50"), valid_from=datetime.date(2025, 10, 16))
    other_doctor.practice_department = doctor.practice_department
    other_doctor.billing_number, other_doctor.billing_number_status = "691234567", "recorded"
    other_doctor.save()
    second_site = f.HostSiteFactory(zone=site.zone, finess="010000024")
    third_site = f.HostSiteFactory()  # another zone and commune
    days = []
    for who, at, day, period in (
        (doctor, site, 2, "full_day"),
        (doctor, second_site, 9, "morning"),
        (doctor, third_site, 16, "afternoon"),
        (other_doctor, site, 15, "full_day"),
        (other_doctor, third_site, 16, "full_day"),
        (other_doctor, second_site, 31, "morning"),
    ):
        days.append(attested_day(who, datetime.date(2025, 10, day), period=period, at_site=at))
    late = attested_day(doctor, datetime.date(2025, 9, 30), at_site=second_site)
    attested_day(f.DoctorFactory(), datetime.date(2025, 10, 3))  # another CPAM's doctor
    return days, late


def test_every_line_is_the_snapshot_of_its_booking(month_of_days, cpam, ars_staff):
    days, late = month_of_days

    statement = generate_statement(cpam, OCTOBER, by=ars_staff)

    rate_on = {1: Decimal("200.00"), 2: Decimal("215.50")}
    expected = [expected_line(day, rate_on[1 if day.date.day <= 15 else 2]) for day in days]
    expected.append(
        expected_line(late, Decimal("200.00"), note="Journée de septembre 2025 attestée ou corrigée après son relevé")
    )
    assert lines_as_dicts(statement) == sorted(expected, key=lambda line: line["booking_id"])
    assert statement.line_count == 7
    assert statement.total_days == sum((line["day_fraction"] for line in expected), Decimal("0"))
    assert statement.total_amount == sum((line["amount"] for line in expected), Decimal("0"))
    assert statement.total_amount == Decimal("200.00") * 3 + Decimal("100.00") + Decimal("107.75") * 2 + Decimal(
        "215.50"
    )


def test_regenerating_gives_the_same_lines_and_totals(month_of_days, cpam, ars_staff):
    first = generate_statement(cpam, OCTOBER, by=ars_staff)
    before = lines_as_dicts(first)
    totals = (first.line_count, first.total_days, first.total_amount)

    again = generate_statement(cpam, OCTOBER, by=ars_staff)

    assert again.pk == first.pk
    assert lines_as_dicts(again) == before
    assert (again.line_count, again.total_days, again.total_amount) == totals


def test_reversals_copy_the_line_and_name_its_statement(month_of_days, cpam, ars_staff, flat_rate):
    days, _ = month_of_days
    october = issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    correct_attestation(days[0], by=ars_staff, attended=False, consultations=None, reason="=absent; vu")
    Booking.objects.filter(pk=days[1].pk).update(day_fraction=Decimal("1"))  # a duration corrected

    november = generate_statement(cpam, NOVEMBER, by=ars_staff)

    reversals = list(november.lines.filter(kind="reversal").order_by("booking_id").values(*SNAPSHOT, "reverses_id"))
    stated = {line.booking_id: line for line in october.lines.all()}
    assert [r["booking_id"] for r in reversals] == [days[0].pk, days[1].pk]
    for reversal in reversals:
        original = stated[reversal["booking_id"]]
        assert reversal["reverses_id"] == original.pk
        assert reversal["sequence"] == original.sequence + 1
        assert (reversal["day_fraction"], reversal["amount"]) == (-original.day_fraction, -original.amount)
        assert reversal["rate"] == original.rate
        for name in ("doctor_last_name", "doctor_rpps", "date", "period_label", "site_name", "zone_name"):
            assert reversal[name] == getattr(original, name)
    assert reversals[0]["note"] == (
        f"Annule la ligne du relevé {october.reference} : attestation corrigée (médecin absent) : =absent; vu"
    )
    assert reversals[1]["note"] == (
        f"Annule la ligne du relevé {october.reference} : "
        "forfait ou durée corrigé(e), journée refacturée sur une nouvelle ligne"
    )
    [restated] = november.lines.filter(kind="line").values(*SNAPSHOT)
    assert restated == expected_line(
        days[1], Decimal("200.00"), sequence=3, note="Journée de octobre 2025 attestée ou corrigée après son relevé"
    )
    assert november.total_amount == Decimal("-200.00") - Decimal("100.00") + Decimal("200.00")
    assert StatementLine.objects.filter(booking=days[0]).count() == 2


def count_queries(cpam, month, by) -> int:
    with CaptureQueriesContext(connection) as ctx:
        generate_statement(cpam, month, by=by)
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_lines(
    doctor, other_doctor, cpam, attested_day, ars_staff, django_assert_max_num_queries
):
    """Days are read through cursors and lines written in batches (one COPY or executemany per 10,000 lines,
    PostgreSQL's COPY not being counted here): 2 days or 24, the same queries."""
    other_doctor.practice_department = doctor.practice_department
    other_doctor.save()
    attested_day(doctor, datetime.date(2025, 10, 1))
    attested_day(other_doctor, datetime.date(2025, 10, 2))
    few = count_queries(cpam, OCTOBER, ars_staff)
    for day in range(1, 13):
        attested_day(doctor, datetime.date(2025, 11, day), at_site=f.HostSiteFactory())
        attested_day(other_doctor, datetime.date(2025, 11, day), period="morning")

    many = count_queries(cpam, NOVEMBER, ars_staff)
    regenerated = count_queries(cpam, NOVEMBER, ars_staff)

    assert many == few
    assert regenerated <= few + 3  # the draft found, its tail dropped, its kept lines summed
    with django_assert_max_num_queries(few + 3):
        generate_statement(cpam, NOVEMBER, by=ars_staff)
