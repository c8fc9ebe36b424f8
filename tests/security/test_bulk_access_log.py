"""Bulk reads of doctors' records leave one row in the access log (issue #12): who, the path, the query string and
how many records — the API lists that name doctors, the /ars/ dashboard, the CPAM list of doctors awaiting a billing
number, and every statement export (CSV, XLSX, PDF) through the API and the pages.

A doctor reading their own bookings leaves nothing (their own record; the log would drown in it).
"""

import datetime

import pytest

from accounts.models import AccessLog
from billing.exports.background import run_export
from billing.models import StatementExport
from billing.services import generate_statement, issue_statement
from missions.models import Booking
from tests import factories as f
from tests.api.conftest import client_for, in_days

pytestmark = pytest.mark.django_db


def only_row() -> AccessLog:
    [row] = AccessLog.objects.all()
    assert row.object_id == ""
    return row


@pytest.fixture
def statement(doctor, site, ars_staff):
    f.FlatRateFactory(valid_from=datetime.date(2025, 1, 1))
    for day in (6, 7):
        slot = f.SlotFactory(site=site, date=datetime.date(2025, 10, day))
        f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.COMPLETED, consultations=4)
    cpam = f.CpamFactory(department=doctor.practice_department)
    return issue_statement(generate_statement(cpam, datetime.date(2025, 10, 1), by=ars_staff), by=ars_staff)


def test_the_api_list_of_doctors(ars_staff, doctor, other_doctor):
    response = client_for(ars_staff).get("/api/v1/doctors/", {"status": "validated"})
    assert response.status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.view_name) == (ars_staff, "missions.doctor", "api:doctor-list")
    assert (row.path, row.query, row.record_count) == ("/api/v1/doctors/", "status=validated", 2)


@pytest.mark.parametrize("persona", ["ars_staff", "site_member", "cpam_agent"])
def test_the_api_list_of_bookings_for_those_who_see_other_peoples(persona, request, doctor, site):
    for day in (5, 6):
        f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(day)))
    user = request.getfixturevalue(persona)
    assert client_for(user).get("/api/v1/bookings/", {"page": 1}).status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.query, row.record_count) == (user, "missions.booking", "page=1", 2)


def test_a_doctor_listing_their_own_bookings_leaves_no_row(doctor, site):
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    assert client_for(doctor.user).get("/api/v1/bookings/").status_code == 200
    assert not AccessLog.objects.exists()


def test_the_api_search_of_available_doctors(site_member, zone, doctor):
    f.AvailabilityFactory(doctor=doctor, date=in_days(12))
    params = {"zone": zone.pk, "date": in_days(12).isoformat()}
    assert client_for(site_member).get("/api/v1/availability/", params).status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.record_count) == (site_member, "missions.doctor", 1)
    assert row.query == f"zone={zone.pk}&date={params['date']}"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_each_api_export_of_a_statement(fmt, cpam_agent, statement):
    client = client_for(cpam_agent)
    response = client.get(f"/api/v1/statements/{statement.pk}/{fmt}/")
    if fmt != "csv":  # prepared in the background: the 202 carries no line; the file, asked again, is logged
        assert response.status_code == 202 and not AccessLog.objects.exists()
        run_export(response.json()["id"])
        response = client.get(f"/api/v1/statements/{statement.pk}/{fmt}/")
    assert response.status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.view_name) == (cpam_agent, "billing.statementline", f"api:statement-{fmt}")
    assert (row.path, row.record_count) == (f"/api/v1/statements/{statement.pk}/{fmt}/", 2)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_each_page_export_of_a_statement(fmt, client, ars_staff, statement):
    client.force_login(ars_staff)
    view_name = f"billing:statement_{fmt}"
    if fmt != "csv":  # prepared in the background: its page and « Préparer » read no line; the file is logged
        assert client.get(f"/cpam/releves/{statement.pk}/{fmt}/").status_code == 200
        client.post(f"/cpam/releves/{statement.pk}/{fmt}/preparer/")
        assert not AccessLog.objects.exists()
        run_export(StatementExport.objects.get(statement=statement, format=fmt).pk)
        fmt, view_name = f"{fmt}/fichier", "billing:statement_export_file"
    assert client.get(f"/cpam/releves/{statement.pk}/{fmt}/").status_code == 200
    row = only_row()
    assert (row.user, row.view_name, row.record_count) == (ars_staff, view_name, 2)


def test_the_cpam_list_of_doctors_awaiting_a_billing_number(client, cpam_agent, doctor):
    client.force_login(cpam_agent)
    assert client.get("/cpam/numeros/", {"page": "1"}).status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.view_name) == (cpam_agent, "missions.doctor", "billing:billing_numbers")
    assert (row.path, row.query, row.record_count) == ("/cpam/numeros/", "page=1", 1)


def test_the_ars_dashboard(client, ars_staff, zone, site, doctor):
    f.DoctorFactory(status="submitted", validated_at=None, zones=[zone])
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(1)))
    client.force_login(ars_staff)
    assert client.get("/ars/").status_code == 200
    row = only_row()
    assert (row.user, row.object_type, row.view_name, row.path) == (
        ars_staff,
        "missions.doctor",
        "missions:ars_dashboard",
        "/ars/",
    )
    assert row.record_count == 2  # one application, one unconfirmed booking
