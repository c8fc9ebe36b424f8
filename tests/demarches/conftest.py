"""The local Démarches Simplifiées server (tests/demarches/ds_server.py) and dossiers generated in its format."""

from datetime import UTC, datetime, timedelta

import pytest

from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.demarches import ds_server as ds

TOKEN = "jeton-ds-9f8e7d6c5b4a-ne-jamais-afficher"
DEMARCHE = 4242
INSTRUCTEUR = ds.gid("Instructeur", 77)
SECRET = "secret-du-webhook-0123456789"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake_ds():
    app = ds.FakeDs(demarche=DEMARCHE, token=TOKEN, instructeur_id=INSTRUCTEUR)
    server = ds.Server(app)
    yield server
    server.stop()


@pytest.fixture
def ds_settings(settings, fake_ds):
    settings.DS_API_URL = fake_ds.url
    settings.DS_API_TOKEN = TOKEN
    settings.DS_DEMARCHE_NUMBER = DEMARCHE
    settings.DS_INSTRUCTEUR_ID = INSTRUCTEUR
    settings.DS_WEBHOOK_SECRET = SECRET
    settings.DS_TIMEOUT_SECONDS = 5
    return settings


@pytest.fixture
def place(zone):
    """Region A's department, a commune of it and a zone named in the field map's choices (data/demarches)."""
    commune = f.CommuneFactory(department=zone.department, name="Saint-Flour")
    mapped = f.ZoneFactory(siren="200066637", name="CC Hautes Terres", department=zone.department)
    return {"commune": commune, "zone": mapped, "department": zone.department}


def rpps(n: int) -> str:
    return with_luhn_key(f"2{n:09d}")


def champs(place, n: int, **overrides) -> list[dict]:
    commune = place["commune"]
    values = {
        "Numéro RPPS": ds.text("Numéro RPPS", rpps(n)),
        "Spécialité": ds.text("Spécialité", "Médecine générale"),
        "Secteur conventionnel": ds.drop_down("Secteur conventionnel", "Secteur 1"),
        "Mode d'exercice": ds.drop_down("Mode d'exercice", "Libéral"),
        "Commune d'exercice principal": ds.commune(
            "Commune d'exercice principal", commune.insee_code, commune.name, commune.department.code
        ),
        "Zones où vous pourriez intervenir": ds.multiple("Zones où vous pourriez intervenir", ["CC Hautes Terres"]),
        "Téléphone": ds.text("Téléphone", f"06 00 00 {n % 100:02d} {n % 97:02d}"),
        "Un remplaçant assure votre activité pendant vos missions": ds.yes_no(
            "Un remplaçant assure votre activité pendant vos missions", False
        ),
        "Présentation": ds.text("Présentation", "", "HeaderSectionChamp"),
    }
    for label, champ in overrides.items():
        if champ is None:
            values.pop(label)
        else:
            values[label] = champ
    return list(values.values())


def add_dossier(fake_ds, place, n: int, *, state="en_construction", updated=None, **overrides) -> ds.FakeDossier:
    dossier = ds.FakeDossier(
        number=10_000 + n,
        state=state,
        deposited=T0 + timedelta(minutes=n),
        updated=updated or T0 + timedelta(minutes=n, seconds=30),
        email=f"medecin{n}@exemple.fr",
        nom=f"Nom{n}",
        prenom=f"Prénom{n}",
        champs=champs(place, n, **overrides),
    )
    fake_ds.app.dossiers[dossier.number] = dossier
    return dossier
