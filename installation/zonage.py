"""Reading an ARS's zonage file (CSV or XLSX) and writing it as one arrêté's lines: all or nothing.

Columns are found by their name (without case, accents or spaces), in either format this product has met:

- the older national format: `Code` (INSEE code of the commune), `Libellé`, `Zonage_MG` with values `1_ZIP`,
  `2_ZAC`, `3_QPV_ZIP`, `4_QPV_ZAC`, `5_ZV`, `6_HZ`;
- the ARS lists of communes (such as AuRA's « Liste_communes_zonage_MG2025 »): a column of INSEE codes (`Code
  commune`, `Code INSEE`, `CODGEO`…), the commune's name, the class (`Zonage`, `Zonage MG`, `Classement`…) with
  values `ZIP`, `ZAC`, `HZ` (or written out), and optionally the territoire de vie-santé (`TVS`…).

In a workbook, the first sheet whose header (in its first 20 rows) names a code and a class column is read (AuRA's
file also has a « QPV » sheet, of quartiers rather than communes). The arrêté's reference and dates are not in the
file: the command takes them as options. Every refusal names its line (as a spreadsheet shows it)."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from installation.models import CommuneZonage, ZonageDecree, ZonageKind
from sites.identifiers import validate_insee_code
from sites.models import Commune, Region
from sites.reference import ReferenceDataError

HEADER_ROWS_SEARCHED = 20

CODE_COLUMNS = ("code", "code_commune", "code_insee", "code_insee_commune", "codgeo", "insee", "depcom", "com")
NAME_COLUMNS = ("libelle", "libelle_commune", "commune", "nom_commune", "nom", "libcom", "nom_de_la_commune")
KIND_COLUMNS = (
    "zonage_mg",
    "zonage",
    "zonage_medecins",
    "zonage_medecin",
    "zonage_medecine_generale",
    "zonage_mg_2025",
    "zonage_mg_2026",
    "zonage_2026",
    "classement",
    "categorie",
    "type_de_zone",
)
TERRITORY_COLUMNS = ("tvs", "territoire_de_vie_sante", "libelle_tvs", "nom_tvs", "territoire_de_vie-sante")

# A value as written (without case, accents, spaces, dashes) → (class, is the line a QPV's).
VALUES: dict[str, tuple[str, bool]] = {
    "1_zip": (ZonageKind.ZIP, False),
    "2_zac": (ZonageKind.ZAC, False),
    "3_qpv_zip": (ZonageKind.ZIP, True),
    "4_qpv_zac": (ZonageKind.ZAC, True),
    "5_zv": (ZonageKind.ZV, False),
    "6_hz": (ZonageKind.HZ, False),
    "zip": (ZonageKind.ZIP, False),
    "zac": (ZonageKind.ZAC, False),
    "zv": (ZonageKind.ZV, False),
    "hz": (ZonageKind.HZ, False),
    "hc": (ZonageKind.HZ, False),
    "hors_zonage": (ZonageKind.HZ, False),
    "hors_classement": (ZonageKind.HZ, False),
    "zone_d'intervention_prioritaire": (ZonageKind.ZIP, False),
    "zone_d'action_complementaire": (ZonageKind.ZAC, False),
    "zone_de_vigilance": (ZonageKind.ZV, False),
}


def plain(text: object) -> str:
    """A header or a value as people type it: without case, accents, surrounding spaces; inner spaces and dashes
    become underscores (« Libellé » → « libelle », « 1 - ZIP » → « 1_zip »)."""
    decomposed = unicodedata.normalize("NFKD", str(text if text is not None else "").strip().lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")
    return "_".join(bare.replace("-", " ").replace("_", " ").split())


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class ZonageLine:
    line: int
    commune_id: int
    kind: str
    qpv: bool
    territory: str


@dataclass(frozen=True)
class Columns:
    code: str
    kind: str
    name: str | None
    territory: str | None


def _columns(header: list[str]) -> Columns | None:
    def first(candidates: tuple[str, ...]) -> str | None:
        return next((c for c in candidates if c in header), None)

    code, kind = first(CODE_COLUMNS), first(KIND_COLUMNS)
    if code is None or kind is None:
        return None
    return Columns(code=code, kind=kind, name=first(NAME_COLUMNS), territory=first(TERRITORY_COLUMNS))


def _table(rows: list[list[object]]) -> tuple[Columns, list[Row]] | None:
    """Find the header among the first rows, then the data rows under it (blank rows skipped)."""
    for index, values in enumerate(rows[:HEADER_ROWS_SEARCHED]):
        header = [plain(v) for v in values]
        columns = _columns(header)
        if columns is None:
            continue
        data = []
        for number, cells in enumerate(rows[index + 1 :], start=index + 2):
            texts = ["" if c is None else str(c).strip() for c in cells]
            if any(texts):
                data.append(Row(number, dict(zip(header, texts, strict=False))))
        return columns, data
    return None


MISSING_COLUMNS = (
    "Colonnes introuvables : le fichier doit avoir une colonne du code INSEE de la commune (« Code », « Code "
    "commune », « Code INSEE », « CODGEO ») et une colonne du zonage (« Zonage_MG », « Zonage », « Classement »)."
)


def read_rows(path: Path) -> tuple[Columns, list[Row]]:
    """The rows of a CSV (`;` or `,`, UTF-8 with or without BOM, or Windows-1252) or of an XLSX workbook."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    found = _table([list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)])
    if found is None:
        raise ReferenceDataError([MISSING_COLUMNS])
    return found


def _read_xlsx(path: Path) -> tuple[Columns, list[Row]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise ReferenceDataError([f"Le fichier {path.name} n'est pas un classeur Excel lisible."]) from exc
    try:
        for sheet in workbook.worksheets:
            found = _table([list(r) for r in sheet.iter_rows(values_only=True)])
            if found is not None:
                return found
    finally:
        workbook.close()
    raise ReferenceDataError([MISSING_COLUMNS])


def _insee(value: str) -> str:
    """An INSEE code as a spreadsheet may hold it: « 1001 » (a number that lost its zero) → « 01001 »."""
    value = value.strip().upper()
    if value.endswith(".0"):
        value = value[:-2]
    return value.zfill(5) if value.isdigit() and len(value) == 4 else value


def check_rows(columns: Columns, rows: list[Row], region: Region) -> list[ZonageLine]:
    """Every row checked against the region's communes; all refusals at once, each naming its line."""
    communes = dict(Commune.objects.filter(department__region=region).values_list("insee_code", "pk"))
    errors: list[str] = []
    seen: dict[tuple[str, bool], int] = {}
    lines: list[ZonageLine] = []
    for row in rows:
        code = _insee(row.values.get(columns.code, ""))
        where = f"Ligne {row.line} (commune {code or '« vide »'})"
        try:
            validate_insee_code(code)
        except ValidationError as exc:
            errors.append(f"{where} : {exc.messages[0]}")
            continue
        if code not in communes:
            errors.append(f"{where} : ce code n'est pas celui d'une commune de la région {region.name}.")
            continue
        value = row.values.get(columns.kind, "")
        known = VALUES.get(plain(value))
        if known is None:
            errors.append(
                f"{where} : zonage « {value or 'vide'} » inconnu (attendu : ZIP, ZAC, ZV, HZ, ou 1_ZIP, 2_ZAC, "
                "3_QPV_ZIP, 4_QPV_ZAC, 5_ZV, 6_HZ)."
            )
            continue
        kind, qpv = known
        if (code, qpv) in seen:
            errors.append(f"{where} : cette commune figure déjà ligne {seen[(code, qpv)]}.")
            continue
        seen[(code, qpv)] = row.line
        territory = row.values.get(columns.territory, "") if columns.territory else ""
        lines.append(ZonageLine(row.line, communes[code], kind, qpv, territory[:200]))
    if not errors and not lines:
        errors.append("Le fichier ne contient aucune ligne de zonage.")
    if errors:
        raise ReferenceDataError(errors)
    return lines


@dataclass(frozen=True)
class DecreeFacts:
    """What the command's options say of the arrêté (the file holds only its lines)."""

    reference: str
    valid_from: date
    valid_until: date | None = None
    title: str = ""
    source_url: str = ""


def load_zonage(path: Path, region: Region, facts: DecreeFacts, *, loaded_by: str = "") -> ZonageDecree:
    """Load an arrêté's file: the arrêté (created, or its lines replaced when its reference was loaded before) and
    one line per commune. Nothing is written when a line is refused. Older arrêtés stay: the one in force on a date
    is the latest that started by then (installation.queries.decree_in_force)."""
    if facts.valid_until is not None and facts.valid_until < facts.valid_from:
        raise ReferenceDataError(["La date de fin de l'arrêté précède sa date de début."])
    columns, rows = read_rows(path)
    lines = check_rows(columns, rows, region)
    try:
        with transaction.atomic():
            decree, _ = ZonageDecree.objects.update_or_create(
                region=region,
                reference=facts.reference,
                defaults={
                    "valid_from": facts.valid_from,
                    "valid_until": facts.valid_until,
                    "title": facts.title,
                    "source_url": facts.source_url,
                    "file_name": Path(path).name,
                    "loaded_by": loaded_by,
                },
            )
            decree.lines.all().delete()
            CommuneZonage.objects.bulk_create(
                [
                    CommuneZonage(decree=decree, commune_id=z.commune_id, kind=z.kind, qpv=z.qpv, territory=z.territory)
                    for z in lines
                ],
                batch_size=500,
            )
    except IntegrityError as exc:
        raise ReferenceDataError(
            [f"Un autre arrêté de la région {region.name} entre déjà en vigueur le {facts.valid_from:%d/%m/%Y}."]
        ) from exc
    return decree
