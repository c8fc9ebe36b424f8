"""The field map (data/demarches/field_map.toml) and its converters, one champ at a time."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from demarches.fieldmap import FieldMap, convert
from tests.demarches import ds_server as ds

pytestmark = pytest.mark.django_db


def one(rule: dict, champ: dict):
    fmap = FieldMap.parse(
        {
            "fields": {
                "rpps": {"label": "RPPS", "convert": "rpps", "required": False},
                "sector": {"label": "Secteur", "convert": "list", "required": False},
                "practice_commune": {"label": "Commune", "convert": "commune", "required": False},
                **rule,
            }
        }
    )
    node = {"champs": [champ], "demandeur": {"nom": "Martin", "prenom": "Anne"}, "usager": {"email": "a@exemple.fr"}}
    return convert(node, fmap)


def test_the_versioned_map_loads():
    fmap = FieldMap.load(settings.DS_FIELD_MAP)
    assert {"rpps", "sector", "practice_commune", "zones"} <= {rule.name for rule in fmap.rules}


def test_a_map_without_a_required_field_or_with_an_unknown_one_is_refused():
    with pytest.raises(ImproperlyConfigured, match="required"):
        FieldMap.parse({"fields": {"rpps": {"label": "RPPS", "convert": "rpps"}}})
    with pytest.raises(ImproperlyConfigured, match="unknown field"):
        FieldMap.parse({"fields": {"shoe_size": {"label": "Pointure"}}})


@pytest.mark.parametrize(
    ("champ", "expected"),
    [
        (ds.date_champ("Carte", "2026-02-28"), datetime.date(2026, 2, 28)),
        (ds.text("Carte", "28/02/2026"), datetime.date(2026, 2, 28)),
    ],
)
def test_dates(champ, expected):
    out = one({"cps_card_requested_on": {"label": "Carte", "convert": "date"}}, champ)
    assert (out.values["cps_card_requested_on"], out.problems) == (expected, [])


def test_an_impossible_date_is_a_problem():
    out = one({"cps_card_requested_on": {"label": "Carte", "convert": "date"}}, ds.text("Carte", "30/02/2026"))
    assert "date illisible" in out.problems[0]["reason"]


@pytest.mark.parametrize(
    ("champ", "expected"),
    [
        (ds.yes_no("Remplaçant", True), True),
        ({**ds.text("Remplaçant", "Oui", "CheckboxChamp"), "checked": False}, False),
        (ds.text("Remplaçant", "Non"), False),
    ],
)
def test_yes_no(champ, expected):
    out = one({"replacement_declared": {"label": "Remplaçant", "convert": "yes_no"}}, champ)
    assert out.values["replacement_declared"] is expected


def test_a_champ_found_by_its_id_whatever_its_label():
    champ = {**ds.text("Numéro RPPS (nouveau libellé)", "10000000017"), "id": "Q2hhbXAtNDI="}
    out = one({"rpps": {"id": "Q2hhbXAtNDI=", "convert": "rpps"}}, champ)
    assert out.values["rpps"] == "10000000017"


def test_a_department(zone):
    champ = {**ds.text("CDOM", zone.department.name, "DepartementChamp"), "departement": {"code": zone.department.code}}
    out = one({"cdom_department": {"label": "CDOM", "convert": "department"}}, champ)
    assert out.values["cdom_department"] == zone.department
