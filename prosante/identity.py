"""What Pro Santé Connect tells us about the person who logged in, read from the userinfo claims it documents.

The claims (ANS, « Pro Santé Connect — documentation technique », industriels.esante.gouv.fr; the ANS's own model of
them: prosanteconnect/psc-context-sharing-api, UserInfos.java, Practice.java, Activity.java):

- `SubjectNameID`: the national identifier of the professional (idNat_PS). For an RPPS holder it is « 8 » followed by
  the 11 digits of the RPPS number (ANS, « Identification nationale principale du professionnel », MOS idNat_PS:
  « 8 + N° RPPS », « 0 + N° ADELI » — ansforge/IG-FHIR-PDSM4DMP-EEDS, input/fsh/Model/PSIdNat.fsh); the prefix and
  length are data (prosante/data/nomenclature.json).
- `given_name`, `family_name`: civil names.
- `SubjectRefPro.exercices[]`: one per profession, with `codeProfession` (TRE_G15: 10 = médecin), `codeSavoirFaire`
  (TRE_R38 ordinal specialty), `prenomDexercice`, `nomDexercice` (the names the person practises under) and
  `activities[]` (`raisonSocialeSite`, `codePostal`, `codeCommune`, `codeModeExercice`).
- `SubjectOrganization`: the name of the organisation of the current activity.

Nothing else is read. Missing or malformed claims give empty values, never an exception: the caller decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from prosante.nomenclature import nomenclature
from sites.identifiers import validate_rpps


@dataclass(frozen=True)
class Practice:
    """The place of the doctor's first activity, as the directory knows it."""

    organisation: str = ""
    postcode: str = ""
    commune_code: str = ""
    mode: str = ""  # a missions.models.DoctorMode value, or "" when the directory's mode has no equivalent here


@dataclass(frozen=True)
class PscIdentity:
    national_id: str
    rpps: str | None
    first_name: str
    last_name: str
    profession_codes: tuple[str, ...]
    specialty_code: str = ""
    specialty: str = ""
    practice: Practice = Practice()

    @property
    def is_doctor(self) -> bool:
        return nomenclature().doctor_profession_code in self.profession_codes


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def rpps_from_national_id(national_id: str) -> str | None:
    """The RPPS number held by a national identifier (« 8 » + 11 digits with a valid Luhn key), else None: an ADELI
    identifier (« 0 … ») or a test identity of the ANS sandbox holds none."""
    rules = nomenclature()
    if not national_id.startswith(rules.rpps_prefix):
        return None
    rpps = national_id[len(rules.rpps_prefix) :]
    if len(rpps) != rules.rpps_digits:
        return None
    try:
        validate_rpps(rpps)
    except ValidationError:
        return None
    return rpps


def identity_from_claims(claims: dict[str, Any]) -> PscIdentity:
    rules = nomenclature()
    ref_pro = claims.get("SubjectRefPro")
    exercises = _list(ref_pro.get("exercices")) if isinstance(ref_pro, dict) else []
    professions = tuple(_text(e.get("codeProfession")) for e in exercises if _text(e.get("codeProfession")))
    as_doctor = next((e for e in exercises if _text(e.get("codeProfession")) == rules.doctor_profession_code), None)
    exercise = as_doctor or (exercises[0] if exercises else {})
    national_id = _text(claims.get("SubjectNameID"))
    specialty_code = _text(exercise.get("codeSavoirFaire"))
    activities = _list(exercise.get("activities"))
    activity = next((a for a in activities if _text(a.get("codeCommune")) or _text(a.get("codePostal"))), None)
    activity = activity or (activities[0] if activities else {})
    practice = Practice(
        organisation=_text(activity.get("raisonSocialeSite")) or _text(claims.get("SubjectOrganization")),
        postcode=_text(activity.get("codePostal")),
        commune_code=_text(activity.get("codeCommune")),
        mode=rules.exercise_modes.get(_text(activity.get("codeModeExercice")), ""),
    )
    return PscIdentity(
        national_id=national_id,
        rpps=rpps_from_national_id(national_id),
        first_name=_text(exercise.get("prenomDexercice")) or _text(claims.get("given_name")),
        last_name=_text(exercise.get("nomDexercice")) or _text(claims.get("family_name")),
        profession_codes=professions,
        specialty_code=specialty_code,
        specialty=rules.specialties.get(specialty_code, ""),
        practice=practice,
    )
