"""The facts Pro Santé Connect's claims are read with, from prosante/data/nomenclature.json (each with its source):
how a national identifier holds an RPPS number, which profession code is a doctor, the exercise modes and the
ordinal specialties. Loaded once."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NOMENCLATURE_FILE = Path(__file__).resolve().parent / "data" / "nomenclature.json"


@dataclass(frozen=True)
class Nomenclature:
    rpps_prefix: str
    rpps_digits: int
    doctor_profession_code: str
    exercise_modes: dict[str, str]
    specialties: dict[str, str]


@cache
def nomenclature() -> Nomenclature:
    data = json.loads(NOMENCLATURE_FILE.read_text(encoding="utf-8"))
    return Nomenclature(
        rpps_prefix=data["national_identifier"]["rpps_prefix"],
        rpps_digits=data["national_identifier"]["rpps_digits"],
        doctor_profession_code=data["doctor_profession"]["code"],
        exercise_modes=dict(data["exercise_modes"]["values"]),
        specialties=dict(data["specialties"]["values"]),
    )
