"""Small rules of written French that several pages, e-mails and exports share.

- `sentence`: end a sentence with one full stop, not two, when it ends with a value that may already carry one (a
  reason typed by someone, an abbreviation): « Motif : locaux fermés. » and never « locaux fermés.. ».
- `joined`: join the parts of an address or a line that exist, so that a missing one leaves no orphan « , » or « — ».
- `at_place`: « à » before a place's name, with the article its first word needs (« au Centre de santé de Thiers »,
  « à la Maison de santé d'Ambert », « à l'EHPAD Les Tilleuls »); a name that does not start with a known common
  noun is quoted after « au lieu d'accueil », never glued to « à » (« à Centre ou maison de santé… »).
- `counted`: a count with its words in the right number: « 1 créneau fermé », « 2 créneaux fermés » (French
  keeps the singular below 2).
"""

from __future__ import annotations

import unicodedata

ENDINGS = (".", "!", "?", "…")

# The first word of a host site's name, as people name them, and the article it takes after « à ».
_MASCULINE = {
    "centre",
    "cabinet",
    "local",
    "pole",
    "dispensaire",
    "groupe",
    "site",
    "foyer",
    "batiment",
    "cms",
    "ch",
    "chu",
}
_FEMININE = {"maison", "mairie", "salle", "clinique", "polyclinique", "residence", "permanence", "msp", "communaute"}
_ELIDED = {"ehpad", "hopital", "espace", "etablissement", "institut", "office", "antenne", "unite", "hotel"}


def sentence(text: str) -> str:
    """`text` stripped, ending with one full stop (or the question or exclamation mark it already ends with)."""
    text = (text or "").strip()
    if not text or text.endswith(ENDINGS):
        return text
    return f"{text}."


def joined(*parts: str | None, separator: str = ", ") -> str:
    """The parts that are not empty, stripped, joined: no leading, trailing or doubled separator."""
    return separator.join(p.strip() for p in parts if p and p.strip())


def _folded(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def at_place(name: str) -> str:
    """« à » + the place's name, with the right article (see the module's docstring)."""
    name = " ".join((name or "").split())
    first = _folded(name.split(" ", 1)[0].split("-", 1)[0].rstrip(".,")) if name else ""
    if first in _MASCULINE:
        return f"au {name}"
    if first in _FEMININE:
        return f"à la {name}"
    if first in _ELIDED:
        return f"à l'{name}"
    return f"au lieu d'accueil « {name} »"


def counted(done: str, count: int) -> str:
    """« {count} créneau(x) fermé(s). » as French reads it: « 1 créneau fermé. », « 2 créneaux fermés. »."""
    plural = count > 1
    return done.replace("(s)", "s" if plural else "").replace("(x)", "x" if plural else "").format(count=count)
