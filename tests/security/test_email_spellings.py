"""One spelling of an e-mail address everywhere (accounts.emails.normalize_email): storage, login, lockout and
registration uniqueness agree, on SQLite and PostgreSQL alike. Spellings with a character that some case mapping
turns into ASCII (« ı », « İ », « ß ») are refused; compatibility forms (« ſ », full-width letters) are the same
address as their plain form, and count toward the same lockout."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

from accounts.emails import AmbiguousEmail, normalize_email
from accounts.models import User
from missions.models import Doctor
from sites.identifiers import with_luhn_key
from tests import factories as f

pytestmark = pytest.mark.django_db
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Medecin-3@Demo.FR", "medecin-3@demo.fr"),
        (" medecin-3@demo.fr ", "medecin-3@demo.fr"),
        ("medeſin-3@demo.fr", "medesin-3@demo.fr"),  # NFKC: long s is s
        ("ｍｅｄｅｃｉｎ@demo.fr", "medecin@demo.fr"),  # full-width letters
        ("élodie@exemple.fr", "élodie@exemple.fr"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
    ],
)
def test_spellings_normalise_one_way(typed, normal):
    assert normalize_email(typed) == normal


@pytest.mark.parametrize("typed", ["medecın-3@demo.fr", "MEDECİN-3@demo.fr", "straße@exemple.fr"])
def test_ambiguous_spellings_are_refused(typed):
    with pytest.raises(AmbiguousEmail):
        normalize_email(typed)


def web_login(client, email, password, ip="198.51.100.7"):
    return client.post("/compte/connexion/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_a_dotless_i_neither_logs_in_nor_escapes_the_lockout(client):
    user = f.UserFactory(email="medecin-3@demo.fr")
    for _ in range(LIMIT):
        web_login(client, user.email, "mauvais-mot-de-passe")
    assert web_login(client, user.email, f.PASSWORD).status_code == 429
    # The spelling the database's UPPER() matched: it must not log in, nor clear the real counter.
    response = web_login(client, "medecın-3@demo.fr", f.PASSWORD)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert web_login(client, user.email, f.PASSWORD).status_code == 429


def test_a_long_s_counts_toward_the_same_lockout(client):
    user = f.UserFactory(email="medesin-3@demo.fr")
    for i in range(LIMIT):
        web_login(client, "medeſin-3@demo.fr" if i % 2 else user.email, "mauvais-mot-de-passe")
    assert web_login(client, user.email, f.PASSWORD).status_code == 429
    assert web_login(client, "medeſin-3@demo.fr", f.PASSWORD).status_code == 429


def test_the_api_token_refuses_the_dotless_spelling(client):
    user = f.UserFactory(email="medecin-4@demo.fr")
    response = client.post(
        "/api/v1/auth/token/", {"email": "medecın-4@demo.fr", "password": f.PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 400
    ok = client.post(
        "/api/v1/auth/token/", {"email": "MEDECIN-4@demo.fr", "password": f.PASSWORD}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert user.pk


def test_storage_is_the_normal_form_and_ambiguous_addresses_cannot_be_stored():
    user = User.objects.create_user("ÉLODIE@Exemple.FR", "un-long-mot-de-passe")
    assert user.email == "élodie@exemple.fr"
    with pytest.raises(ValidationError):
        User.objects.create_user("medecın@demo.fr", "un-long-mot-de-passe")
    assert not User.objects.filter(email__startswith="medec").exists()


def test_registration_refuses_ambiguous_addresses_and_finds_taken_ones_by_normal_form(client, zone):
    f.UserFactory(email="medesin-5@demo.fr")
    commune = f.CommuneFactory()

    def register(email):
        body = {
            "email": email,
            "password": "Un-mot-de-passe-solide-2025",
            "first_name": "Claire",
            "last_name": "Dupont",
            "rpps": with_luhn_key("8100000042"),
            "sector": "1",
            "practice_commune": commune.insee_code,
            "zones": [zone.pk],
        }
        return client.post("/api/v1/doctors/", body, content_type="application/json")

    dotless = register("medecın-5@demo.fr")
    assert dotless.status_code == 400
    assert "se confondre" in dotless.json()["email"][0]
    assert register("medeſin-5@demo.fr").status_code == 400  # the same address as medesin-5@demo.fr
    assert not Doctor.objects.exists()
