"""The check of a doctor's registration against the RPPS directory: is the number in it, is it a doctor
(profession 10, « Médecin »), do the names and the specialty match?

Names are compared without accents, case, hyphens or apostrophes (« Jean-Loïc D'Arc » = « JEAN LOIC D ARC »).
The specialty typed by the doctor matches when one of the directory's « Libellé savoir-faire » of that person
says the same once its qualifier (« Spécialiste en », « Qualifié en ») is taken off, or when one contains the
other word for word (« Médecine générale » and « Spécialiste en Médecine Générale »).

When no directory was ever loaded the check says so (« annuaire non chargé ») and nothing depends on it. The
check is computed when it is read, so it always speaks of the directory in force.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.utils import timezone

from directory.extraction import DOCTOR_PROFESSION_CODE
from directory.models import DirectoryEntry, DirectoryLoad

QUALIFIERS = ("specialiste en ", "qualifie en ", "specialite ")
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})  # no decomposition of their own (« Œuvre », « Lætitia »)


class Registered(Protocol):
    """What the check reads of a doctor (missions.Doctor, a DS dossier, a registration form)."""

    rpps: str
    first_name: str
    last_name: str
    specialty: str


def normalized(text: str) -> str:
    """Lower case, no accents, words separated by one space: « Jean-Loïc D'Arc » → « jean loic d arc »."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(LIGATURES)
    return " ".join(re.split(r"[^0-9a-z]+", plain)).strip()


def _specialty(text: str) -> str:
    value = normalized(text)
    for qualifier in QUALIFIERS:
        if value.startswith(qualifier):
            return value[len(qualifier) :]
    return value


def specialty_matches(ours: str, theirs: str) -> bool:
    a, b = _specialty(ours), _specialty(theirs)
    if not a or not b:
        return False
    return a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} "


@dataclass(frozen=True)
class RppsCheck:
    loaded: bool
    loaded_on: date | None = None
    found: bool = False
    is_doctor: bool = False
    name_matches: bool = False
    specialty_matches: bool = False
    directory_name: str = ""
    directory_professions: tuple[str, ...] = ()
    directory_specialties: tuple[str, ...] = field(default=())

    @property
    def clean(self) -> bool:
        """Nothing to look at: the directory agrees on everything, or there is no directory to ask."""
        return not self.loaded or (self.found and self.is_doctor and self.name_matches and self.specialty_matches)

    @property
    def problems(self) -> list[str]:
        """What differs, in French, for ARS staff."""
        if not self.loaded or self.clean:
            return []
        if not self.found:
            return ["n° RPPS absent de l'annuaire"]
        found: list[str] = []
        if not self.is_doctor:
            professions = ", ".join(self.directory_professions) or "non renseignée"
            found.append(f"profession dans l'annuaire : {professions} (pas médecin)")
        if not self.name_matches:
            found.append(f"nom différent (annuaire : « {self.directory_name} »)")
        if self.is_doctor and not self.specialty_matches:  # a non-doctor's savoir-faire says nothing more
            specialties = " ; ".join(f"« {s} »" for s in self.directory_specialties) or "aucune"
            found.append(f"spécialité différente (annuaire : {specialties})")
        return found

    @property
    def headline(self) -> str:
        if not self.loaded:
            return "Annuaire non chargé"
        if self.clean:
            return "Conforme à l'annuaire RPPS"
        if not self.found:
            return "RPPS introuvable dans l'annuaire"
        if not self.is_doctor:
            return "Pas médecin selon l'annuaire"
        return "À vérifier"

    @property
    def summary(self) -> str:
        """One line: the headline, then what differs."""
        if self.clean or not self.found:
            return self.headline
        return f"{self.headline} : {' ; '.join(self.problems)}"

    @property
    def badge(self) -> str:
        """DSFR badge modifier: info (no directory), success, warning (a difference), error (unknown, not a doctor)."""
        if not self.loaded:
            return "info"
        if self.clean:
            return "success"
        if not self.found or not self.is_doctor:
            return "error"
        return "warning"

    @property
    def source(self) -> str:
        return f"annuaire du {self.loaded_on:%d/%m/%Y}" if self.loaded_on else "annuaire non chargé"


def current_load() -> DirectoryLoad | None:
    return DirectoryLoad.objects.order_by("-loaded_at", "-pk").first()


def check_many(doctors: Iterable[Registered]) -> dict[str, RppsCheck]:
    """The check of each doctor, by RPPS number, in two queries whatever their number."""
    doctors = list(doctors)
    load = current_load()
    if load is None:
        return {d.rpps: RppsCheck(loaded=False) for d in doctors}
    loaded_on = timezone.localdate(load.loaded_at)
    entries: dict[str, list[DirectoryEntry]] = defaultdict(list)
    for entry in DirectoryEntry.objects.filter(rpps__in={d.rpps for d in doctors}).order_by("pk"):
        entries[entry.rpps].append(entry)
    return {d.rpps: _verdict(d, entries.get(d.rpps, []), loaded_on) for d in doctors}


def check(doctor: Registered) -> RppsCheck:
    return check_many([doctor])[doctor.rpps]


def _verdict(doctor: Registered, entries: list[DirectoryEntry], loaded_on: date) -> RppsCheck:
    if not entries:
        return RppsCheck(loaded=True, loaded_on=loaded_on)
    as_doctor = [e for e in entries if e.profession_code == DOCTOR_PROFESSION_CODE]
    names = {(normalized(e.first_name), normalized(e.last_name)) for e in entries}
    shown = as_doctor or entries
    specialties = tuple(dict.fromkeys(e.specialty_label for e in as_doctor if e.specialty_label))
    return RppsCheck(
        loaded=True,
        loaded_on=loaded_on,
        found=True,
        is_doctor=bool(as_doctor),
        name_matches=(normalized(doctor.first_name), normalized(doctor.last_name)) in names,
        specialty_matches=any(specialty_matches(doctor.specialty, s) for s in specialties),
        directory_name=f"{shown[0].first_name} {shown[0].last_name}".strip(),
        directory_professions=tuple(dict.fromkeys(e.profession_label or e.profession_code for e in entries)),
        directory_specialties=specialties,
    )
