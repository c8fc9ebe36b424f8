"""The DS token is a secret (never logged, never shown); who sees which dossier (accounts.authority); the admin's
button and action."""

import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.authority import visible
from accounts.log_scrubbing import scrub
from demarches import services
from demarches.client import DsClient
from demarches.models import DemarcheSync, Dossier
from missions.models import Doctor
from tests.demarches.conftest import SECRET, TOKEN, add_dossier

pytestmark = pytest.mark.django_db


def test_the_token_is_never_logged_nor_kept_in_an_error(fake_ds, ds_settings, place, caplog, settings):
    add_dossier(fake_ds, place, 1)
    caplog.set_level(logging.DEBUG)
    reports = [services.sync_demarche()]
    fake_ds.app.token = "un-autre-jeton"  # DS refuses ours: 401
    fake_ds.app.dossiers[10_001].updated = timezone.now()
    reports.append(services.sync_demarche())
    fake_ds.stop()  # DS unreachable
    reports.append(services.sync_demarche())

    assert [bool(r.error) for r in reports] == [False, True, True]
    assert "Jeton d'API refusé" in reports[1].error and "injoignable" in reports[2].error
    kept = [r.summary() for r in reports] + [DemarcheSync.objects.get().last_error, repr(DsClient.from_settings())]
    assert TOKEN not in caplog.text
    assert not [text for text in kept if TOKEN in text]
    assert scrub(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer [masqué]"


def test_the_token_is_never_shown_in_the_admin(client, fake_ds, ds_settings, place, superuser):
    add_dossier(fake_ds, place, 1)
    services.sync_demarche()
    client.force_login(superuser)
    dossier = Dossier.objects.get()
    pages = [
        reverse("admin:demarches_dossier_changelist"),
        reverse("admin:demarches_dossier_change", args=[dossier.pk]),
        reverse("admin:missions_doctor_change", args=[dossier.doctor_id]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert TOKEN not in response.content.decode()


def test_the_webhook_secret_is_masked_in_logs():
    assert SECRET not in scrub(f'"POST /webhooks/demarches-simplifiees/{SECRET}/ HTTP/1.1" 202 6')


def test_who_sees_which_dossier(zone, other_zone, ars_staff, ars_other_region, superuser):
    def dossier(number, **fields):
        return Dossier.objects.create(
            demarche_number=1,
            number=number,
            ds_id=f"D{number}",
            state="en_construction",
            ds_updated_at=timezone.now(),
            status="to_complete",
            **fields,
        )

    in_a, in_b, nowhere = (
        dossier(1, department=zone.department),
        dossier(2, department=other_zone.department),
        dossier(3),
    )

    assert list(visible(ars_staff, Dossier).order_by("number")) == [in_a]
    assert list(visible(ars_other_region, Dossier)) == [in_b]
    assert list(visible(superuser, Dossier).order_by("number")) == [in_a, in_b, nowhere]


def test_the_sync_button(client, fake_ds, ds_settings, place, ars_staff, staff_without_region):
    add_dossier(fake_ds, place, 1)
    url = reverse("admin:demarches_dossier_sync")
    client.force_login(staff_without_region)
    client.post(url)
    assert not Doctor.objects.exists()

    client.force_login(ars_staff)
    page = client.get(reverse("admin:demarches_dossier_changelist")).content.decode()
    assert "Synchroniser avec Démarches Simplifiées" in page
    response = client.post(url, follow=True)

    assert Doctor.objects.count() == 1
    assert "1 créé," in response.content.decode()


def test_the_button_hides_when_ds_is_not_configured(client, superuser, settings):
    settings.DS_API_TOKEN = ""
    client.force_login(superuser)
    page = client.get(reverse("admin:demarches_dossier_changelist")).content.decode()
    assert "Synchroniser avec Démarches Simplifiées" not in page


def test_an_agent_relaunches_only_their_regions_dossiers(fake_ds, ds_settings, place, ars_other_region):
    from core.errors import NotAllowed

    add_dossier(fake_ds, place, 1, **{"Numéro RPPS": None})
    services.sync_demarche()
    with pytest.raises(NotAllowed):
        services.retry_dossiers(Dossier.objects.all(), by=ars_other_region)


def test_the_dossier_is_in_the_personal_data_and_erased_on_closure(fake_ds, ds_settings, place, ars_staff):
    from accounts.privacy import close_account, export_personal_data

    add_dossier(fake_ds, place, 1)
    services.sync_demarche()
    user = Doctor.objects.get().user

    exported = export_personal_data(user)
    close_account(user, by=ars_staff)

    assert "10001" in str(exported) and "demarches-simplifiees" in str(exported)
    dossier = Dossier.objects.get()
    assert (dossier.email, dossier.last_name, dossier.number) == ("", "anonymisé", 10_001)
