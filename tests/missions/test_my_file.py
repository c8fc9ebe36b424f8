"""The doctor's own page and API (issue #15, item 4): phone, zones, sector, mode, replacement and insurance change
from /medecin/mon-dossier/ and PATCH /api/v1/doctors/me/; every change is a version of the history (the zones
included); a change of sector or zones is told to the ARS staff of the doctor's region. And the ARS dashboard's
file steps (item 1): how many files wait at each step, for how long, linking to the list."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from missions import doctor_file
from missions.models import Doctor
from notifications.models import Message
from tests import factories as f
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 10, 0))


def ars_notices():
    return Message.objects.filter(kind="doctor_file_changed_ars")


def test_a_change_of_sector_is_kept_in_history_and_told_to_the_ars_of_the_region(doctor, ars_staff, ars_other_region):
    doctor_file.update_file(doctor, {"sector": Doctor.Sector.SECTOR_2, "phone": "04 73 00 00 00"}, by=doctor.user)
    doctor.refresh_from_db()
    assert (doctor.sector, doctor.phone) == ("2", "04 73 00 00 00")
    latest = doctor.history.latest()
    assert (latest.sector, latest.history_user) == ("2", doctor.user)
    notice = ars_notices().get()
    assert notice.recipient == ars_staff.email
    assert "Secteur : Secteur 1 → Secteur 2" in notice.body_text


def test_a_change_of_phone_alone_is_not_told_to_the_ars(doctor, ars_staff):
    versions = doctor.history.count()
    doctor_file.update_file(doctor, {"phone": "06 00 00 00 00"}, by=doctor.user)
    assert doctor.history.count() == versions + 1
    assert not ars_notices().exists()


def test_nothing_changed_writes_nothing(doctor, ars_staff):
    versions = doctor.history.count()
    doctor_file.update_file(doctor, {"sector": doctor.sector, "zones": list(doctor.zones.all())}, by=doctor.user)
    assert doctor.history.count() == versions
    assert not ars_notices().exists()


def test_adding_a_zone_is_one_step_kept_in_history_and_told(doctor, zone, ars_staff):
    new = f.ZoneFactory(department=zone.department, name="CC du Val")
    doctor_file.add_zone(doctor, new, by=doctor.user)
    assert set(doctor.zones.all()) == {zone, new}
    latest = doctor.history.latest()
    assert {z.zone_id for z in latest.zones.all()} == {zone.pk, new.pk}
    earlier = doctor.history.earliest()
    assert {z.zone_id for z in earlier.zones.all()} <= {zone.pk}
    assert "CC du Val" in ars_notices().get().body_text


def test_a_closed_zone_cannot_be_added(doctor, zone):
    closed = f.ZoneFactory(department=zone.department, active=False)
    with pytest.raises(Exception) as refused:
        doctor_file.add_zone(doctor, closed, by=doctor.user)
    assert "zones" in refused.value.message_dict


def test_another_doctor_cannot_change_ones_file(doctor, other_doctor):
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        doctor_file.update_file(doctor, {"phone": "x"}, by=other_doctor.user)


# --- the API -----------------------------------------------------------------------------------------------------


def test_patch_me_changes_the_file_and_declares_insurance_and_card(doctor, zone, ars_staff):
    other = f.ZoneFactory(department=zone.department)
    response = client_for(doctor.user).patch(
        "/api/v1/doctors/me/",
        {
            "mode": "retraite",
            "replacement_declared": True,
            "zones": [zone.pk, other.pk],
            "insurer": "La Médicale",
            "insurance_contract": "LM-77",
            "insurance_covers_sites": True,
            "cps_card_received": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["mode"], body["replacement_declared"], sorted(body["zones"])) == (
        "retraite",
        True,
        sorted([zone.pk, other.pk]),
    )
    assert (body["insurer"], body["insurance_status"], body["cps_card_status"]) == (
        "La Médicale",
        "declared",
        "received",
    )
    assert ars_notices().count() == 1  # the zones changed; the mode is not told


def test_patch_me_wants_the_three_insurance_fields_together(doctor):
    response = client_for(doctor.user).patch("/api/v1/doctors/me/", {"insurer": "MACSF"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"insurance_contract", "insurance_covers_sites"}


def test_patch_me_refuses_insurance_not_covering_the_sites(doctor):
    response = client_for(doctor.user).patch(
        "/api/v1/doctors/me/",
        {"insurer": "MACSF", "insurance_contract": "C-1", "insurance_covers_sites": False},
        format="json",
    )
    assert response.status_code == 400
    assert "insurance_covers_sites" in response.json()


def test_patch_me_declaring_the_card_twice_is_a_409(doctor):
    client = client_for(doctor.user)
    assert client.patch("/api/v1/doctors/me/", {"cps_card_received": True}, format="json").status_code == 200
    response = client.patch("/api/v1/doctors/me/", {"cps_card_received": True}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_the_schema_documents_the_new_refusals():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "patch" in schema["paths"]["/api/v1/doctors/me/"]
    validate = schema["paths"]["/api/v1/doctors/{id}/validate/"]["post"]["responses"]["409"]
    assert "insurance_missing" in str(validate) and "cdom_refused" in str(validate)


# --- the page ----------------------------------------------------------------------------------------------------


def test_the_page_shows_the_steps_and_the_account_links(client, doctor):
    client.force_login(doctor.user)
    page = client.get("/medecin/mon-dossier/").content.decode()
    for text in ("Autorisation du CDOM", "Assurance RCP", "Numéro Assurance Maladie dédié", "Nouvelle carte CPS"):
        assert text in page
    for url in ("/compte/mot-de-passe/oublie/", "/compte/mes-donnees.json", "/compte/fermer/"):
        assert f'href="{url}"' in page
    assert 'href="/medecin/mon-dossier/"' in client.get("/medecin/").content.decode()  # in the navigation


def test_the_page_declares_insurance_and_adds_a_zone(client, zone, ars_staff):
    doctor = f.DoctorFactory(submitted=True, uninsured=True, zones=[zone])
    client.force_login(doctor.user)
    refused = client.post("/medecin/mon-dossier/", {"form": "insurance", "rcp-insurer": "MACSF"})
    assert refused.status_code == 400
    assert (
        "Indiquez le numéro de votre contrat RCP" in refused.content.decode()
        or "obligatoire" in refused.content.decode()
    )
    response = client.post(
        "/medecin/mon-dossier/",
        {
            "form": "insurance",
            "rcp-insurer": "MACSF",
            "rcp-insurance_contract": "C-9",
            "rcp-insurance_covers_sites": "on",
        },
    )
    assert response.status_code == 302
    other = f.ZoneFactory(department=zone.department)
    assert client.post("/medecin/mon-dossier/", {"form": "zone", "zone-zone": other.pk}).status_code == 302
    doctor.refresh_from_db()
    assert doctor.insurance_status == "declared" and set(doctor.zones.all()) == {zone, other}


def test_the_page_declares_the_card(client, doctor):
    client.force_login(doctor.user)
    assert client.post("/medecin/mon-dossier/", {"form": "card"}).status_code == 302
    doctor.refresh_from_db()
    assert doctor.cps_card_status == "received"


# --- the ARS dashboard ---------------------------------------------------------------------------------------------


def test_the_dashboard_counts_the_files_stuck_at_each_step_and_the_oldest_wait(client, zone, ars_staff, other_zone):
    with time_machine.travel(NOW - timedelta(days=9), tick=False):
        oldest = f.DoctorFactory(submitted=True, uninsured=True, zones=[zone])
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        f.DoctorFactory(submitted=True, uninsured=True, zones=[zone])
        f.DoctorFactory(zones=[zone])  # validated: waits for its number and its card
    elsewhere = f.CommuneFactory(department=other_zone.department)  # region B's: not counted for region A
    f.DoctorFactory(submitted=True, uninsured=True, zones=[other_zone], practice_commune=elsewhere)
    client.force_login(ars_staff)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/ars/")
    rows = {step["key"]: step for step in response.context["file_steps"]}
    assert (rows["insurance"]["count"], rows["insurance"]["days"]) == (2, 9)
    assert rows["cdom"]["count"] == 3
    assert (rows["billing_number"]["count"], rows["cps_card"]["count"]) == (1, 1)
    assert rows["validation"]["count"] == 0
    assert rows["insurance"]["url"] == "/admin/missions/doctor/?etape=insurance"
    assert oldest.submitted_at.date() == rows["insurance"]["oldest"].date()


def test_the_page_and_the_api_read_a_constant_number_of_queries(client, doctor, zone, django_assert_max_num_queries):
    for n in range(5):
        doctor.zones.add(f.ZoneFactory(department=zone.department, name=f"CC {n}"))
    client.force_login(doctor.user)
    with django_assert_max_num_queries(14):
        assert client.get("/medecin/mon-dossier/").status_code == 200
    api = client_for(doctor.user)
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/doctors/me/").status_code == 200
