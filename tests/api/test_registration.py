"""POST /api/v1/doctors/: the public registration of a volunteer doctor."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from missions.models import Doctor
from notifications.models import Message
from sites.identifiers import with_luhn_key
from tests import factories as f

URL = "/api/v1/doctors/"


def application(commune, zones, **overrides) -> dict:
    body = {
        "email": "claire.dupont@exemple.fr",
        "password": "Un-mot-de-passe-solide-2025",
        "first_name": "Claire",
        "last_name": "Dupont",
        "rpps": with_luhn_key("8100000042"),
        "specialty": "Médecine générale",
        "sector": "2_optam",
        "practice_commune": commune.insee_code,
        "phone": "06 12 34 56 78",
        "zones": [zone.pk for zone in zones],
    }
    return body | overrides


@pytest.fixture
def commune(db):
    return f.CommuneFactory()


@pytest.mark.django_db
def test_registration_creates_a_submitted_doctor_and_tells_them(commune, zone):
    response = APIClient().post(URL, application(commune, [zone]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["email"] == "claire.dupont@exemple.fr"
    assert body["practice_commune"] == commune.insee_code
    assert body["practice_department"] == commune.department.code
    assert body["zones"] == [zone.pk]
    assert "password" not in body
    doctor = Doctor.objects.get(pk=body["id"])
    assert doctor.user.check_password("Un-mot-de-passe-solide-2025")
    assert doctor.mode == Doctor.Mode.LIBERAL
    assert Message.objects.filter(kind="doctor_registered", recipient="claire.dupont@exemple.fr").exists()


@pytest.mark.django_db
def test_an_unknown_insee_code_is_refused_in_french(zone):
    response = APIClient().post(URL, application(f.CommuneFactory.build(insee_code="99999"), [zone]))
    assert response.status_code == 400
    assert response.json() == {"practice_commune": ["Aucune commune ne porte le code INSEE « 99999 »."]}


@pytest.mark.django_db
def test_unknown_or_closed_zones_are_refused(commune, zone):
    unknown = APIClient().post(URL, application(commune, [zone]) | {"zones": [zone.pk, 987654]})
    assert unknown.status_code == 400
    assert unknown.json() == {"zones": ["Zone inconnue : 987654."]}

    closed = f.ZoneFactory(active=False)
    refused = APIClient().post(URL, application(commune, [zone, closed]))
    assert refused.status_code == 400
    assert list(refused.json()) == ["zones"]
    assert not Doctor.objects.exists()


@pytest.mark.django_db
def test_the_service_checks_come_back_as_field_errors(commune, zone, doctor):
    response = APIClient().post(
        URL, application(commune, [zone], rpps="12345678901", password="court", email=doctor.user.email)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["rpps"] == ["Le numéro RPPS est invalide : sa clé de contrôle ne correspond pas (vérifiez la saisie)."]
    assert body["email"] == ["Un compte existe déjà avec cette adresse e-mail."]
    assert "password" in body


@pytest.mark.django_db
def test_malformed_input_names_each_field(commune):
    response = APIClient().post(URL, {"email": "x", "sector": "4", "zones": "pas-une-liste"})
    assert response.status_code == 400
    body = response.json()
    assert body["sector"] == ["«\xa04\xa0» n'est pas un choix valide."]  # DRF's French, with no-break spaces
    assert body["email"] == ["Saisissez une adresse e-mail valide."]
    assert {"password", "first_name", "last_name", "rpps", "practice_commune", "zones"} <= set(body)


@pytest.mark.django_db
def test_registration_is_throttled_per_address(commune, zone):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["registration"].split("/")[0])
    client = APIClient()
    for n in range(limit):
        body = application(commune, [zone], email=f"volontaire{n}@exemple.fr", rpps=with_luhn_key(f"81000001{n:02d}"))
        assert client.post(URL, body).status_code == 201
    throttled = client.post(URL, application(commune, [zone], email="un-de-trop@exemple.fr"))
    assert throttled.status_code == 429
    assert Doctor.objects.count() == limit
