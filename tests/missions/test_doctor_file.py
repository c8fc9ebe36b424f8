"""The volunteer's file as a lifecycle (issue #15, item 1): the CDOM answers through a signed, expiring link (or
ARS staff record its answer), the RCP insurance is required before the validation, the CPAM's dedicated number is
told to the doctor, and « carte reçue » stops the follow-up. Every step is stamped and logged (TransitionLog)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.services import record_billing_number
from core.errors import Code, NotAllowed, RuleViolation
from core.models import TransitionLog
from missions import doctor_file, services
from missions.jobs import run_cps_followup
from missions.models import Doctor
from missions.registration import Registration
from notifications.kinds import secret_kinds
from notifications.models import Message
from tests import factories as f
from tests.missions.test_services import registration

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))


@pytest.fixture
def applicant(zone):
    """A doctor who just registered: CDOM not answered, no insurance yet."""
    return f.DoctorFactory(submitted=True, uninsured=True, zones=[zone])


def cdom_page(client, doctor, **post):
    url = reverse("missions:cdom_decision", args=[doctor_file.cdom_token(doctor)])
    return client.post(url, post) if post else client.get(url)


# --- the CDOM's link -------------------------------------------------------------------------------------------


def test_registration_sends_the_cdom_its_one_step_link_as_a_secret(zone, ars_staff):
    commune = f.CommuneFactory(department=zone.department)
    doctor = services.register_doctor(Registration(**registration(commune, zone)))
    message = Message.objects.get(kind="cdom_authorisation_request")
    assert message.recipient == doctor.cdom_department.cdom_email
    token = re.search(r"/cdom/avis/([^/\s]+)/", message.body_text).group(1)
    assert doctor_file.doctor_of_cdom_token(token) == doctor
    assert "cdom_authorisation_request" in secret_kinds()


def test_opening_the_link_changes_nothing_and_answering_records_it_with_its_date(client, applicant, ars_staff):
    with time_machine.travel(NOW, tick=False):
        assert cdom_page(client, applicant).status_code == 200
        applicant.refresh_from_db()
        assert applicant.cdom_status == Doctor.CdomStatus.PENDING

        response = cdom_page(client, applicant, decision="authorised")
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    applicant.refresh_from_db()
    assert (applicant.cdom_status, applicant.cdom_decided_at, applicant.cdom_decided_by) == ("authorised", NOW, None)
    assert "Autorisé le 2 mars 2026" in page
    log = TransitionLog.objects.of(applicant).get(act="cdom_authorise")
    assert (log.from_state, log.to_state, log.by) == ("pending", "authorised", None)
    assert set(Message.objects.values_list("kind", flat=True)) >= {"cdom_decided", "cdom_decided_ars"}
    assert Message.objects.get(kind="cdom_decided").recipient == applicant.user.email


def test_a_refusal_needs_its_reason_then_shows_it_and_blocks_the_validation(client, applicant, ars_staff):
    response = cdom_page(client, applicant, decision="refused", reason="")
    assert response.status_code == 400
    assert "Indiquez le motif du refus" in response.content.decode()

    response = cdom_page(client, applicant, decision="refused", reason="Inscription au tableau suspendue")
    assert "Refusé : Inscription au tableau suspendue" in client.get(response["Location"]).content.decode()
    applicant.refresh_from_db()
    assert applicant.cdom_reason == "Inscription au tableau suspendue"

    doctor_file.declare_insurance(applicant, doctor_file.Insurance("MACSF", "C-1", True), by=applicant.user)
    with pytest.raises(RuleViolation) as refused:
        services.validate_doctor(applicant, by=ars_staff)
    assert refused.value.code == Code.CDOM_REFUSED


def test_a_second_answer_through_the_link_is_refused(client, applicant):
    cdom_page(client, applicant, decision="authorised")
    response = cdom_page(client, applicant, decision="refused", reason="Trop tard")
    # The page shows the decision and no form any more; a forged POST is refused by the lifecycle.
    assert response.status_code == 409
    assert "Autorisé le" in response.content.decode()
    applicant.refresh_from_db()
    assert (applicant.cdom_status, applicant.cdom_reason) == ("authorised", "")


def test_an_expired_or_altered_link_records_nothing(client, applicant):
    with time_machine.travel(NOW, tick=False):
        token = doctor_file.cdom_token(applicant)
    with time_machine.travel(NOW + doctor_file.CDOM_LINK_MAX_AGE + timedelta(days=1), tick=False):
        url = reverse("missions:cdom_decision", args=[token])
        assert client.post(url, {"decision": "authorised"}).status_code == 410
    assert client.post(url[:-3] + "xx/", {"decision": "authorised"}).status_code == 400
    applicant.refresh_from_db()
    assert applicant.cdom_status == Doctor.CdomStatus.PENDING


def test_a_link_sent_to_a_former_cdom_no_longer_works(client, applicant):
    token = doctor_file.cdom_token(applicant)
    Doctor.objects.filter(pk=applicant.pk).update(cdom_department=f.DepartmentFactory())
    assert client.get(reverse("missions:cdom_decision", args=[token])).status_code == 400


def test_ars_staff_of_the_region_record_the_cdom_answer_and_nobody_else(applicant, ars_staff, ars_other_region):
    for outsider in (applicant.user, ars_other_region):
        with pytest.raises(NotAllowed):
            doctor_file.record_cdom_decision(applicant, authorised=True, by=outsider)
    doctor = doctor_file.record_cdom_decision(applicant, authorised=True, by=ars_staff)
    assert (doctor.cdom_status, doctor.cdom_decided_by) == ("authorised", ars_staff)


# --- insurance and validation ---------------------------------------------------------------------------------


def test_validation_requires_the_insurance(applicant, ars_staff):
    with pytest.raises(RuleViolation) as refused:
        services.validate_doctor(applicant, by=ars_staff)
    assert refused.value.code == Code.INSURANCE_MISSING
    assert "assurance en responsabilité civile professionnelle" in refused.value.message

    doctor_file.declare_insurance(applicant, doctor_file.Insurance(" MACSF ", "RCP-42", True), by=applicant.user)
    doctor = services.validate_doctor(applicant, by=ars_staff)
    assert doctor.status == Doctor.Status.VALIDATED
    assert (doctor.insurer, doctor.insurance_contract, doctor.insurance_declared_by) == (
        "MACSF",
        "RCP-42",
        applicant.user,
    )
    assert TransitionLog.objects.of(doctor).filter(act="declare_insurance").count() == 1


def test_the_api_refuses_the_validation_with_409_insurance_missing(applicant, ars_staff):
    from tests.api.conftest import client_for

    response = client_for(ars_staff).post(f"/api/v1/doctors/{applicant.pk}/validate/")
    assert response.status_code == 409
    assert response.json()["code"] == "insurance_missing"


def test_insurance_without_the_statement_of_coverage_is_refused_field_by_field(applicant):
    with pytest.raises(ValidationError) as refused:
        doctor_file.declare_insurance(applicant, doctor_file.Insurance("", "", False), by=applicant.user)
    assert set(refused.value.message_dict) == {"insurer", "insurance_contract", "insurance_covers_sites"}


def test_another_doctor_cannot_declare_ones_insurance(applicant, other_doctor):
    with pytest.raises(NotAllowed):
        doctor_file.declare_insurance(applicant, doctor_file.Insurance("MACSF", "C-1", True), by=other_doctor.user)


# --- billing number and CPS card -------------------------------------------------------------------------------


def test_the_dedicated_number_is_mailed_to_the_doctor_once_and_shown_on_their_home_page(client, doctor, cpam_agent):
    record_billing_number(doctor, number="691 234 567", by=cpam_agent)
    record_billing_number(doctor, number="691234567", by=cpam_agent)  # the same number again: nothing new
    doctor.refresh_from_db()
    assert (doctor.billing_number_status, doctor.billing_number_recorded_by) == ("recorded", cpam_agent)
    message = Message.objects.get(kind="billing_number_recorded")
    assert message.recipient == doctor.user.email and "691234567" in message.body_text
    assert TransitionLog.objects.of(doctor).filter(act="record_billing_number").count() == 1
    client.force_login(doctor.user)
    assert "691234567" in client.get("/medecin/").content.decode()


def test_a_corrected_number_is_told_again(doctor, cpam_agent):
    record_billing_number(doctor, number="691234567", by=cpam_agent)
    record_billing_number(doctor, number="691234568", by=cpam_agent)
    assert Message.objects.filter(kind="billing_number_recorded").count() == 2


def test_carte_recue_stops_the_follow_up(doctor):
    Doctor.objects.filter(pk=doctor.pk).update(validated_at=timezone.now() - timedelta(days=30))
    doctor_file.declare_cps_card(doctor, by=doctor.user)
    doctor.refresh_from_db()
    assert (doctor.cps_card_status, doctor.cps_card_received_on) == ("received", timezone.localdate())
    run_cps_followup()
    assert not Message.objects.filter(kind="cps_followup").exists()
    with pytest.raises(RuleViolation) as twice:
        doctor_file.declare_cps_card(doctor, by=doctor.user)
    assert twice.value.code == Code.INVALID_TRANSITION


def test_without_the_declaration_the_follow_up_goes(doctor):
    Doctor.objects.filter(pk=doctor.pk).update(validated_at=timezone.now() - timedelta(days=30))
    run_cps_followup()
    assert Message.objects.filter(kind="cps_followup").exists()


# --- the steps as everyone reads them --------------------------------------------------------------------------


def test_the_file_steps_carry_their_states_and_dates(applicant):
    with time_machine.travel(NOW, tick=False):
        doctor_file.record_cdom_decision(applicant, authorised=True, token=doctor_file.cdom_token(applicant))
    applicant.refresh_from_db()
    steps = {step["key"]: step for step in doctor_file.file_steps(applicant)}
    assert list(steps) == ["cdom", "insurance", "validation", "billing_number", "cps_card"]
    assert (steps["cdom"]["done"], steps["cdom"]["at"]) == (True, NOW)
    assert (steps["insurance"]["done"], steps["validation"]["done"]) == (False, False)
