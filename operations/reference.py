"""The one entry point that loads the whole reference data set: the territory (sites.reference), then who pays
and how much (billing.reference), then the ARS's zone file if given. All or nothing."""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from billing.reference import load_cpams, load_flat_rates
from installation.services import load_catalogue
from sites.models import Region
from sites.reference import DATA_DIR, load_territory, load_zone_file, read_csv


@dataclass
class ReferenceReport:
    departments: int
    epcis: int
    communes: int
    zones: int
    host_sites_created: int
    cpams: int
    flat_rates: int
    aids: int = 0
    zones_from_file: int = 0
    host_sites_from_file: int = 0


def load_reference_data(
    data_dir: Path = DATA_DIR, *, region_code: str = "84", zones_file: Path | None = None
) -> ReferenceReport:
    """Load (or reload) every reference table, then the ARS's zone file if given. All or nothing."""
    data_dir = Path(data_dir)
    with transaction.atomic():
        territory = load_territory(data_dir, region_code)
        cpams = load_cpams(row for row in read_csv(data_dir / "organismes.csv") if row["type"] == "CPAM")
        flat_rates = load_flat_rates()
        report = ReferenceReport(
            departments=territory.departments,
            epcis=territory.epcis,
            communes=territory.communes,
            zones=territory.zones,
            host_sites_created=territory.host_sites_created,
            cpams=cpams,
            flat_rates=flat_rates,
            aids=sum(load_catalogue()),
        )
        if zones_file is not None:
            region = Region.objects.get(code=region_code)
            report.zones_from_file, report.host_sites_from_file = load_zone_file(zones_file, region)
    return report
