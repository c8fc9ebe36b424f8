"""The host site corrects its attestation from « Journées à attester », and the ARS reads the correction."""

import datetime

import pytest
from django.utils.formats import date_format

from billing.services import generate_statement, issue_statement
from missions.models import Booking
from tests import factories as f
from tests.api.conftest import in_days
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db
S = Booking.Status


@pytest.fixture
def attested(doctor, site):
    slot = f.SlotFactory(site=site, date=in_days(-2))
    return f.BookingFactory(doctor=doctor, slot=slot, status=S.COMPLETED, consultations=1)


def url(booking) -> str:
    return f"/lieu/attestations/{booking.pk}/corriger/"


def test_the_recent_attestations_link_to_their_correction(site_client, attested):
    text = text_of(site_client.get("/lieu/attestations/"))
    assert "Effectuée 1 consultation Corriger" in text
    assert f'href="{url(attested)}"' in site_client.get("/lieu/attestations/").content.decode()


def test_the_form_starts_from_the_attestation_and_the_correction_is_saved(site_client, attested, site_member):
    page = site_client.get(url(attested))
    assert page.status_code == 200
    text = text_of(page)
    assert "Attestation actuelle : le médecin est venu, 1 consultation." in text
    assert "tant que cette journée ne figure pas sur un relevé émis à la CPAM" in text
    assert page.context["form"].initial == {"attended": "yes", "consultations": 1}

    response = site_client.post(
        url(attested), {"attended": "yes", "consultations": "11", "reason": "Il manquait un 1."}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/lieu/attestations/"
    attested.refresh_from_db()
    assert (attested.status, attested.consultations, attested.corrected_by) == (S.COMPLETED, 11, site_member)
    assert attested.correction_reason == "Il manquait un 1."
    day = date_format(attested.date, "j F Y")
    assert (
        f"Attestation corrigée — Dr {attested.doctor.full_name}, {day} : venue attestée (11 consultations). "
        "L'ARS voit la correction et son motif." in text_of(response)
    )
    assert "Effectuée 11 consultations (corrigée le " in text_of(response)


def test_the_reason_is_required(site_client, attested):
    response = site_client.post(url(attested), {"attended": "no", "consultations": "", "reason": ""})
    assert response.status_code == 200
    assert "Motif de la correction" in text_of(response)
    assert response.context["form"].errors["reason"]
    attested.refresh_from_db()
    assert attested.status == S.COMPLETED


def test_once_issued_the_page_says_who_corrects_it(site_client, attested, doctor, ars_staff, flat_rate):
    cpam = f.CpamFactory(department=doctor.practice_department)
    october = f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=attested.slot.site, date=datetime.date(2025, 10, 9)),
        status=S.COMPLETED,
        consultations=12,
    )
    issue_statement(generate_statement(cpam, datetime.date(2025, 10, 1), by=ars_staff), by=ars_staff)

    response = site_client.post(url(october), {"attended": "no", "consultations": "", "reason": "Absent."})
    assert response.status_code == 200
    assert (
        f"Cette journée figure déjà sur le relevé 2025-10-{cpam.department.code} émis à la CPAM : le lieu "
        "d'accueil ne peut plus corriger son attestation. Demandez la correction à l'équipe ARS de votre région"
    ) in text_of(response)
    october.refresh_from_db()
    assert october.status == S.COMPLETED


def test_a_day_not_attested_has_no_correction_page(site_client, doctor, site):
    confirmed = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-1)), status=S.CONFIRMED)
    assert site_client.get(url(confirmed)).status_code == 404


def test_the_ars_reads_the_sites_correction_in_the_console(client, attested, site_member, ars_staff):
    client.force_login(site_member)
    client.post(url(attested), {"attended": "no", "consultations": "", "reason": "Confusion de médecin."})
    client.force_login(ars_staff)

    text = text_of(client.get(f"/admin/missions/booking/{attested.pk}/change/"))
    assert "Correction de l'attestation (lieu d'accueil ou ARS)" in text
    assert "Confusion de médecin." in text
    assert site_member.get_full_name() in text or site_member.email in text
    history = text_of(client.get(f"/admin/missions/booking/{attested.pk}/history/"))
    assert "Confusion de médecin." in history
    f.BookingFactory(doctor=attested.doctor, slot=f.SlotFactory(site=attested.slot.site, date=in_days(-9)))
    corrected = client.get("/admin/missions/booking/", {"corrected_at__isempty": "0"})
    assert [b.pk for b in corrected.context["cl"].result_list] == [attested.pk]
