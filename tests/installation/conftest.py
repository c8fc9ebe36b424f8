import pytest

from tests import factories as f


@pytest.fixture
def territory(zone):
    """The zone's EPCI with two communes (Saint-Amont, Val-Bas) and a commune of the same department outside it."""
    epci = f.EpciFactory(siren=zone.siren)
    department = zone.department
    upper = f.CommuneFactory(department=department, epci=epci, name="Saint-Amont")
    lower = f.CommuneFactory(department=department, epci=epci, name="Val-Bas")
    outside = f.CommuneFactory(department=department, name="Hors-la-Zone")
    return {"region": department.region, "upper": upper, "lower": lower, "outside": outside}
