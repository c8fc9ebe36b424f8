"""ARS staff validate an application the RPPS directory disagrees with only with a reason; they see the check on
the admin's doctor page, in the validate action, on the dashboard's list of applications and in the e-mail of a
new application. Without a directory, nothing changes."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from core.errors import Code, NotAllowed, RuleViolation
from core.models import TransitionLog
from missions import services
from missions.models import Doctor
from missions.registration import Registration
from notifications.models import Message
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.api.conftest import client_for
from tests.directory.files import line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_REQUIRED = False


@pytest.fixture
def applicant(zone):
    return f.DoctorFactory(
        submitted=True, first_name="Zoé", last_name="Lefèvre", specialty="Médecine générale", zones=[zone]
    )


@pytest.fixture
def console(client, ars_staff):
    client.force_login(ars_staff)
    return client


def agreeing(doctor) -> str:
    return line(doctor.rpps, "LEFEVRE", "ZOE")


def disagreeing(doctor) -> str:
    return line(doctor.rpps, "LEFÈVRE", "Zoé", specialty=("SM40", "Pédiatrie"))


def act(client, action: str, doctors, **data):
    url = reverse("admin:missions_doctor_changelist")
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [d.pk for d in doctors], **data}, follow=True)


# --- the service ---------------------------------------------------------------------------------------------


def test_without_a_directory_validation_asks_nothing_more(applicant, ars_staff):
    services.validate_doctor(applicant, by=ars_staff)

    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.VALIDATED


def test_an_application_the_directory_agrees_with_is_validated_without_a_reason(directory, applicant, ars_staff):
    directory(agreeing(applicant))

    services.validate_doctor(applicant, by=ars_staff)

    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.VALIDATED
    assert applicant.status_reason == ""


def test_a_disagreement_needs_a_reason_which_is_kept(directory, applicant, ars_staff):
    directory(disagreeing(applicant))

    with pytest.raises(RuleViolation) as refused:
        services.validate_doctor(applicant, by=ars_staff, reason="   ")
    assert refused.value.code == Code.RPPS_MISMATCH_REASON_REQUIRED
    assert "spécialité différente (annuaire : « Pédiatrie »)" in refused.value.message
    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.SUBMITTED

    services.validate_doctor(applicant, by=ars_staff, reason="Qualification en médecine générale vue sur le diplôme")

    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.VALIDATED
    assert applicant.status_reason == "Qualification en médecine générale vue sur le diplôme"
    log = TransitionLog.objects.of(applicant).latest("pk")
    assert log.reason == "Qualification en médecine générale vue sur le diplôme"


@pytest.mark.parametrize(
    "lines",
    [
        lambda d: [],  # a directory without this number
        lambda d: [line(d.rpps, "LEFEVRE", "Zoé", profession=("60", "Infirmier"), specialty=("", ""))],
        lambda d: [line(d.rpps, "MARTIN", "Zoé")],
    ],
    ids=["unknown", "not a doctor", "another name"],
)
def test_every_kind_of_disagreement_needs_a_reason(directory, applicant, ars_staff, lines):
    directory(*lines(applicant), line(with_luhn_key("1000088000"), "AUTRE", "Personne"))

    with pytest.raises(RuleViolation) as refused:
        services.validate_doctor(applicant, by=ars_staff)

    assert refused.value.code == Code.RPPS_MISMATCH_REASON_REQUIRED


def test_who_may_not_validate_learns_nothing_of_the_directory(directory, applicant, ars_other_region):
    directory(disagreeing(applicant))

    with pytest.raises(NotAllowed) as refused:
        services.validate_doctor(applicant, by=ars_other_region)

    assert "annuaire" not in refused.value.message


def test_a_doctor_who_cannot_be_validated_is_told_so_not_asked_a_reason(directory, zone, ars_staff):
    rejected = f.DoctorFactory(rejected=True, zones=[zone])
    directory(line(with_luhn_key("1000088000"), "AUTRE", "Personne"))

    with pytest.raises(RuleViolation) as refused:
        services.validate_doctor(rejected, by=ars_staff)

    assert refused.value.code == Code.INVALID_TRANSITION


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_answers_409_then_validates_with_the_reason(directory, applicant, ars_staff):
    directory(disagreeing(applicant))
    client = client_for(ars_staff)

    refused = client.post(f"/api/v1/doctors/{applicant.pk}/validate/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "rpps_mismatch_reason_required"

    validated = client.post(f"/api/v1/doctors/{applicant.pk}/validate/", {"reason": "Vu au CDOM"}, format="json")
    assert validated.status_code == 200
    assert validated.json()["status"] == "validated"


# --- the admin -------------------------------------------------------------------------------------------------


def test_the_doctor_page_shows_the_check(directory, applicant, console):
    directory(disagreeing(applicant))

    page = console.get(reverse("admin:missions_doctor_change", args=[applicant.pk])).content.decode()

    assert "Annuaire RPPS" in page
    assert "À vérifier" in page
    assert "(annuaire du " in page
    assert "spécialité différente (annuaire : « Pédiatrie »)" in page


def test_the_doctor_page_says_when_no_directory_is_loaded(applicant, console):
    page = console.get(reverse("admin:missions_doctor_change", args=[applicant.pk])).content.decode()

    assert "Annuaire non chargé" in page
    assert "(annuaire non chargé)" not in page


def test_validating_applications_the_directory_agrees_with_takes_one_step(directory, applicant, console):
    directory(agreeing(applicant))

    response = act(console, "validate", [applicant])

    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.VALIDATED
    assert "1 dossier validé" in response.content.decode()


def test_a_disagreement_shows_the_checks_and_asks_the_reason(directory, applicant, console, zone):
    other = f.DoctorFactory(submitted=True, first_name="Paul", last_name="Roux", zones=[zone])
    directory(disagreeing(applicant), line(other.rpps, "ROUX", "Paul"))

    form_page = act(console, "validate", [applicant, other])
    text = form_page.content.decode()
    assert "Valider des dossiers (vérification dans l&#x27;annuaire RPPS)" in text
    assert f"{applicant} — À vérifier : spécialité différente" in text.replace("&#x27;", "'").replace("&quot;", '"')
    assert f"{other} — Conforme à l'annuaire RPPS" in text.replace("&#x27;", "'")
    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.SUBMITTED

    without_reason = act(console, "validate", [applicant, other], apply="Confirmer", reason="")
    applicant.refresh_from_db()
    other.refresh_from_db()
    assert applicant.status == Doctor.Status.SUBMITTED
    assert other.status == Doctor.Status.VALIDATED  # the other one needed no reason
    assert "indiquez le motif de la validation malgré cet écart" in without_reason.content.decode()

    act(console, "validate", [applicant], apply="Confirmer", reason="Spécialité vérifiée auprès du CDOM")
    applicant.refresh_from_db()
    assert applicant.status == Doctor.Status.VALIDATED
    assert applicant.status_reason == "Spécialité vérifiée auprès du CDOM"


# --- the dashboard and the e-mail to the ARS ---------------------------------------------------------------------


def test_the_dashboard_lists_each_application_with_its_check(directory, applicant, client, ars_staff, zone):
    other = f.DoctorFactory(submitted=True, first_name="Paul", last_name="Roux", zones=[zone])
    directory(disagreeing(applicant))
    client.force_login(ars_staff)

    html = client.get("/ars/").content.decode()

    assert "Annuaire RPPS</th>" in html
    assert '<p class="fr-badge fr-badge--sm fr-badge--warning">À vérifier</p>' in html
    assert '<p class="fr-badge fr-badge--sm fr-badge--error">RPPS introuvable dans l&#x27;annuaire</p>' in html
    assert other.rpps in html


def test_the_ars_is_told_what_the_directory_says_of_a_new_application(directory, zone, ars_staff):
    commune = f.CommuneFactory(department=zone.department)
    rpps = with_luhn_key("1000077000")
    directory(line(rpps, "DURAND", "Léo", profession=("21", "Pharmacien"), specialty=("", "")))
    registration = Registration(
        email="leo.durand@exemple.fr",
        password="un-mot-de-passe-solide-42",
        rpps=rpps,
        first_name="Léo",
        last_name="Durand",
        specialty="Médecine générale",
        sector="1",
        mode="liberal",
        practice_commune=commune,
        cdom_department=zone.department,
        phone="",
        replacement_declared=False,
        zones=[zone],
        discreet=False,
    )

    doctor = services.register_doctor(registration)

    to_ars = Message.objects.get(kind="doctor_registered_ars")
    assert "Annuaire RPPS : Pas médecin selon l'annuaire : profession dans l'annuaire : Pharmacien" in to_ars.body_text
    to_doctor = Message.objects.get(kind="doctor_registered", recipient=doctor.user.email)
    assert "annuaire" not in to_doctor.body_text.lower()
