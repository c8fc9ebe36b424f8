"""The correspondence between a démarche's champs and our fields, read from a versioned TOML file (DS_FIELD_MAP).

Each démarche is configured by its administrators: the labels (or ids) of its champs and the options of its lists
are theirs. The file says, for each of our fields, which champ holds it (`label` or `id`), how to read it
(`convert`) and whether it is required; lists carry their `choices` (DS option → our value). See
data/demarches/field_map.toml.

`convert(dossier, field_map)` reads one dossier (a node of the GraphQL answer, as a dict) and returns the values
and the problems: a required champ missing from the dossier, a value that does not parse, an option or a commune
we do not know. It never raises on the dossier's content and writes nothing.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError

from sites.identifiers import validate_rpps
from sites.models import Commune, Department, Zone

# Our fields a dossier may fill, and the converters each may use.
FIELDS = {
    "rpps": ("rpps",),
    "specialty": ("text", "list"),
    "sector": ("list",),
    "mode": ("list",),
    "practice_commune": ("commune",),
    "cdom_department": ("department",),
    "zones": ("list",),
    "phone": ("text",),
    "replacement_declared": ("yes_no",),
    "cps_card_requested_on": ("date",),
}
REQUIRED_FIELDS = ("rpps", "sector", "practice_commune")


class Unparseable(Exception):
    """A champ's value we cannot read: the message (French) says why."""


@dataclass(frozen=True)
class FieldRule:
    name: str
    convert: str
    label: str = ""
    champ_id: str = ""
    required: bool = True
    many: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)
    default: Any = None

    @property
    def champ_name(self) -> str:
        return f"« {self.label} »" if self.label else f"d'identifiant {self.champ_id}"


@dataclass(frozen=True)
class FieldMap:
    rules: tuple[FieldRule, ...]
    source: str = ""

    @classmethod
    def load(cls, path: str | Path) -> FieldMap:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ImproperlyConfigured(f"DS_FIELD_MAP {path}: {exc}") from exc
        return cls.parse(data, source=str(path))

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, source: str = "") -> FieldMap:
        rules = []
        for name, spec in (data.get("fields") or {}).items():
            if name not in FIELDS:
                raise ImproperlyConfigured(f"DS_FIELD_MAP: unknown field {name!r} (known: {sorted(FIELDS)})")
            convert = spec.get("convert", "text")
            if convert not in FIELDS[name]:
                raise ImproperlyConfigured(f"DS_FIELD_MAP: field {name!r} cannot use the converter {convert!r}")
            if not (spec.get("label") or spec.get("id")):
                raise ImproperlyConfigured(f"DS_FIELD_MAP: field {name!r} names no champ (label or id)")
            rules.append(
                FieldRule(
                    name=name,
                    convert=convert,
                    label=spec.get("label", ""),
                    champ_id=spec.get("id", ""),
                    required=bool(spec.get("required", name in REQUIRED_FIELDS)),
                    many=bool(spec.get("many", name == "zones")),
                    choices=dict(spec.get("choices") or {}),
                    default=spec.get("default"),
                )
            )
        missing = [name for name in REQUIRED_FIELDS if name not in {r.name for r in rules}]
        if missing:
            raise ImproperlyConfigured(f"DS_FIELD_MAP: no rule for the required field(s) {missing}")
        return cls(rules=tuple(rules), source=source)


@dataclass
class Converted:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)

    def problem(self, name: str, champ: str, reason: str) -> None:
        self.problems.append({"field": name, "champ": champ, "reason": reason})


# --- converters: (champ as the API returns it, rule) -> value, or Unparseable ------------------------------------


def _text(champ: Mapping[str, Any], rule: FieldRule) -> Any:
    return (champ.get("stringValue") or "").strip()


def _rpps(champ: Mapping[str, Any], rule: FieldRule) -> str:
    raw = (champ.get("stringValue") or "").strip()
    digits = "".join(ch for ch in raw if not ch.isspace())
    try:
        validate_rpps(digits)
    except ValidationError as exc:
        raise Unparseable(f"{exc.messages[0]} (valeur saisie : « {raw} »)") from exc
    return digits


def _date(champ: Mapping[str, Any], rule: FieldRule) -> datetime.date | None:
    value = champ.get("date") or ""
    if not value:
        raw = (champ.get("stringValue") or "").strip()
        if not raw:
            return None
        try:
            return datetime.datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError as exc:
            raise Unparseable(f"date illisible : « {raw} » (attendu : JJ/MM/AAAA)") from exc
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise Unparseable(f"date illisible : « {value} »") from exc


YES = {"oui", "true", "1", "on"}
NO = {"non", "false", "0", "off", ""}


def _yes_no(champ: Mapping[str, Any], rule: FieldRule) -> bool:
    for key in ("checked", "yesNo"):  # CheckboxChamp.value / YesNoChamp.value, aliased in the query
        if isinstance(champ.get(key), bool):
            return champ[key]
    raw = (champ.get("stringValue") or "").strip().lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise Unparseable(f"réponse oui/non illisible : « {raw} »")


def _option(value: str, rule: FieldRule) -> str:
    if not rule.choices:
        return value
    if value in rule.choices:
        return rule.choices[value]
    raise Unparseable(f"option « {value} » non prévue dans le fichier de correspondance")


def _list(champ: Mapping[str, Any], rule: FieldRule) -> Any:
    if rule.many:
        values = champ.get("values")
        if values is None:  # a single-choice list used for a many field, or an older API answer
            raw = (champ.get("stringValue") or "").strip()
            values = [v.strip() for v in raw.split(",") if v.strip()]
        return [_option(v, rule) for v in values]
    raw = (champ.get("stringValue") or "").strip()
    return _option(raw, rule) if raw else ""


def _commune(champ: Mapping[str, Any], rule: FieldRule) -> Commune | None:
    commune = champ.get("commune") or {}
    code = (commune.get("code") or "").strip()
    if not code:
        if (champ.get("stringValue") or "").strip():
            raise Unparseable(f"commune sans code INSEE : « {champ.get('stringValue')} »")
        return None
    found = Commune.objects.select_related("department").filter(insee_code=code).first()
    if found is None:
        raise Unparseable(f"commune inconnue de notre référentiel : {commune.get('name', '')} (INSEE {code})")
    return found


def _department(champ: Mapping[str, Any], rule: FieldRule) -> Department | None:
    department = champ.get("departement") or {}
    code = (department.get("code") or "").strip()
    if not code:
        return None
    found = Department.objects.filter(code=code).first()
    if found is None:
        raise Unparseable(f"département inconnu de notre référentiel : {code}")
    return found


CONVERTERS: dict[str, Callable[[Mapping[str, Any], FieldRule], Any]] = {
    "text": _text,
    "rpps": _rpps,
    "date": _date,
    "yes_no": _yes_no,
    "list": _list,
    "commune": _commune,
    "department": _department,
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _find(champs: list[Mapping[str, Any]], rule: FieldRule) -> Mapping[str, Any] | None:
    for champ in champs:
        if rule.champ_id and champ.get("id") == rule.champ_id:
            return champ
        if rule.label and not rule.champ_id and champ.get("label", "").strip() == rule.label:
            return champ
    return None


def convert(dossier: Mapping[str, Any], field_map: FieldMap) -> Converted:
    """Our values for one dossier, and what stops its import (`problems`, French reasons)."""
    out = Converted()
    champs = [c for c in dossier.get("champs") or [] if c]
    for rule in field_map.rules:
        champ = _find(champs, rule)
        if champ is None:
            if rule.required:
                out.problem(rule.name, rule.champ_name, f"champ {rule.champ_name} absent du dossier")
            elif rule.default is not None:
                out.values[rule.name] = rule.default
            continue
        try:
            value = CONVERTERS[rule.convert](champ, rule)
        except Unparseable as exc:
            out.problem(rule.name, rule.champ_name, f"champ {rule.champ_name} : {exc}")
            continue
        if _empty(value):
            if rule.required:
                out.problem(rule.name, rule.champ_name, f"champ {rule.champ_name} vide")
                continue
            if rule.default is not None:
                value = rule.default
        out.values[rule.name] = value
    if "zones" in out.values:
        sirens = list(out.values["zones"])
        zones = list(Zone.objects.filter(siren__in=sirens))
        unknown = sorted(set(sirens) - {z.siren for z in zones})
        if unknown:
            rule = next(r for r in field_map.rules if r.name == "zones")
            out.problem("zones", rule.champ_name, f"zone(s) inconnue(s) : SIREN {', '.join(unknown)}")
        out.values["zones"] = zones
    _identity(dossier, out)
    return out


NAME_MAX_LENGTH = 150  # Doctor.last_name, Doctor.first_name


def _identity(dossier: Mapping[str, Any], out: Converted) -> None:
    """Names and address come from the dossier itself (the « identité du demandeur » block, the usager's account)."""
    demandeur = dossier.get("demandeur") or {}
    usager = dossier.get("usager") or {}
    out.values["email"] = (demandeur.get("email") or usager.get("email") or "").strip()
    out.values["first_name"] = (demandeur.get("prenom") or "").strip()
    out.values["last_name"] = (demandeur.get("nom") or "").strip()
    if not out.values["email"]:
        out.problem("email", "usager", "aucune adresse e-mail dans le dossier")
    if not out.values["last_name"] or not out.values["first_name"]:
        out.problem("last_name", "demandeur", "identité du demandeur incomplète (nom et prénom d'une personne)")
    for name, label in (("last_name", "nom"), ("first_name", "prénom")):
        if len(out.values[name]) > NAME_MAX_LENGTH:  # never cut silently: the dossier says what to shorten
            out.problem(
                name,
                "demandeur",
                f"{label} de {len(out.values[name])} caractères : {NAME_MAX_LENGTH} caractères au plus",
            )
