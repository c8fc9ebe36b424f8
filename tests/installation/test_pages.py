"""« S'installer ici »: the pages per zone and per commune, the volunteer's button, the ARS dashboard's panel."""

import datetime
from html import unescape

import pytest
import time_machine
from django.utils import timezone

from installation.models import InstallationLead
from tests import factories as f

pytestmark = pytest.mark.django_db

JUNE_2026 = timezone.make_aware(datetime.datetime(2026, 6, 15, 10))


@pytest.fixture
def zoned(territory):
    decree = f.ZonageDecreeFactory(region=territory["region"], reference="2025-17-1113")
    f.CommuneZonageFactory(decree=decree, commune=territory["upper"], kind="zip")
    f.CommuneZonageFactory(decree=decree, commune=territory["lower"], kind="zac")
    f.AidFactory(name="Aide ponctuelle ZIP", zone_kinds=["zip"], source_title="ameli.fr — aides rénovées")
    f.AidFactory(name="Aide ponctuelle ZAC", zone_kinds=["zac"])
    f.AidFactory(name="Aide hors sujet", zone_kinds=["zv"])
    return territory


@time_machine.travel(JUNE_2026, tick=False)
def test_the_zone_page_shows_its_communes_zonage_aids_sources_and_contacts(client, zone, zoned):
    f.InstallationReferentFactory(department=zone.department, name="Camille Référente", email="camille@ars.exemple.fr")
    f.CpamFactory(department=zone.department, name="CPAM de l'Exemple")
    response = client.get(f"/s-installer/zone/{zone.pk}/")
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Arrêté de l'ARS n° 2025-17-1113" in page and "en vigueur au 15 juin 2026" in page
    assert "Saint-Amont" in page and "Val-Bas" in page and "Hors-la-Zone" not in page
    assert "Aide ponctuelle ZIP" in page and "Aide ponctuelle ZAC" in page and "Aide hors sujet" not in page
    assert "ameli.fr — aides rénovées" in page
    assert "Camille Référente" in page and "CPAM de l'Exemple" in page
    assert "Connectez-vous" in page  # anonymous: no button, a way in


@time_machine.travel(JUNE_2026, tick=False)
def test_the_commune_page_shows_its_class_and_only_its_aids(client, zoned):
    page = unescape(client.get(f"/s-installer/commune/{zoned['lower'].insee_code}/").content.decode())
    assert "Zone d'action complémentaire (ZAC)" in page
    assert "Aide ponctuelle ZAC" in page and "Aide ponctuelle ZIP" not in page


@time_machine.travel(JUNE_2026, tick=False)
def test_a_commune_without_zonage_renders_and_says_so(client, territory):
    response = client.get(f"/s-installer/commune/{territory['outside'].insee_code}/")
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Zonage inconnu" in page and "Aucun arrêté de zonage n'est enregistré" in page


def test_an_unknown_commune_or_an_inactive_zone_is_a_404(client, zone):
    assert client.get("/s-installer/commune/00000/").status_code == 404
    zone.active = False
    zone.save()
    assert client.get(f"/s-installer/zone/{zone.pk}/").status_code == 404


@time_machine.travel(JUNE_2026, tick=False)
def test_a_volunteer_asks_from_the_page_and_sees_the_lead_followed(client, doctor, zone, zoned):
    client.force_login(doctor.user)
    page = unescape(client.get(f"/s-installer/zone/{zone.pk}/").content.decode())
    assert "Je souhaite en savoir plus sur une installation ici" in page
    response = client.post("/s-installer/en-savoir-plus/", {"zone": zone.pk, "message": "Bonjour"}, follow=True)
    assert "Votre demande est transmise au référent installation" in unescape(response.content.decode())
    lead = InstallationLead.objects.get()
    assert (lead.doctor, lead.zone, lead.message) == (doctor, zone, "Bonjour")
    page = unescape(client.get(f"/s-installer/zone/{zone.pk}/").content.decode())
    assert "est suivie par l'ARS" in page and "Je souhaite en savoir plus" not in page


def test_someone_who_is_not_a_doctor_cannot_ask(client, site_member, zone):
    client.force_login(site_member)
    assert client.post("/s-installer/en-savoir-plus/", {"zone": zone.pk}).status_code == 403
    assert not InstallationLead.objects.exists()


def test_the_ars_dashboard_counts_leads_and_installations_per_zone(client, ars_staff, ars_other_region, zone):
    f.InstallationLeadFactory(zone=zone)
    f.InstallationLeadFactory(zone=zone, status=InstallationLead.Status.INSTALLED)
    client.force_login(ars_staff)
    page = unescape(client.get("/ars/").content.decode())
    panel = page.split('id="installation"')[1]
    assert f'<th scope="row">{zone.name}</th><td>1</td><td>1</td><td>0</td>' in panel
    client.force_login(ars_other_region)
    panel = unescape(client.get("/ars/").content.decode()).split('id="installation"')[1]
    assert zone.name not in panel and "Aucune demande d'installation" in panel


def test_the_pages_keep_to_a_query_budget(client, doctor, zone, zoned, django_assert_max_num_queries):
    client.force_login(doctor.user)
    with django_assert_max_num_queries(25):
        assert client.get(f"/s-installer/zone/{zone.pk}/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(f"/s-installer/commune/{zoned['upper'].insee_code}/").status_code == 200


def test_a_volunteer_asks_about_a_commune(client, doctor, zone, territory):
    client.force_login(doctor.user)
    commune = territory["outside"]
    response = client.post("/s-installer/en-savoir-plus/", {"commune": commune.insee_code})
    assert response.status_code == 302 and response.url == f"/s-installer/commune/{commune.insee_code}/"
    lead = InstallationLead.objects.get()
    assert (lead.commune, lead.zone, lead.department) == (commune, None, commune.department)
    assert client.post("/s-installer/en-savoir-plus/", {"message": "Où ?"}).status_code == 302  # no place: refused
    assert InstallationLead.objects.count() == 1
