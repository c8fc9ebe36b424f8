"""The import of Démarches Simplifiées dossiers, against the local DS server (tests/demarches/ds_server.py)."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from demarches import services
from demarches.models import DemarcheSync, Dossier
from missions.models import Doctor
from notifications.models import Message
from tests.demarches import ds_server as ds
from tests.demarches.conftest import SECRET, T0, add_dossier, rpps
from tests.demarches.ds_server import validate_insured

pytestmark = pytest.mark.django_db


def test_150_dossiers_over_two_pages_import_once(fake_ds, ds_settings, place):
    for n in range(150):
        add_dossier(fake_ds, place, n)

    report = services.sync_demarche()

    assert (report.pages, report.outcomes, report.error) == (2, {"created": 150}, "")
    assert Doctor.objects.filter(status=Doctor.Status.SUBMITTED).count() == 150
    assert Dossier.objects.filter(status=Dossier.Status.IMPORTED, doctor__isnull=False).count() == 150
    doctor = Doctor.objects.select_related("user").get(rpps=rpps(7))
    assert (doctor.last_name, doctor.first_name, doctor.user.email) == ("Nom7", "Prénom7", "medecin7@exemple.fr")
    assert (doctor.practice_commune, doctor.sector, list(doctor.zones.all())) == (
        place["commune"],
        "1",
        [place["zone"]],
    )
    assert doctor.ds_dossier.number == 10_007
    assert not doctor.user.has_usable_password()  # they choose it through the invitation
    assert Message.objects.filter(kind="ds_invitation").count() == 150
    invitation = Message.objects.get(kind="ds_invitation", recipient="medecin7@exemple.fr")
    assert "/compte/mot-de-passe/nouveau/" in invitation.body_text
    first, second = fake_ds.app.requests
    assert first["variables"]["after"] is None and second["variables"]["after"]
    assert first["variables"]["updatedSince"] == "2000-01-01T00:00:00+00:00"  # ordered by modification
    assert DemarcheSync.objects.get().updated_since == T0 + timedelta(minutes=149, seconds=30)

    again = services.sync_demarche()

    assert again.outcomes == {"unchanged": 1}  # DS's `updatedSince` is inclusive: the last one, read again
    assert (
        fake_ds.app.requests[-1]["variables"]["updatedSince"] == (T0 + timedelta(minutes=149, seconds=30)).isoformat()
    )
    assert Doctor.objects.count() == 150
    assert Message.objects.filter(kind="ds_invitation").count() == 150


def test_an_interrupted_sync_resumes_where_it_stopped(fake_ds, ds_settings, place):
    for n in range(150):
        add_dossier(fake_ds, place, n, updated=T0 + timedelta(minutes=150 - n))  # deposited and modified out of order
    fake_ds.app.unavailable_from_request = 2  # the second page never comes

    stopped = services.sync_demarche()

    assert (stopped.outcomes, "indisponible (HTTP 503)" in stopped.error) == ({"created": 100}, True)
    fake_ds.app.unavailable_from_request = None

    resumed = services.sync_demarche()

    assert resumed.outcomes == {"created": 50, "unchanged": 1}
    assert Doctor.objects.count() == 150


def test_a_changed_dossier_updates_the_doctor_on_the_webhook(client, fake_ds, ds_settings, place):
    dossier = add_dossier(fake_ds, place, 1)
    services.sync_demarche()
    dossier.nom = "Nouveau-Nom"
    dossier.champs = [
        c if c["label"] != "Téléphone" else ds.text("Téléphone", "04 71 00 00 00") for c in dossier.champs
    ]
    dossier.updated += timedelta(hours=2)
    form = {"procedure_id": "4242", "dossier_id": str(dossier.number), "state": "en_construction", "updated_at": "x"}

    assert client.post("/webhooks/demarches-simplifiees/pas-le-bon-secret/", form).status_code == 404
    assert Doctor.objects.get().last_name == "Nom1"

    response = client.post(f"/webhooks/demarches-simplifiees/{SECRET}/", form)

    assert response.status_code == 202
    doctor = Doctor.objects.get()
    assert (doctor.last_name, doctor.phone) == ("Nouveau-Nom", "04 71 00 00 00")
    assert Doctor.objects.count() == 1
    assert Dossier.objects.get().ds_updated_at == dossier.updated


def test_the_webhook_is_a_404_when_not_configured(client, settings):
    settings.DS_WEBHOOK_SECRET = ""
    form = {"procedure_id": "1", "dossier_id": "1", "state": "accepte", "updated_at": "x"}
    assert client.post("/webhooks/demarches-simplifiees/x/", form).status_code == 404
    assert client.get("/webhooks/demarches-simplifiees/x/").status_code in (404, 405)


def test_refused_and_closed_dossiers_are_not_imported(fake_ds, ds_settings, place):
    add_dossier(fake_ds, place, 1, state="refuse")
    add_dossier(fake_ds, place, 2, state="sans_suite")
    add_dossier(fake_ds, place, 3, state="en_instruction")

    report = services.sync_demarche()

    assert report.outcomes == {"not_imported": 2, "created": 1}
    assert list(Doctor.objects.values_list("rpps", flat=True)) == [rpps(3)]
    assert set(Dossier.objects.filter(status="not_imported").values_list("number", flat=True)) == {10_001, 10_002}


def test_a_validated_doctor_is_not_overwritten_by_an_older_dossier(fake_ds, ds_settings, place, ars_staff):
    dossier = add_dossier(fake_ds, place, 1)
    services.sync_demarche()
    doctor = validate_insured(Doctor.objects.get(), by=ars_staff)
    # DS serves an older version of the dossier (a replayed webhook, a stale cache): nothing moves back.
    dossier.nom = "Ancien-Nom"
    dossier.updated -= timedelta(days=3)

    assert services.sync_dossier(dossier.number) == "unchanged"
    # A newer version does not overwrite a doctor the ARS has validated either: the dossier says so.
    dossier.nom = "Nom-Modifié-Après-Validation"
    dossier.updated += timedelta(days=10)

    assert services.sync_dossier(dossier.number) == "kept"
    doctor.refresh_from_db()
    assert (doctor.last_name, doctor.status) == ("Nom1", Doctor.Status.VALIDATED)
    assert "ne sont pas reprises" in Dossier.objects.get().note


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"Numéro RPPS": ds.text("Numéro RPPS", "10000000010")}, "clé de contrôle"),
        ({"Commune d'exercice principal": None}, "« Commune d'exercice principal » absent du dossier"),
        (
            {"Secteur conventionnel": ds.drop_down("Secteur conventionnel", "Secteur 3")},
            "option « Secteur 3 » non prévue",
        ),
        (
            {"Commune d'exercice principal": ds.commune("Commune d'exercice principal", "99999", "Atlantide", "99")},
            "commune inconnue",
        ),
        (
            {"Zones où vous pourriez intervenir": ds.multiple("Zones où vous pourriez intervenir", ["CC Inconnue"])},
            "option « CC Inconnue »",
        ),
    ],
)
def test_an_unmapped_or_unparseable_champ_puts_the_dossier_to_complete(fake_ds, ds_settings, place, overrides, reason):
    add_dossier(fake_ds, place, 1, **overrides)

    report = services.sync_demarche()

    assert report.outcomes == {"to_complete": 1}
    dossier = Dossier.objects.get()
    assert (dossier.status, dossier.doctor) == (Dossier.Status.TO_COMPLETE, None)
    assert reason in dossier.reasons
    assert not Doctor.objects.exists()
    assert not Doctor._meta.get_field("user").related_model.objects.filter(email="medecin1@exemple.fr").exists()
    assert not Message.objects.exists()


def test_an_address_that_has_an_account_puts_the_dossier_to_complete(fake_ds, ds_settings, place, doctor):
    add_dossier(fake_ds, place, 1)
    fake_ds.app.dossiers[10_001].email = doctor.user.email

    services.sync_demarche()

    dossier = Dossier.objects.get()
    assert dossier.status == Dossier.Status.TO_COMPLETE
    assert "Un compte existe déjà" in dossier.reasons
    assert Doctor.objects.count() == 1


def test_a_fixed_field_map_imports_the_dossier_on_retry(fake_ds, ds_settings, place, ars_staff):
    add_dossier(fake_ds, place, 1, **{"Secteur conventionnel": ds.drop_down("Secteur conventionnel", "S1")})
    services.sync_demarche()
    assert Dossier.objects.get().status == Dossier.Status.TO_COMPLETE
    fake_ds.app.dossiers[10_001].champs[2] = ds.drop_down("Secteur conventionnel", "Secteur 1")  # fixed in DS

    report = services.retry_dossiers(Dossier.objects.all(), by=ars_staff)

    assert report.outcomes == {"created": 1}
    assert Dossier.objects.get().status == Dossier.Status.IMPORTED


def test_the_command_and_the_job(fake_ds, ds_settings, place, capsys):
    add_dossier(fake_ds, place, 1)
    call_command("sync_demarches_simplifiees")
    assert "1 dossier lu en 1 page : 1 créé," in capsys.readouterr().out
    call_command("run_job", "demarches")
    assert Doctor.objects.count() == 1


def test_nothing_runs_when_not_configured(settings):
    settings.DS_API_TOKEN = ""
    assert "n'est pas configuré" in services.sync_demarche().summary()
    assert "non configuré" in services.send_decisions().summary()
