"""The identifier validators, checked as properties: every well-formed keyed value passes, every single-digit typo
and every malformed string is refused with a French message naming the identifier."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from sites.identifiers import (
    finess_digits,
    validate_finess,
    validate_insee_code,
    validate_rpps,
    validate_siren,
    with_luhn_key,
)

ASCII_DIGITS = "0123456789"


def ascii_digits(value: str) -> bool:
    return value != "" and all(c in ASCII_DIGITS for c in value)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=ASCII_DIGITS, min_size=n, max_size=n)


def refusal(validator, value) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value


def with_one_digit_changed(value: str, position: int, delta: int) -> str:
    """The same identifier with one digit mistyped (Luhn catches every single-digit error)."""
    position %= len(value)
    while not value[position].isdigit():
        position = (position + 1) % len(value)
    changed = str((int(value[position]) + delta) % 10)
    return value[:position] + changed + value[position + 1 :]


# --- RPPS: 11 digits, the last one a Luhn key ----------------------------------------------------------------


@given(digits(10))
@example("1000000000")
def test_every_rpps_with_its_luhn_key_is_accepted(payload):
    validate_rpps(with_luhn_key(payload))


@given(digits(10), st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_a_mistyped_rpps_digit_is_refused_with_the_key_message(payload, position, delta):
    error = refusal(validate_rpps, with_one_digit_changed(with_luhn_key(payload), position, delta))
    assert error.code == "rpps_key"
    assert "RPPS" in error.messages[0]
    assert "clé de contrôle" in error.messages[0]


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 11 and ascii_digits(s))))
@example("1234567890")  # 10 digits
@example("123456789012")  # 12 digits
@example("1000000000 ")  # trailing space
@example("10000000009\n")  # trailing newline after a keyed value
@example("١٠٠٠٠٠٠٠٠٠٩")  # Arabic-Indic digits
def test_anything_but_eleven_ascii_digits_is_refused_as_a_malformed_rpps(value):
    error = refusal(validate_rpps, value)
    assert error.code == "rpps_format"
    assert error.messages == ["Le numéro RPPS doit comporter exactement 11 chiffres."]


@pytest.mark.parametrize("value", [None, 10000000009, b"10000000009"])
def test_an_rpps_that_is_not_a_string_is_refused(value):
    assert refusal(validate_rpps, value).code == "rpps_format"


# --- SIREN: 9 digits with a Luhn key -----------------------------------------------------------------------


@given(digits(8))
@example("20007108")  # CA Montluçon Communauté: 200071082
def test_every_siren_with_its_luhn_key_is_accepted(payload):
    validate_siren(with_luhn_key(payload))


@pytest.mark.parametrize("siren", ["200071082", "240700617", "200066637", "241500255", "244200820"])
def test_the_sirens_of_the_reference_zones_are_accepted(siren):
    validate_siren(siren)


@given(digits(8), st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_a_mistyped_siren_digit_is_refused_with_the_key_message(payload, position, delta):
    error = refusal(validate_siren, with_one_digit_changed(with_luhn_key(payload), position, delta))
    assert error.code == "siren_key"
    assert "SIREN" in error.messages[0]


@given(st.text(max_size=15).filter(lambda s: not (len(s) == 9 and ascii_digits(s))))
@example("20007108")
@example("200071082\n")
@example("200 071 082")
def test_anything_but_nine_ascii_digits_is_refused_as_a_malformed_siren(value):
    error = refusal(validate_siren, value)
    assert error.code == "siren_format"
    assert error.messages == ["Le numéro SIREN doit comporter exactement 9 chiffres."]


# --- FINESS: 2 digits or 2A/2B, then 7 digits; Luhn key computed with 2A → 21, 2B → 22 ------------------------


finess_departments = st.one_of(digits(2), st.sampled_from(["2A", "2B"]))


@given(finess_departments, digits(6))
@example("2A", "000001")
@example("2B", "000001")
def test_every_finess_with_its_luhn_key_is_accepted(department, body):
    payload = department + body
    key = with_luhn_key(finess_digits(payload))[-1]
    validate_finess(payload + key)


@given(finess_departments, digits(6), st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_a_mistyped_finess_digit_is_refused_with_the_key_message(department, body, position, delta):
    payload = department + body
    valid = payload + with_luhn_key(finess_digits(payload))[-1]
    if department in {"2A", "2B"}:
        position = 2 + position % 7  # a typo in « 2A » itself is a format error, tested below
    error = refusal(validate_finess, with_one_digit_changed(valid, position, delta))
    assert error.code == "finess_key"
    assert "FINESS" in error.messages[0]


def test_corsican_finess_keys_are_computed_on_21_and_22():
    assert finess_digits("2A0000017") == "210000017"
    assert finess_digits("2B0000017") == "220000017"
    assert finess_digits("690781810") == "690781810"
    # The same 8 characters keyed as if 2A were 20 are refused: the key must be computed on 21.
    keyed_on_20 = "2A000001" + with_luhn_key("20000001")[-1]
    keyed_on_21 = "2A000001" + with_luhn_key("21000001")[-1]
    assert keyed_on_20 != keyed_on_21
    validate_finess(keyed_on_21)
    assert refusal(validate_finess, keyed_on_20).code == "finess_key"


@given(st.text(max_size=12))
@example("2C0000017")
@example("2a0000017")
@example("69078181")
@example("6907818100")
def test_a_malformed_finess_is_refused_with_the_format_message(value):
    if len(value) == 9 and (value[:2] in {"2A", "2B"} or ascii_digits(value[:2])) and ascii_digits(value[2:]):
        return  # covered by the key tests above
    error = refusal(validate_finess, value)
    assert error.code == "finess_format"
    assert "FINESS" in error.messages[0]
    assert "9 caractères" in error.messages[0]


# --- INSEE commune code: 2 digits (or 2A/2B) then 3 digits, no key -------------------------------------------


@given(st.one_of(digits(2), st.sampled_from(["2A", "2B"])), digits(3))
@example("03", "185")
@example("2A", "004")
def test_every_well_formed_insee_code_is_accepted(department, commune):
    validate_insee_code(department + commune)


@given(st.text(max_size=8))
@example("3185")
@example("031850")
@example("2C004")
@example("03185\n")
def test_a_malformed_insee_code_is_refused_with_a_message_naming_the_commune_code(value):
    if len(value) == 5 and (value[:2] in {"2A", "2B"} or ascii_digits(value[:2])) and ascii_digits(value[2:]):
        return  # well formed
    error = refusal(validate_insee_code, value)
    assert error.code == "insee_format"
    assert "code INSEE" in error.messages[0]


# --- with_luhn_key is what the factories and the demo data rely on -------------------------------------------


@given(st.text(alphabet=ASCII_DIGITS, min_size=1, max_size=15))
def test_with_luhn_key_appends_exactly_one_digit(payload):
    keyed = with_luhn_key(payload)
    assert keyed[:-1] == payload
    assert keyed[-1] in ASCII_DIGITS
