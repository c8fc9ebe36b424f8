"""directory.check: what the RPPS directory in force says of an application."""

from types import SimpleNamespace

import pytest

from directory.check import check, check_many, normalized, specialty_matches
from sites.identifiers import with_luhn_key
from tests.directory.files import line

RPPS = with_luhn_key("1000011000")
OTHER = with_luhn_key("1000012000")


def applicant(rpps=RPPS, first="Jean-Loïc", last="D'Arc", specialty="Médecine générale"):
    return SimpleNamespace(rpps=rpps, first_name=first, last_name=last, specialty=specialty)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jean-Loïc", "jean loic"),
        ("D'ARC", "d arc"),
        ("  Ève   Müller-Öst ", "eve muller ost"),
        ("ŒUVRE", "oeuvre"),
        ("Lætitia", "laetitia"),
    ],
)
def test_names_compare_without_accents_case_or_punctuation(text, expected):
    assert normalized(text) == expected


@pytest.mark.parametrize(
    "ours, theirs, same",
    [
        ("Médecine générale", "Spécialiste en Médecine Générale", True),
        ("médecine generale", "Qualifié en Médecine Générale", True),
        ("Pédiatrie", "Pédiatrie", True),
        ("ORL", "O.R.L et chirurgie cervico faciale", False),
        ("Médecine générale", "Pédiatrie", False),
        ("Médecine", "Médecine du sport", True),  # word for word inside the label
        ("Médecine générale", "", False),
    ],
)
def test_specialty_matching(ours, theirs, same):
    assert specialty_matches(ours, theirs) is same


def test_without_any_directory_nothing_is_checked_and_nothing_blocks(db):
    verdict = check(applicant())

    assert not verdict.loaded
    assert verdict.clean
    assert verdict.headline == "Annuaire non chargé"
    assert verdict.problems == []
    assert verdict.badge == "info"


def test_a_doctor_whose_names_and_specialty_agree_is_clean(directory):
    directory(
        line(RPPS, "D ARC", "JEAN LOIC", specialty=("CAPA13", "Médecine du sport")),
        line(RPPS, "D ARC", "JEAN LOIC"),  # Spécialiste en Médecine Générale, on another line
    )

    verdict = check(applicant())

    assert verdict.loaded and verdict.found and verdict.is_doctor
    assert verdict.name_matches and verdict.specialty_matches
    assert verdict.clean
    assert verdict.headline == "Conforme à l'annuaire RPPS"
    assert verdict.badge == "success"
    assert verdict.directory_specialties == ("Médecine du sport", "Spécialiste en Médecine Générale")
    assert verdict.source.startswith("annuaire du ")


def test_an_unknown_number_is_said_so(directory):
    directory(line(OTHER, "AUTRE", "Personne"))

    verdict = check(applicant())

    assert verdict.loaded and not verdict.found
    assert not verdict.clean
    assert verdict.summary == "RPPS introuvable dans l'annuaire"
    assert verdict.problems == ["n° RPPS absent de l'annuaire"]
    assert verdict.badge == "error"


def test_a_number_of_another_profession_is_not_a_doctor(directory):
    directory(line(RPPS, "D'ARC", "Jean-Loïc", profession=("60", "Infirmier"), specialty=("", "")))

    verdict = check(applicant())

    assert verdict.found and not verdict.is_doctor
    assert verdict.headline == "Pas médecin selon l'annuaire"
    assert verdict.problems == ["profession dans l'annuaire : Infirmier (pas médecin)"]  # names agree
    assert verdict.badge == "error"


def test_another_name_and_another_specialty_are_both_told(directory):
    directory(line(RPPS, "DUPONT", "Marie", specialty=("SM40", "Pédiatrie")))

    verdict = check(applicant())

    assert verdict.found and verdict.is_doctor
    assert not verdict.name_matches and not verdict.specialty_matches
    assert verdict.problems == [
        "nom différent (annuaire : « Marie DUPONT »)",
        "spécialité différente (annuaire : « Pédiatrie »)",
    ]
    assert verdict.summary.startswith("À vérifier : nom différent")
    assert verdict.badge == "warning"


def test_many_applications_cost_two_queries(directory, django_assert_num_queries):
    directory(line(RPPS, "D'ARC", "Jean-Loïc"), line(OTHER, "DUPONT", "Marie"))
    people = [applicant(), applicant(rpps=OTHER, first="Marie", last="Dupont")]
    people += [applicant(rpps=with_luhn_key(f"20000{n:05d}")) for n in range(30)]

    with django_assert_num_queries(2):
        verdicts = check_many(people)

    assert verdicts[RPPS].clean and verdicts[OTHER].clean
    assert sum(not v.found for v in verdicts.values()) == 30
