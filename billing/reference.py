"""Reference data of who pays and how much: the CPAM of each department and the flat rate. The whole reference data
set (territory, then these) is loaded by operations.reference.load_reference_data."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from billing.models import Cpam, FlatRate
from sites.models import Department
from sites.reference import CsvRow, ReferenceDataError

# The flat rate of the mission: 200 € for a full day worked (100 € a half-day), from 1 September 2025.
FLAT_RATES = [(datetime.date(2025, 9, 1), Decimal("200.00"))]


def load_cpams(rows: Iterable[CsvRow]) -> int:
    """One CPAM per department (organismes.csv rows of type CPAM). A blank in the file never erases what
    ARS staff typed (the CPAM e-mail addresses dedicated to the mission are not published yet)."""
    departments = {d.code: d for d in Department.objects.all()}
    existing = {c.department.code: c for c in Cpam.objects.select_related("department")}
    fresh, changed, errors = [], [], []
    for row in rows:
        code = row["departement"].zfill(2) if row["departement"].isdigit() else row["departement"]
        if code not in departments:
            errors.append(f"Organismes, ligne {row.line} : département inconnu « {row['departement']} ».")
            continue
        values = {"name": row["nom"], "address": row["adresse"], "email": row["email"], "phone": row["telephone"]}
        cpam = existing.get(code)
        if cpam is None:
            fresh.append(Cpam(department=departments[code], **values))
            continue
        updates = {field: value for field, value in values.items() if value and getattr(cpam, field) != value}
        if updates:
            for field, value in updates.items():
                setattr(cpam, field, value)
            changed.append(cpam)
    if errors:
        raise ReferenceDataError(errors)
    Cpam.objects.bulk_create(fresh)
    if changed:
        Cpam.objects.bulk_update(changed, ["name", "address", "email", "phone"])
    return len(fresh) + len(existing)


def load_flat_rates() -> int:
    """The flat rates in force; an existing rate (keyed by its start date) is left as it is."""
    for valid_from, amount in FLAT_RATES:
        FlatRate.objects.get_or_create(valid_from=valid_from, defaults={"amount": amount})
    return len(FLAT_RATES)
