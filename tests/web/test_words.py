"""The words people read, rendered with the edge data that broke them (issue #17): a site without a street address
and named by its kind, a reason that ends with a full stop, one consultation. Exact French, from the real pages,
e-mails and messages."""

import datetime

import pytest

from billing.models import Cpam
from billing.notices import StatementReady
from billing.services import generate_statement
from core.words import at_place, joined, sentence
from demarches.fieldmap import FieldMap, convert
from missions.models import Booking, Doctor
from missions.notices import BookingReminderDoctor
from missions.pack import practical_pack
from notifications.outbox import render
from tests import factories as f
from tests.api.conftest import in_days
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db
THIERS = "Centre ou maison de santé pluriprofessionnelle de Thiers"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Locaux fermés", "Locaux fermés."),
        ("Locaux fermés.", "Locaux fermés."),
        ("Pourquoi ?", "Pourquoi ?"),
        ("  Dr. Dupont et Cie.  ", "Dr. Dupont et Cie."),
        ("", ""),
    ],
)
def test_one_full_stop(text, expected):
    assert sentence(text) == expected


def test_joined_leaves_no_orphan_separator():
    assert joined("", "03100 Montluçon") == "03100 Montluçon"
    assert joined("  ", None, "a", " b ") == "a, b"
    assert joined("Salle 2", "", separator=" — ") == "Salle 2"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (THIERS, f"au {THIERS}"),
        ("Maison de santé d'Ambert", "à la Maison de santé d'Ambert"),
        ("EHPAD Les Tilleuls", "à l'EHPAD Les Tilleuls"),
        ("Hôpital de Riom", "à l'Hôpital de Riom"),
        ("Mairie de Cunlhat", "à la Mairie de Cunlhat"),
        ("Les Tilleuls", "au lieu d'accueil « Les Tilleuls »"),
    ],
)
def test_at_a_place(name, expected):
    assert at_place(name) == expected


@pytest.fixture
def thiers(zone):
    commune = f.CommuneFactory(department=zone.department, name="Thiers", postcodes="63300")
    return f.HostSiteFactory(zone=zone, commune=commune, name=THIERS, address="", software="Weda v2.")


@pytest.fixture
def confirmed_at_thiers(doctor, thiers):
    slot = f.SlotFactory(site=thiers, date=in_days(9))
    return f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.CONFIRMED)


def test_the_doctors_next_day_at_a_site_without_address(client, doctor, confirmed_at_thiers):
    client.force_login(doctor.user)
    text = text_of(client.get("/medecin/missions/"))
    assert f"Confirmée : rendez-vous au {THIERS}, 63300 Thiers." in text
    assert " , " not in text and "à Centre" not in text


def test_the_reminder_e_mail_at_a_site_without_address(confirmed_at_thiers):
    notice = BookingReminderDoctor(confirmed_at_thiers, days_ahead=7, days_before=7)
    subject, body, html = render(notice.kind, notice.context())
    assert subject.startswith(f"Rappel : votre journée au {THIERS} le ")
    assert f"(journée), au {THIERS}, 63300 Thiers.\n" in body
    assert f"au {THIERS}, 63300 Thiers.</p>" in html
    assert "à Centre" not in body + subject + html and " , " not in body


def test_the_practical_pack_ends_each_sentence_once(thiers):
    pack = practical_pack(thiers)
    assert pack.full_address == "63300 Thiers"
    assert "Logiciel : Weda v2." in pack.equipment_text
    assert ".." not in pack.text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            Doctor.Status.SUSPENDED,
            "L'ARS a suspendu votre participation : Absences répétées. Vous ne pouvez pas réserver",
        ),
        (Doctor.Status.REJECTED, "L'ARS n'a pas retenu votre dossier : Absences répétées."),
    ],
)
def test_a_reason_ending_with_a_full_stop_is_not_doubled(client, zone, status, expected):
    doctor = f.DoctorFactory(zones=[zone], status=status, status_reason="Absences répétées.")
    client.force_login(doctor.user)
    text = text_of(client.get("/medecin/", follow=True))
    assert expected in text
    assert ".." not in text


def test_one_consultation_is_singular(client, site_member, doctor, site):
    booking = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-1)), status=Booking.Status.CONFIRMED
    )
    client.force_login(site_member)
    response = client.post(
        f"/lieu/attestations/{booking.pk}/",
        {f"b{booking.pk}-attended": "yes", f"b{booking.pk}-consultations": "1"},
        follow=True,
    )
    assert "venue attestée (1 consultation)." in text_of(response)


def test_a_name_longer_than_the_limit_is_not_cut_silently():
    fmap = FieldMap.parse(
        {
            "fields": {
                "rpps": {"label": "RPPS", "convert": "rpps", "required": False},
                "sector": {"label": "Secteur", "convert": "list", "required": False},
                "practice_commune": {"label": "Commune", "convert": "commune", "required": False},
            }
        }
    )
    node = {"champs": [], "demandeur": {"nom": "M" * 151, "prenom": "Anne"}, "usager": {"email": "a@exemple.fr"}}
    out = convert(node, fmap)
    assert {"field": "last_name", "champ": "demandeur", "reason": "nom de 151 caractères : 150 caractères au plus"} in (
        out.problems
    )


def test_the_statement_ready_e_mail_counts_one_line_and_one_day(doctor, cpam_agent, flat_rate, site):
    f.BookingFactory(
        doctor=doctor,
        slot=f.SlotFactory(site=site, date=datetime.date(2025, 10, 9)),
        status=Booking.Status.COMPLETED,
        consultations=3,
    )
    statement = generate_statement(Cpam.objects.get(department=doctor.practice_department), datetime.date(2025, 10, 1))
    notice = StatementReady(statement)
    _, body, html = render(notice.kind, notice.context())
    assert "est prêt à vérifier : 1 ligne, 1 jour, 200,00 €." in body
    assert "(s)" not in body + html


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 créneau fermé."),
        (3, "3 créneaux fermés."),
    ],
)
def test_the_consoles_counts_are_french(count, expected):
    from core.words import counted

    assert counted("{count} créneau(x) fermé(s).", count) == expected
    assert counted("{count} dossier(s) validé(s) : le CDOM et la CPAM sont prévenus.", 1) == (
        "1 dossier validé : le CDOM et la CPAM sont prévenus."
    )
