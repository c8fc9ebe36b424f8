"""A doctor downloads everything we hold on them, and can close their account (identity anonymised, billing kept)."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import AccessLog, User
from accounts.privacy import close_account, export_personal_data
from billing.models import StatementLine
from billing.services import generate_statement, issue_statement
from core.errors import NotAllowed, RuleViolation
from missions.models import Booking, Doctor
from notifications.models import Message
from notifications.outbox import enqueue
from tests import factories as f

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2025, 10, 1)


@pytest.fixture
def history(doctor, site, other_doctor, ars_staff, flat_rate):
    """`doctor` with a stated (issued) day, a future booking, an availability, a message; `other_doctor` too."""
    cpam = f.CpamFactory(department=doctor.practice_department)
    past = f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=datetime.date(2025, 10, 7)),
        status=Booking.Status.COMPLETED,
        consultations=11,
        confirmed_at=timezone.now(),
        attested_at=timezone.now(),
    )
    statement = issue_statement(generate_statement(cpam, OCTOBER, by=ars_staff), by=ars_staff)
    future = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    f.AvailabilityFactory(doctor=doctor, date=timezone.localdate() + datetime.timedelta(days=30))
    later = timezone.localdate() + datetime.timedelta(days=15)
    f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=site, date=later), status=Booking.Status.REQUESTED)
    enqueue("doctor_validated", to=doctor.user.email, context={"doctor": doctor}, dedup_key="t:validated")
    enqueue("doctor_validated", to=other_doctor.user.email, context={"doctor": other_doctor}, dedup_key="t:other")
    return {"past": past, "future": future, "statement": statement}


def test_a_doctor_downloads_everything_we_hold_on_them(client, doctor, history):
    client.force_login(doctor.user)
    response = client.get(reverse("security:my_data"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    data = json.loads(response.content)
    assert data["compte"]["adresse_email"] == doctor.user.email
    assert data["mission"]["dossier"]["rpps"] == doctor.rpps
    assert data["mission"]["dossier"]["nom"] == doctor.last_name
    assert [z["siren"] for z in data["mission"]["zones_couvertes"]] == [z.siren for z in doctor.zones.all()]
    assert len(data["mission"]["disponibilites"]) == 1
    assert {b["statut"] for b in data["mission"]["reservations"]} == {"Effectuée", "Confirmée"}
    [line] = data["facturation"]
    assert (line["montant"], line["releve"]) == ("200.00", history["statement"].reference)
    assert [m["type"] for m in data["messages_recus"]] == ["doctor_validated"]


def test_the_export_holds_nothing_of_anyone_else(client, doctor, other_doctor, history):
    client.force_login(doctor.user)
    text = client.get(reverse("security:my_data")).content.decode()
    assert other_doctor.user.email not in text
    assert other_doctor.rpps not in text
    assert other_doctor.last_name not in text


def test_the_export_needs_a_login(client):
    response = client.get(reverse("security:my_data"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_export_of_a_person_without_a_doctor_record_has_their_account(client, site_member):
    client.force_login(site_member)
    data = client.get(reverse("security:my_data")).json()
    assert data["compte"]["adresse_email"] == site_member.email
    assert data["mission"] is None
    assert data["facturation"] == []


def test_closing_anonymises_the_identity_and_keeps_the_billing_lines(doctor, history, site_member):
    line_before = StatementLine.objects.get(booking=history["past"])
    Token.objects.create(user=doctor.user)
    rpps, user_pk = doctor.rpps, doctor.user.pk
    real_last_name, real_email = doctor.last_name, doctor.user.email

    close_account(doctor.user, by=doctor.user)

    user = User.objects.get(pk=user_pk)
    doctor = Doctor.objects.get(pk=doctor.pk)
    assert user.email == f"compte-ferme-{user_pk}@anonyme.invalid"
    assert (user.first_name, user.last_name, user.is_active) == ("", "", False)
    assert not user.has_usable_password()
    assert user.closed_at is not None
    assert not Token.objects.filter(user=user).exists()
    assert f"{doctor.first_name} {doctor.last_name}" == "Médecin anonymisé"
    assert doctor.phone == ""
    assert doctor.status == Doctor.Status.WITHDRAWN
    assert doctor.rpps == rpps  # kept: billing identifier
    assert not doctor.zones.exists()
    assert not doctor.availabilities.exists()
    assert not doctor.history.filter(last_name=real_last_name).exists()
    # The future day is cancelled (and the site told); the stated day and its line are untouched.
    assert Booking.objects.get(pk=history["future"].pk).status == Booking.Status.CANCELLED
    assert Message.objects.filter(recipient=site_member.email, kind="booking_cancelled").exists()
    assert Booking.objects.get(pk=history["past"].pk).status == Booking.Status.COMPLETED
    line_after = StatementLine.objects.get(pk=line_before.pk)
    assert (line_after.doctor_last_name, line_after.doctor_rpps, line_after.amount) == (
        line_before.doctor_last_name,
        line_before.doctor_rpps,
        line_before.amount,
    )
    # Messages sent to them no longer name them.
    old = Message.objects.get(kind="doctor_validated", recipient=user.email)
    assert real_last_name not in old.subject + old.body_text + old.body_html
    assert real_email not in old.dedup_key
    assert not Message.objects.filter(recipient=real_email).exists()


def test_a_closed_account_can_no_longer_log_in(client, doctor):
    email = doctor.user.email
    close_account(doctor.user, by=doctor.user)
    response = client.post(reverse("accounts:login"), {"username": email, "password": f.PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_closing_logs_out_every_open_session(client, doctor):
    client.force_login(doctor.user)
    assert client.get(reverse("security:my_data")).status_code == 200
    close_account(doctor.user, by=doctor.user)
    assert client.get(reverse("security:my_data")).status_code == 302


def test_only_the_person_or_ars_staff_may_close_an_account(doctor, other_doctor, ars_staff, site_member):
    with pytest.raises(NotAllowed):
        close_account(doctor.user, by=other_doctor.user)
    with pytest.raises(NotAllowed):
        close_account(doctor.user, by=site_member)
    close_account(doctor.user, by=ars_staff)
    with pytest.raises(RuleViolation) as refused:
        close_account(doctor.user, by=ars_staff)
    assert refused.value.code == "account_closed"


def test_the_closure_page_asks_for_the_password_then_closes(client, doctor):
    client.force_login(doctor.user)
    url = reverse("security:close_account")
    page = client.get(url)
    assert page.status_code == 200
    assert "Médecin anonymisé" in page.content.decode()

    wrong = client.post(url, {"password": "pas-le-bon", "confirm": "on"})
    assert wrong.status_code == 200
    assert "Mot de passe incorrect." in wrong.content.decode()
    unchecked = client.post(url, {"password": f.PASSWORD})
    assert "Cochez cette case" in unchecked.content.decode()
    assert User.objects.get(pk=doctor.user.pk).is_active

    done = client.post(url, {"password": f.PASSWORD, "confirm": "on"})
    assert done.status_code == 302
    assert not User.objects.get(pk=doctor.user.pk).is_active
    assert "_auth_user_id" not in client.session


def test_site_and_cpam_accounts_are_closed_by_the_ars(client, site_member):
    client.force_login(site_member)
    response = client.get(reverse("security:close_account"))
    assert response.status_code == 403
    assert "sa fermeture est faite par" in response.content.decode()


class TestAccessLog:
    def test_ars_staff_opening_a_doctor_record_in_the_admin_is_recorded(self, client, ars_staff, doctor):
        client.force_login(ars_staff)
        response = client.get(reverse("admin:missions_doctor_change", args=[doctor.pk]))
        assert response.status_code == 200
        [entry] = AccessLog.objects.all()
        assert (entry.user, entry.object_type, entry.object_id) == (ars_staff, "missions.doctor", str(doctor.pk))
        assert entry.view_name == "admin:missions_doctor_change"

    def test_the_api_detail_of_a_doctor_is_recorded_too(self, client, ars_staff, doctor):
        client.force_login(ars_staff)
        assert client.get(f"/api/v1/doctors/{doctor.pk}/").status_code == 200
        assert AccessLog.objects.filter(object_id=str(doctor.pk), view_name="api:doctor-detail").count() == 1

    def test_a_list_is_recorded_in_bulk_and_refusals_not_at_all(self, client, ars_staff, doctor):
        # A changelist is a bulk read (issue #12): one row with the filter and the count, no record named.
        client.force_login(ars_staff)
        client.get(reverse("admin:missions_doctor_changelist"))
        client.get(reverse("admin:missions_doctor_change", args=[999999]))
        [entry] = AccessLog.objects.all()
        assert (entry.object_id, entry.record_count, entry.view_name) == ("", 1, "admin:missions_doctor_changelist")

    def test_the_doctor_sees_who_consulted_their_record(self, client, ars_staff, doctor):
        client.force_login(ars_staff)
        client.get(reverse("admin:missions_doctor_change", args=[doctor.pk]))
        data = export_personal_data(doctor.user)
        [access] = data["mission"]["consultations_du_dossier_par_l_ars"]
        assert access["par"] == ars_staff.get_full_name()


def test_a_national_administrator_closes_an_account_from_the_admin(client, ars_staff, doctor):
    # Accounts are managed by national administrators only (issue #12): ARS staff are refused the user admin.
    client.force_login(ars_staff)
    refused = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "close_accounts", "_selected_action": [doctor.user.pk]},
    )
    assert refused.status_code == 403
    assert User.objects.get(pk=doctor.user.pk).is_active
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "close_accounts", "_selected_action": [doctor.user.pk]},
    )
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.last_name == "anonymisé"
    assert not User.objects.get(pk=doctor.user.pk).is_active


def test_the_access_log_is_read_only_in_the_admin(client, ars_staff, doctor):
    client.force_login(ars_staff)
    client.get(reverse("admin:missions_doctor_change", args=[doctor.pk]))
    assert client.get(reverse("admin:accounts_accesslog_changelist")).status_code == 403  # national only (#12)
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:accounts_accesslog_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert client.get(reverse("admin:accounts_accesslog_add")).status_code == 403
