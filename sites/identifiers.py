"""French identifiers used by the mission, checked the same way everywhere (models, forms, API, imports).

Identifiers are strings: leading zeros and Corsica's 2A/2B matter. Patterns are ASCII-only and matched in full
(a Unicode digit class would accept other scripts' digits, and `$` a trailing newline). Each validator raises a
Django `ValidationError` whose French message names the field.
"""

import re

from django.core.exceptions import ValidationError
from stdnum import luhn

RPPS_RE = re.compile(r"[0-9]{11}")
FINESS_RE = re.compile(r"([0-9]{2}|2[AB])[0-9]{7}")
SIREN_RE = re.compile(r"[0-9]{9}")
INSEE_RE = re.compile(r"([0-9]{2}|2[AB])[0-9]{3}")


def _luhn_ok(digits: str) -> bool:
    return luhn.is_valid(digits)


def validate_rpps(value: str) -> None:
    if not isinstance(value, str) or not RPPS_RE.fullmatch(value):
        raise ValidationError("Le numéro RPPS doit comporter exactement 11 chiffres.", code="rpps_format")
    if not _luhn_ok(value):
        raise ValidationError(
            "Le numéro RPPS est invalide : sa clé de contrôle ne correspond pas (vérifiez la saisie).",
            code="rpps_key",
        )


def finess_digits(value: str) -> str:
    """The digits the FINESS key is computed on: Corsica's 2A counts as 21 and 2B as 22."""
    if value.startswith("2A"):
        return "21" + value[2:]
    if value.startswith("2B"):
        return "22" + value[2:]
    return value


def validate_finess(value: str) -> None:
    if not isinstance(value, str) or not FINESS_RE.fullmatch(value):
        raise ValidationError(
            "Le numéro FINESS doit comporter 9 caractères : 2 chiffres (ou 2A/2B) puis 7 chiffres.",
            code="finess_format",
        )
    if not _luhn_ok(finess_digits(value)):
        raise ValidationError(
            "Le numéro FINESS est invalide : sa clé de contrôle ne correspond pas (vérifiez la saisie).",
            code="finess_key",
        )


def validate_siren(value: str) -> None:
    if not isinstance(value, str) or not SIREN_RE.fullmatch(value):
        raise ValidationError("Le numéro SIREN doit comporter exactement 9 chiffres.", code="siren_format")
    if not _luhn_ok(value):
        raise ValidationError(
            "Le numéro SIREN est invalide : sa clé de contrôle ne correspond pas (vérifiez la saisie).",
            code="siren_key",
        )


def validate_insee_code(value: str) -> None:
    if not isinstance(value, str) or not INSEE_RE.fullmatch(value):
        raise ValidationError(
            "Le code INSEE de la commune doit comporter 5 caractères : 2 chiffres (ou 2A/2B) puis 3 chiffres.",
            code="insee_format",
        )


def with_luhn_key(payload: str) -> str:
    """Append the Luhn check digit to a string of digits (used by factories and the demo data)."""
    return payload + luhn.calc_check_digit(payload)
