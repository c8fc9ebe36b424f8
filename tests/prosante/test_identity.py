"""Reading Pro Santé Connect's claims: the RPPS number inside the national identifier, the doctor's exercise."""

import pytest

from prosante.identity import identity_from_claims, rpps_from_national_id
from tests import factories as f
from tests.prosante.provider import psc_claims

RPPS = f.with_luhn_key("1004242424")


@pytest.mark.parametrize(
    ("national_id", "expected"),
    [
        (f"8{RPPS}", RPPS),  # « 8 » + RPPS (ANS, idNat_PS)
        (RPPS, None),  # the bare RPPS number is not a national identifier
        (f"0{RPPS[:9]}", None),  # « 0 » + ADELI
        (f"8{RPPS[:-1]}{(int(RPPS[-1]) + 1) % 10}", None),  # wrong Luhn key
        (f"8{RPPS}0", None),  # too long
        ("ANS20231122132732", None),  # an identity of the ANS sandbox
        ("", None),
    ],
)
def test_the_rpps_number_inside_the_national_identifier(national_id, expected):
    assert rpps_from_national_id(national_id) == expected


def test_a_doctor_among_several_professions_is_read_as_the_doctor():
    claims = psc_claims(RPPS, profession="60", specialty="")
    doctor_exercise = dict(claims["SubjectRefPro"]["exercices"][0], codeProfession="10", codeSavoirFaire="SM26")
    claims["SubjectRefPro"]["exercices"].append(doctor_exercise)
    identity = identity_from_claims(claims)
    assert identity.is_doctor
    assert identity.profession_codes == ("60", "10")
    assert identity.specialty == "Qualifié en Médecine générale"


def test_missing_or_malformed_claims_give_empty_values():
    identity = identity_from_claims({"sub": "x", "SubjectRefPro": "pas un objet", "SubjectNameID": 42})
    assert identity.rpps is None
    assert not identity.is_doctor
    assert identity.first_name == identity.last_name == identity.specialty == ""
    assert identity.practice.postcode == ""


def test_an_unknown_specialty_code_gives_no_label_and_a_mode_without_equivalent_none():
    identity = identity_from_claims(psc_claims(RPPS, specialty="SM999", mode="B"))
    assert identity.specialty_code == "SM999"
    assert identity.specialty == ""
    assert identity.practice.mode == ""  # bénévole: the doctor chooses


def test_the_return_address_is_scrubbed_from_log_lines():
    from accounts.log_scrubbing import scrub

    line = '"GET /compte/pro-sante-connect/retour/?state=Abc123&code=s3cr3t-c0de HTTP/1.1" 302'
    assert "s3cr3t-c0de" not in scrub(line)
    assert "Abc123" not in scrub(line)
    assert scrub(line).startswith('"GET /compte/pro-sante-connect/retour/?[masqué] HTTP/1.1"')
