"""Loading the territory's reference data (data/aura/): region, departments and their CDOM, EPCI, communes,
the known zones with their host sites, and the ARS's own list of zones (a CSV keyed by EPCI SIREN).

Every loader is idempotent: run twice, it leaves the same rows. Large tables are written with bulk upserts
(`INSERT … ON CONFLICT DO UPDATE` on SQLite and PostgreSQL alike). Values people edit in the admin (zone targets,
CDOM e-mail when the file has none, host site details) are never overwritten by a blank or by a reload.
Callers wrap a whole load in one transaction (see operations.reference.load_reference_data).
"""

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from sites.identifiers import validate_insee_code, validate_siren
from sites.models import Commune, Department, Epci, HostSite, Region, Zone
from sites.signals import territory_moved

DATA_DIR = Path(settings.BASE_DIR) / "data" / "aura"
REGION_NAMES = {"84": "Auvergne-Rhône-Alpes"}
BATCH_SIZE = 500


class ReferenceDataError(Exception):
    """A reference file was refused. `errors` are French sentences, each naming the line at fault."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# --- reading CSV files -------------------------------------------------------------------------------------


def _plain(name: str) -> str:
    """A header as people type it, compared without case, accents or surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(" ", "_")


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line number a spreadsheet shows (the header is line 1)
    values: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


def parse_csv(text: str) -> list[CsvRow]:
    """Rows of a CSV separated by `;` or `,` (whichever the header uses), headers normalised, blank lines skipped."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_plain(h) for h in next(reader)]
    except StopIteration:
        return []
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        rows.append(CsvRow(reader.line_num, {h: v.strip() for h, v in zip(header, values, strict=False)}))
    return rows


def read_csv(path: Path) -> list[CsvRow]:
    """A CSV file in UTF-8, with or without a byte-order mark."""
    return parse_csv(Path(path).read_text(encoding="utf-8-sig"))


def _department_code(value: str) -> str:
    value = value.strip().upper()
    return value.zfill(2) if value.isdigit() and len(value) == 1 else value


# --- territory ---------------------------------------------------------------------------------------------


def load_region(code: str) -> Region:
    try:
        name = REGION_NAMES[code]
    except KeyError as exc:
        raise ReferenceDataError([f"Région inconnue : {code}."]) from exc
    region, _ = Region.objects.update_or_create(code=code, defaults={"name": name})
    return region


def load_departments(rows: Iterable[CsvRow], cdom_rows: Iterable[CsvRow] = ()) -> int:
    """Departments of known regions, with their CDOM contact (organismes.csv rows of type CDOM)."""
    rows = list(rows)
    regions = {code: load_region(code) for code in sorted({row["region"] for row in rows})}
    by_code = {row["code"]: row for row in rows}
    before = dict(Department.objects.filter(code__in=by_code).values_list("code", "region_id"))
    Department.objects.bulk_create(
        [Department(code=row["code"], name=row["nom"], region=regions[row["region"]]) for row in rows],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "region"],
    )
    moved = [code for code, region_id in before.items() if regions[by_code[code]["region"]].pk != region_id]
    if moved:
        territory_moved.send(
            sender=Department,
            department_ids=list(Department.objects.filter(code__in=moved).values_list("pk", flat=True)),
        )
    cdoms = {_department_code(row["departement"]): row for row in cdom_rows}
    changed = []
    for department in Department.objects.filter(code__in=cdoms):
        row = cdoms[department.code]
        values = {
            "cdom_name": row["nom"],
            "cdom_address": row["adresse"],
            "cdom_email": row["email"],
            "cdom_phone": row["telephone"],
        }
        # A blank in the file never erases what ARS staff typed in the admin.
        updates = {field: value for field, value in values.items() if value and getattr(department, field) != value}
        if updates:
            for field, value in updates.items():
                setattr(department, field, value)
            changed.append(department)
    if changed:
        Department.objects.bulk_update(changed, ["cdom_name", "cdom_address", "cdom_email", "cdom_phone"])
    return len(rows)


def load_epcis(rows: Iterable[CsvRow]) -> int:
    objects = []
    errors = []
    for row in rows:
        try:
            validate_siren(row["siren"])
        except ValidationError as exc:
            errors.append(f"EPCI, ligne {row.line} : SIREN « {row['siren']} » : {exc.messages[0]}")
            continue
        population = row["population"]
        objects.append(
            Epci(
                siren=row["siren"],
                name=row["nom"],
                kind=row["type"],
                population=int(population) if population.isdigit() else None,
            )
        )
    if errors:
        raise ReferenceDataError(errors)
    Epci.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["siren"],
        update_fields=["name", "kind", "population"],
        batch_size=BATCH_SIZE,
    )
    return len(objects)


def load_communes(rows: Iterable[CsvRow]) -> int:
    departments = dict(Department.objects.values_list("code", "pk"))
    epcis = dict(Epci.objects.values_list("siren", "pk"))
    objects = []
    errors = []
    for row in rows:
        code = row["code_insee"]
        try:
            validate_insee_code(code)
        except ValidationError as exc:
            errors.append(f"Communes, ligne {row.line} : « {code} » : {exc.messages[0]}")
            continue
        department_id = departments.get(_department_code(row["departement"]))
        if department_id is None:
            errors.append(f"Communes, ligne {row.line} : département inconnu « {row['departement']} ».")
            continue
        if row["epci_siren"] and row["epci_siren"] not in epcis:
            errors.append(f"Communes, ligne {row.line} : EPCI inconnu « {row['epci_siren']} ».")
            continue
        population = row["population"]
        objects.append(
            Commune(
                insee_code=code,
                name=row["nom"],
                department_id=department_id,
                epci_id=epcis.get(row["epci_siren"]),
                population=int(population) if population.isdigit() else None,
                postcodes=row["codes_postaux"],
            )
        )
    if errors:
        raise ReferenceDataError(errors)
    Commune.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["insee_code"],
        update_fields=["name", "department", "epci", "population", "postcodes"],
        batch_size=BATCH_SIZE,
    )
    return len(objects)


# --- zones and host sites ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneRow:
    line: int
    siren: str
    name: str
    department_code: str
    site_name: str = ""
    site_commune_code: str = ""
    site_kind: str = ""


def check_zone_rows(rows: Iterable[CsvRow], region: Region) -> list[ZoneRow]:
    """Validate zone rows against the region's territory; every refusal names its line and SIREN.

    Accepted columns: `siren` (or `epci_siren`), `nom`, `departement`; optionally `lieu_accueil`,
    `commune_lieu_insee`, `type_lieu` (the host site of the zone).
    """
    rows = list(rows)
    if not rows:
        return []
    columns = set(rows[0].values)
    siren_column = "siren" if "siren" in columns else "epci_siren"
    missing = [c for c in (siren_column, "nom", "departement") if c not in columns]
    if missing:
        raise ReferenceDataError(
            [f"Colonnes attendues : siren ; nom ; departement (manquantes : {', '.join(missing)})."]
        )
    departments = {d.code: d for d in Department.objects.filter(region=region)}
    # The EPCI of the region, and the departments each one has communes in.
    epci_departments: dict[str, set[str]] = {}
    for siren, department_code in (
        Commune.objects.filter(department__region=region, epci__isnull=False)
        .values_list("epci__siren", "department__code")
        .distinct()
    ):
        epci_departments.setdefault(siren, set()).add(department_code)
    communes = {
        code: epci
        for code, epci in Commune.objects.filter(department__region=region).values_list("insee_code", "epci__siren")
    }
    epci_names = dict(Epci.objects.filter(siren__in=epci_departments).values_list("siren", "name"))

    errors: list[str] = []
    seen: dict[str, int] = {}
    checked: list[ZoneRow] = []
    for row in rows:
        siren = row[siren_column].replace(" ", "")
        where = f"Ligne {row.line} (SIREN {siren or '« vide »'})"
        try:
            validate_siren(siren)
        except ValidationError as exc:
            errors.append(f"{where} : {exc.messages[0]}")
            continue
        if siren not in epci_departments:
            errors.append(f"{where} : ce SIREN n'est pas celui d'un EPCI de la région {region.name}.")
            continue
        if siren in seen:
            errors.append(f"{where} : ce SIREN figure déjà ligne {seen[siren]}.")
            continue
        seen[siren] = row.line
        department_code = _department_code(row["departement"])
        if department_code not in departments:
            errors.append(
                f"{where} : le département « {row['departement']} » n'est pas un département "
                f"de la région {region.name}."
            )
            continue
        if department_code not in epci_departments[siren]:
            errors.append(f"{where} : cet EPCI n'a aucune commune dans le département {department_code}.")
            continue
        site_name, site_commune = row["lieu_accueil"], row["commune_lieu_insee"]
        if site_name:
            if site_commune not in communes:
                errors.append(
                    f"{where} : la commune du lieu d'accueil « {site_commune or 'vide'} » "
                    f"n'est pas une commune de la région {region.name}."
                )
                continue
            if communes[site_commune] != siren:
                errors.append(f"{where} : la commune du lieu d'accueil « {site_commune} » n'appartient pas à cet EPCI.")
                continue
        checked.append(
            ZoneRow(
                line=row.line,
                siren=siren,
                name=row["nom"] or epci_names[siren],
                department_code=department_code,
                site_name=site_name,
                site_commune_code=site_commune if site_name else "",
                site_kind=row["type_lieu"],
            )
        )
    if errors:
        raise ReferenceDataError(errors)
    return checked


def load_zones(rows: Iterable[CsvRow], region: Region) -> tuple[int, int]:
    """Create or update zones (by SIREN) and create their host sites (by name and commune).

    Names and departments follow the file; a zone's target and active flag, and every detail of an existing
    host site, are left as ARS staff set them. Returns (zones in the file, host sites created).
    """
    checked = check_zone_rows(rows, region)
    if not checked:
        return 0, 0
    departments = {d.code: d.pk for d in Department.objects.filter(region=region)}
    before = dict(Zone.objects.filter(siren__in=[z.siren for z in checked]).values_list("siren", "department_id"))
    Zone.objects.bulk_create(
        [Zone(siren=z.siren, name=z.name, department_id=departments[z.department_code]) for z in checked],
        update_conflicts=True,
        unique_fields=["siren"],
        update_fields=["name", "department"],
    )
    zones = dict(Zone.objects.filter(siren__in=[z.siren for z in checked]).values_list("siren", "pk"))
    moved = [zones[z.siren] for z in checked if z.siren in before and before[z.siren] != departments[z.department_code]]
    if moved:
        territory_moved.send(sender=Zone, zone_ids=moved)
    with_site = [z for z in checked if z.site_name]
    communes = dict(
        Commune.objects.filter(insee_code__in=[z.site_commune_code for z in with_site]).values_list("insee_code", "pk")
    )
    existing = set(
        HostSite.objects.filter(commune_id__in=communes.values()).values_list("name", "commune_id").distinct()
    )
    kinds = set(HostSite.Kind.values)
    fresh = [
        HostSite(
            name=z.site_name,
            kind=z.site_kind if z.site_kind in kinds else HostSite.Kind.OTHER,
            commune_id=communes[z.site_commune_code],
            zone_id=zones[z.siren],
        )
        for z in with_site
        if (z.site_name, communes[z.site_commune_code]) not in existing
    ]
    HostSite.objects.bulk_create(fresh)
    return len(checked), len(fresh)


def load_zone_file(path: Path, region: Region) -> tuple[int, int]:
    """The ARS's list of zones: `siren;nom;departement` (or comma-separated), UTF-8 with or without BOM."""
    try:
        rows = read_csv(path)
    except UnicodeDecodeError as exc:
        raise ReferenceDataError([f"Le fichier {Path(path).name} n'est pas encodé en UTF-8."]) from exc
    return load_zones(rows, region)


@dataclass
class TerritoryReport:
    departments: int
    epcis: int
    communes: int
    zones: int
    host_sites_created: int


def load_territory(data_dir: Path = DATA_DIR, region_code: str = "84") -> TerritoryReport:
    """Everything of the territory the reference files hold, for one region. Call inside a transaction."""
    data_dir = Path(data_dir)
    region = load_region(region_code)
    organismes = read_csv(data_dir / "organismes.csv")
    departments = load_departments(
        [row for row in read_csv(data_dir / "departements.csv") if row["region"] == region_code],
        [row for row in organismes if row["type"] == "CDOM"],
    )
    epcis = load_epcis(read_csv(data_dir / "epci.csv"))
    communes = load_communes(read_csv(data_dir / "communes.csv"))
    zones, sites = load_zones(read_csv(data_dir / "zones_solidarite.csv"), region)
    return TerritoryReport(departments, epcis, communes, zones, sites)
