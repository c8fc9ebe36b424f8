"""The doctor's year in figures: days per month, zone and zonage class at the date worked; flat rates stated/paid."""

import datetime
from decimal import Decimal

import pytest

from billing.services import generate_statement, issue_statement, mark_statement_paid
from installation.queries import doctor_year
from missions.models import Booking
from tests import factories as f

pytestmark = pytest.mark.django_db


def _worked(doctor, site, day, period="full_day"):
    slot = f.SlotFactory(site=site, date=day, period=period)
    return f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.COMPLETED, consultations=8)


def test_days_are_counted_by_month_zone_and_the_zonage_in_force_on_each_day(doctor, zone, territory, ars_staff):
    site = f.HostSiteFactory(zone=zone, commune=territory["upper"])
    region = territory["region"]
    old = f.ZonageDecreeFactory(region=region, valid_from=datetime.date(2022, 1, 1))
    new = f.ZonageDecreeFactory(region=region, valid_from=datetime.date(2026, 1, 1))
    f.CommuneZonageFactory(decree=old, commune=territory["upper"], kind="zac")
    f.CommuneZonageFactory(decree=new, commune=territory["upper"], kind="zip")
    f.FlatRateFactory(valid_from=datetime.date(2025, 1, 1))
    _worked(doctor, site, datetime.date(2025, 12, 10))
    _worked(doctor, site, datetime.date(2026, 1, 14))
    _worked(doctor, site, datetime.date(2026, 1, 28), period="morning")
    _worked(doctor, site, datetime.date(2026, 2, 11))
    cancelled = f.SlotFactory(site=site, date=datetime.date(2026, 2, 18))
    f.BookingFactory(doctor=doctor, slot=cancelled, status=Booking.Status.CANCELLED)

    cpam = f.CpamFactory(department=doctor.practice_department)
    january = generate_statement(cpam, datetime.date(2026, 1, 1), by=ars_staff)
    mark_statement_paid(issue_statement(january, by=ars_staff), by=ars_staff)
    issue_statement(generate_statement(cpam, datetime.date(2026, 2, 1), by=ars_staff), by=ars_staff)  # not paid

    figures = doctor_year(doctor.pk, 2026)
    assert figures.total_days == Decimal("2.5")
    assert [row.days for row in figures.months[:3]] == [Decimal("1.5"), Decimal("1"), Decimal("0")]
    assert figures.months[0].label == "Janvier 2026"
    assert [(row.label, row.days) for row in figures.zones] == [(zone.name, Decimal("2.5"))]
    assert [(row.label, row.days) for row in figures.zonage] == [
        ("Zone d'intervention prioritaire (ZIP)", Decimal("2.5"))
    ]
    assert figures.stated == Decimal("500.00") and figures.paid == Decimal("300.00")

    last_year = doctor_year(doctor.pk, 2025)
    assert [(row.label, row.days) for row in last_year.zonage] == [("Zone d'action complémentaire (ZAC)", Decimal("1"))]


def test_the_page_and_the_pdf_say_the_product_does_not_judge_eligibility(client, doctor):
    client.force_login(doctor.user)
    page = client.get("/medecin/mon-annee/", {"annee": "2026"}).content.decode()
    assert "Mon année 2026 en chiffres" in page
    assert "ne disent pas si vous remplissez les conditions d'un contrat" in page
    pdf = client.get("/medecin/mon-annee/pdf/", {"annee": "2026"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"mon-annee-2026.pdf" in pdf["Content-Disposition"].encode()
    assert client.get("/medecin/mon-annee/", {"annee": "0"}).status_code == 404
