"""One way to spell an e-mail address, used everywhere: storage, login, lockout, registration uniqueness.

`normalize_email` applies Unicode NFKC then case folding, so that the visually identical spellings a person may
type (full-width letters, « ſ », « K » as a Kelvin sign…) become one address, and lookups compare that exact value.
An address with a non-ASCII character that another case mapping turns into ASCII (« ı » upper-cases to « I »,
« İ » lower-cases to « i̇ », « ß » to « SS ») is ambiguous: Python's `lower()` and the database's `UPPER()` disagree on
it, which let such a spelling log into another account while the lockout counted it apart. It is refused.
"""

import unicodedata

from django.core.exceptions import ValidationError

AMBIGUOUS_EMAIL = (
    "Cette adresse e-mail contient un caractère qui peut se confondre avec une lettre latine (par exemple « ı » "
    "ou « ſ ») : saisissez-la avec des lettres non accentuées ordinaires."
)


class AmbiguousEmail(ValidationError):
    def __init__(self):
        super().__init__(AMBIGUOUS_EMAIL, code="ambiguous_email")


def _ambiguous(char: str) -> bool:
    if char.isascii():
        return False
    return any(c.isascii() for mapped in (char.lower(), char.upper(), char.casefold()) for c in mapped)


def normalize_email(value: str) -> str:
    """NFKC + casefold of the stripped address; raises AmbiguousEmail (a ValidationError) when ambiguous."""
    text = unicodedata.normalize("NFKC", (value or "").strip())
    if any(_ambiguous(char) for char in text):
        raise AmbiguousEmail()
    return unicodedata.normalize("NFKC", text.casefold())


def validate_unambiguous_email(value: str) -> None:
    normalize_email(value)


def lockout_key(value: str) -> str:
    """The lockout's key for what someone typed: its normal form, or (ambiguous: it matches no account) its
    NFKC case-folded form, so that repeated tries are still counted together."""
    try:
        return normalize_email(value)
    except AmbiguousEmail:
        return unicodedata.normalize("NFKC", value.strip().casefold())
