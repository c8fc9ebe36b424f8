"""A volunteer's « en savoir plus »: the lead reaches the right department's referent and the ARS follows it."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import NotAllowed, RuleViolation
from core.models import TransitionLog
from installation.models import InstallationLead
from installation.services import ask_about, follow_lead
from notifications.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_lead_reaches_the_referent_of_the_places_department_only(doctor, zone, other_zone):
    ours = f.InstallationReferentFactory(department=zone.department, email="referent-ici@ars.exemple.fr")
    f.InstallationReferentFactory(department=zone.department, email="ancien@ars.exemple.fr", active=False)
    f.InstallationReferentFactory(department=other_zone.department, email="referent-ailleurs@ars.exemple.fr")
    f.InstallationReferentFactory(email="autre-departement@ars.exemple.fr")

    lead, created = ask_about(doctor, by=doctor.user, zone=zone, message="Quelles aides ?")

    assert created and lead.department == zone.department and lead.status == InstallationLead.Status.NEW
    sent = Message.objects.filter(kind="installation_lead")
    assert list(sent.values_list("recipient", flat=True)) == [ours.email]
    assert doctor.full_name in sent.get().subject and "Quelles aides ?" in sent.get().body_text


def test_without_a_referent_the_ars_contact_address_is_told(doctor, zone, settings):
    settings.ARS_CONTACT_EMAIL = "ars-contact@ars.exemple.fr"
    ask_about(doctor, by=doctor.user, zone=zone)
    assert list(Message.objects.values_list("recipient", flat=True)) == ["ars-contact@ars.exemple.fr"]


def test_a_commune_lead_goes_to_the_communes_department_and_counts_for_its_zone(doctor, zone, territory):
    lead, _ = ask_about(doctor, by=doctor.user, commune=territory["upper"])
    assert lead.commune == territory["upper"] and lead.zone == zone and lead.department == zone.department


def test_asking_twice_finds_the_open_lead(doctor, zone):
    first, created = ask_about(doctor, by=doctor.user, zone=zone)
    again, created_again = ask_about(doctor, by=doctor.user, zone=zone, message="Encore moi")
    assert created and not created_again and again == first
    assert Message.objects.filter(kind="installation_lead").count() == 1


def test_only_the_doctor_asks_for_themselves(doctor, other_doctor, zone, ars_staff):
    with pytest.raises(NotAllowed):
        ask_about(doctor, by=other_doctor.user, zone=zone)
    with pytest.raises(NotAllowed):
        ask_about(doctor, by=ars_staff, zone=zone)
    assert not InstallationLead.objects.exists()


def test_the_ars_of_the_region_follows_the_lead_with_its_history(doctor, zone, ars_staff):
    lead, _ = ask_about(doctor, by=doctor.user, zone=zone)
    follow_lead(lead, "contact", by=ars_staff)
    follow_lead(lead, "plan", by=ars_staff)
    lead = follow_lead(lead, "install", by=ars_staff, note="Installé à la maison de santé au 1er mars.")
    assert lead.status == InstallationLead.Status.INSTALLED
    assert lead.contacted_by == ars_staff and lead.closed_by == ars_staff and lead.note.startswith("Installé")
    steps = TransitionLog.objects.of(lead)
    assert [(s.from_state, s.to_state) for s in steps] == [
        ("new", "contacted"),
        ("contacted", "planning"),
        ("planning", "installed"),
    ]
    assert lead.history.count() == 4  # created, then each act


def test_the_ars_of_another_region_may_not_follow(doctor, zone, ars_other_region):
    lead, _ = ask_about(doctor, by=doctor.user, zone=zone)
    with pytest.raises(NotAllowed):
        follow_lead(lead, "contact", by=ars_other_region)
    with pytest.raises(NotAllowed):
        follow_lead(lead, "contact", by=doctor.user)


def test_an_abandon_needs_a_reason_and_a_closed_lead_stays_closed(doctor, zone, ars_staff):
    lead, _ = ask_about(doctor, by=doctor.user, zone=zone)
    with pytest.raises(ValidationError):
        follow_lead(lead, "abandon", by=ars_staff)
    lead = follow_lead(lead, "abandon", by=ars_staff, note="Projet reporté.")
    with pytest.raises(RuleViolation) as refused:
        follow_lead(lead, "contact", by=ars_staff)
    assert refused.value.code == "invalid_transition"
    # Closed: the doctor may ask again, which opens a new lead.
    again, created = ask_about(doctor, by=doctor.user, zone=zone)
    assert created and again != lead


def test_who_sees_a_lead(doctor, other_doctor, zone, ars_staff, ars_other_region):
    from accounts.authority import visible

    lead, _ = ask_about(doctor, by=doctor.user, zone=zone)
    assert list(visible(ars_staff, InstallationLead)) == [lead]
    assert list(visible(doctor.user, InstallationLead)) == [lead]
    assert not visible(ars_other_region, InstallationLead).exists()
    assert not visible(other_doctor.user, InstallationLead).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_open_one_lead_and_send_one_message():
    """Real parallel transactions: the partial unique constraint holds one open lead per doctor and place."""
    from tests.missions.race_scenarios import OK, race

    zone = f.ZoneFactory()
    doctor = f.DoctorFactory(zones=[zone])
    outcomes = race([lambda: ask_about(doctor, by=doctor.user, zone=zone) for _ in range(6)])
    assert [outcome for outcome, _ in outcomes] == [OK] * 6, outcomes
    assert InstallationLead.objects.filter(doctor=doctor).count() == 1
    assert Message.objects.filter(kind="installation_lead").count() == 1


def test_the_doctors_data_holds_their_leads_and_closing_erases_their_messages(client, doctor, zone):
    from accounts.privacy import close_account

    lead, _ = ask_about(doctor, by=doctor.user, zone=zone, message="Mon numéro personnel : 06 00 00 00 00")
    client.force_login(doctor.user)
    data = client.get("/compte/mes-donnees.json").json()
    assert data["installation"][0]["message"] == "Mon numéro personnel : 06 00 00 00 00"
    close_account(doctor.user, by=doctor.user)
    lead.refresh_from_db()
    assert lead.message == ""
    assert not lead.history.exclude(message="").exists()
