"""Every demo account has something to do on each of its screens, whatever the day `seed_demo` runs (issue #17).

The demo is seeded at two dates (the last day of a month, whose night summer time ends; the first day of a month
after February: each seeding takes a while) and each persona's demo accounts log in: every main screen lists at least one actionable item
(its action is on the page) and none shows its empty-state message.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from missions.models import Doctor
from operations.demo import seed_demo
from sites.models import HostSite

from .test_demo import check_every_site_has_a_day_to_attest, check_rules_hold

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")

# Each screen: what must be on it (a regular expression over its HTML: an item and its action) and the
# empty-state messages that must not.
DOCTOR_SCREENS = {
    "/medecin/": (
        [r"Le lieu d.accueil doit confirmer votre venue|Confirmée : rendez-vous"],
        ["Aucune mission à venir"],
    ),
    "/medecin/creneaux/": ([r'href="/medecin/creneaux/\d+/reserver/"|aria-label="Réserver le '], ["Aucun créneau"]),
    "/medecin/missions/": (
        [r'href="/medecin/missions/\d+/annuler/"'],
        ["Aucune mission à venir", "Aucune mission passée"],
    ),
    "/medecin/gains/": ([r"\d+,00\s*€"], ["Aucune journée attestée"]),
    "/medecin/disponibilites/": ([r'aria-label="Retirer la disponibilité du '], ["Aucune disponibilité à venir"]),
}
SITE_SCREENS = {
    "/lieu/": ([r'href="/lieu/creneaux/\d+/"'], ["Aucun créneau à venir"]),
    "/lieu/reservations/": (
        [r'aria-label="Confirmer la venue du Dr ', r'href="/lieu/reservations/\d+/refuser/"'],
        ["Aucune demande en attente", "Aucune venue confirmée à venir"],
    ),
    "/lieu/attestations/": (
        [r"Enregistrer l&#x27;attestation|Enregistrer l'attestation"],
        ["Aucune journée à attester", "Aucune attestation récente"],
    ),
}
CPAM_SCREENS = {
    "/cpam/": ([r'href="/cpam/releves/\d+/"'], ["Aucun relevé émis"]),
    "/cpam/numeros/": ([r"Enregistrer le numéro"], ["Aucun médecin n&#x27;attend", "Aucun médecin n'attend"]),
    "/cpam/numeros/?vue=enregistres": ([r"Corriger le numéro"], ["Aucun numéro dédié enregistré"]),
}
ARS_SCREENS = {
    "/ars/": (
        [r"Examiner le dossier du Dr ", r"Voir la réservation du Dr ", r"Voir la réservation annulée du Dr "],
        ["Aucun dossier en attente", "Aucune réservation en souffrance", "Aucune annulation tardive"],
    ),
    "/ars/planning/": ([r'href="/ars/planning/\d+/"'], ["Aucun planning pour l"]),
    "/admin/billing/statement/": ([r"Brouillon", r"Émis"], []),
}


def screen_problems(user: User, screens: dict[str, tuple[list[str], list[str]]]) -> list[str]:
    client = Client()
    client.force_login(user)
    problems = []
    for path, (wanted, empty) in screens.items():
        response = client.get(path)
        if response.status_code != 200:
            problems.append(f"{user.email} {path}: {response.status_code}")
            continue
        html = response.content.decode()
        problems += [
            f"{user.email} {path}: nothing matches {pattern!r}" for pattern in wanted if not re.search(pattern, html)
        ]
        problems += [f"{user.email} {path}: « {message} »" for message in empty if message in html]
    return problems


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 10, 31, 10, 0, tzinfo=PARIS),  # summer time ended last night; a new month tomorrow
        datetime(2027, 3, 1, 7, 30, tzinfo=PARIS),  # the first day of a month, after a 28-day February
    ],
    ids=["last-day-and-dst", "first-day-after-february"],
)
def test_every_demo_account_has_something_to_do_on_each_screen(settings, moment):
    settings.OTP_REQUIRED = False  # the second factor has its own tests; the screens are what this one reads
    with time_machine.travel(moment, tick=False):
        seed_demo()
        today = timezone.localdate()
        assert today == moment.date()

        problems: list[str] = []
        doctors = User.objects.filter(doctor__status=Doctor.Status.VALIDATED, email__endswith="@demo.fr")
        assert doctors.count() == 44
        for user in doctors.order_by("pk"):
            problems += screen_problems(user, DOCTOR_SCREENS)
        sites = User.objects.filter(email__startswith="lieu-", site_memberships__isnull=False).distinct()
        assert sites.count() == HostSite.objects.count() == 8
        for user in sites.order_by("pk"):
            problems += screen_problems(user, SITE_SCREENS)
        cpam_agents = User.objects.filter(email__startswith="cpam-", email__endswith="@demo.fr")
        assert cpam_agents.count() == 12
        for user in cpam_agents.order_by("pk"):
            problems += screen_problems(user, CPAM_SCREENS)
        problems += screen_problems(User.objects.get(email="ars@demo.fr"), ARS_SCREENS)
        # The volunteers whose file waits for a step see it on their file page.
        submitted = User.objects.filter(doctor__status=Doctor.Status.SUBMITTED, email__endswith="@demo.fr")
        for user in submitted.order_by("pk")[:1]:
            problems += screen_problems(user, {"/medecin/mon-dossier/": ([r"fr-badge"], [])})

        assert problems == [], "\n".join(problems)
        check_every_site_has_a_day_to_attest(today)
        check_rules_hold(today)
