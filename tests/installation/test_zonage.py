"""The zonage file of an ARS, in both formats, all or nothing with line numbers; arrêtés replacing each other at
their date without losing history; the command."""

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from installation.models import CommuneZonage, ZonageDecree
from installation.queries import decree_in_force, qpv_kinds_of, zonage_history, zonage_of
from installation.zonage import DecreeFacts, load_zonage
from sites.reference import ReferenceDataError

pytestmark = pytest.mark.django_db

JAN_2026 = datetime.date(2026, 1, 1)
FACTS = DecreeFacts(reference="2025-17-1113", valid_from=JAN_2026, title="Zonage médecins AuRA")


def national_csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "zonage_national.csv"
    path.write_text("\n".join(["Code;Libellé;Zonage_MG", *lines]) + "\n", encoding="utf-8-sig")
    return path


def aura_xlsx(tmp_path: Path, rows: list[tuple]) -> Path:
    """The ARS list's shape: title rows above the header, a communes sheet, then a « QPV » sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Communes"
    sheet.append(["Zonage médecine générale 2025 — arrêté n° 2025-17-1113"])
    sheet.append([])
    sheet.append(["Code commune", "Nom commune", "Département", "TVS", "Zonage MG 2025"])
    for row in rows:
        sheet.append(list(row))
    qpv = workbook.create_sheet("QPV")
    qpv.append(["Code QPV", "Nom du quartier", "Zonage"])
    qpv.append(["QN03001M", "Bien-Assis", "ZIP"])
    path = tmp_path / "Liste_communes_zonage_MG2025.xlsx"
    workbook.save(path)
    return path


def test_the_national_format_is_read_by_column_names(tmp_path, territory):
    upper, lower = territory["upper"], territory["lower"]
    path = national_csv(
        tmp_path,
        [
            f"{upper.insee_code};{upper.name};1_ZIP",
            f"{lower.insee_code};{lower.name};2_ZAC",
            f"{upper.insee_code};{upper.name} (QPV);3_QPV_ZIP",
        ],
    )
    decree = load_zonage(path, territory["region"], FACTS)
    assert decree.reference == "2025-17-1113" and decree.file_name == "zonage_national.csv"
    assert zonage_of(upper, JAN_2026).kind == "zip"
    assert zonage_of(lower, JAN_2026).kind == "zac"
    assert qpv_kinds_of(upper, JAN_2026) == {"zip"}


def test_bad_lines_of_the_national_format_are_all_named_and_nothing_is_written(tmp_path, territory):
    upper, lower = territory["upper"], territory["lower"]
    path = national_csv(
        tmp_path,
        [
            f"{upper.insee_code};{upper.name};1_ZIP",  # line 2: fine
            f"{lower.insee_code};{lower.name};7_ZZZ",  # line 3: unknown class
            "99999;Nulle-Part;2_ZAC",  # line 4: not a commune of the region
            f"{upper.insee_code};{upper.name};2_ZAC",  # line 5: twice
            "12;Trop-Court;1_ZIP",  # line 6: not an INSEE code
        ],
    )
    with pytest.raises(ReferenceDataError) as refused:
        load_zonage(path, territory["region"], FACTS)
    errors = refused.value.errors
    assert [e.split(" (")[0] for e in errors] == ["Ligne 3", "Ligne 4", "Ligne 5", "Ligne 6"]
    assert "zonage « 7_ZZZ » inconnu" in errors[0]
    assert "n'est pas celui d'une commune de la région" in errors[1]
    assert "figure déjà ligne 2" in errors[2]
    assert not ZonageDecree.objects.exists() and not CommuneZonage.objects.exists()


def test_the_aura_workbook_is_read_below_its_title_rows_and_skips_the_qpv_sheet(tmp_path, territory):
    upper, lower, outside = territory["upper"], territory["lower"], territory["outside"]
    path = aura_xlsx(
        tmp_path,
        [
            (upper.insee_code, upper.name, "03", "Montluçon", "ZIP"),
            (lower.insee_code, lower.name, "03", "Montluçon", "Zone d'action complémentaire"),
            (outside.insee_code, outside.name, "03", "Vichy", "HZ"),
        ],
    )
    load_zonage(path, territory["region"], FACTS)
    assert zonage_of(upper, JAN_2026).kind == "zip"
    assert zonage_of(upper, JAN_2026).territory == "Montluçon"
    assert zonage_of(lower, JAN_2026).kind == "zac"
    assert zonage_of(outside, JAN_2026).kind == "hz"
    assert CommuneZonage.objects.count() == 3  # the QPV sheet's quartier is not a commune line


def test_bad_lines_of_the_aura_workbook_carry_the_spreadsheet_line_number(tmp_path, territory):
    upper = territory["upper"]
    path = aura_xlsx(tmp_path, [(upper.insee_code, upper.name, "03", "X", "ZIP"), ("", "Sans-Code", "03", "X", "ZAC")])
    with pytest.raises(ReferenceDataError) as refused:
        load_zonage(path, territory["region"], FACTS)
    assert refused.value.errors[0].startswith("Ligne 5 (commune « vide »)")  # header on line 3, data from line 4
    assert not CommuneZonage.objects.exists()


def test_a_file_without_the_columns_is_refused(tmp_path, territory):
    path = tmp_path / "autre.csv"
    path.write_text("siren;nom\n200071082;CA Montluçon\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="Colonnes introuvables"):
        load_zonage(path, territory["region"], FACTS)


def test_a_new_arrete_replaces_the_old_one_at_its_date_and_the_old_one_stays(tmp_path, territory):
    upper = territory["upper"]
    old = DecreeFacts(reference="2022-14-0001", valid_from=datetime.date(2022, 3, 1))
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};2_ZAC"]), territory["region"], old)
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};1_ZIP"]), territory["region"], FACTS)

    assert zonage_of(upper, datetime.date(2025, 12, 31)).kind == "zac"
    assert zonage_of(upper, JAN_2026).kind == "zip"
    assert zonage_of(upper, datetime.date(2022, 2, 28)) is None  # before any arrêté: unknown
    assert decree_in_force(territory["region"], JAN_2026).reference == "2025-17-1113"
    assert [line.decree.reference for line in zonage_history(upper)] == ["2025-17-1113", "2022-14-0001"]


def test_reloading_an_arrete_replaces_its_lines(tmp_path, territory):
    upper, lower = territory["upper"], territory["lower"]
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};1_ZIP"]), territory["region"], FACTS)
    load_zonage(national_csv(tmp_path, [f"{lower.insee_code};{lower.name};2_ZAC"]), territory["region"], FACTS)
    assert ZonageDecree.objects.count() == 1
    assert list(CommuneZonage.objects.values_list("commune__name", "kind")) == [("Val-Bas", "zac")]


def test_an_arrete_that_ended_is_no_longer_in_force(tmp_path, territory):
    upper = territory["upper"]
    facts = DecreeFacts(reference="A", valid_from=JAN_2026, valid_until=datetime.date(2027, 12, 31))
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};1_ZIP"]), territory["region"], facts)
    assert zonage_of(upper, datetime.date(2027, 12, 31)).kind == "zip"
    assert zonage_of(upper, datetime.date(2028, 1, 1)) is None


def test_the_command_says_nothing_was_written_and_names_the_lines(tmp_path, territory):
    path = national_csv(tmp_path, ["99999;Nulle-Part;1_ZIP"])
    region = territory["region"].code
    with pytest.raises(CommandError) as refused:
        call_command("load_zonage", str(path), "--arrete", "X", "--debut", "2026-01-01", "--region", region)
    assert "Rien n'a été enregistré" in str(refused.value) and "Ligne 2" in str(refused.value)
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("load_zonage", str(path), "--arrete", "X", "--debut", "2026-02-30", "--region", region)


def test_the_command_loads_a_good_file(tmp_path, territory, capsys):
    upper = territory["upper"]
    path = national_csv(tmp_path, [f"{upper.insee_code};{upper.name};1_ZIP"])
    call_command(
        "load_zonage",
        str(path),
        "--arrete",
        "2025-17-1113",
        "--debut",
        "2026-01-01",
        "--region",
        territory["region"].code,
        "--source",
        "https://www.auvergne-rhone-alpes.ars.sante.fr/",
    )
    assert "1 ligne de zonage enregistrée" in capsys.readouterr().out
    assert ZonageDecree.objects.get().source_url == "https://www.auvergne-rhone-alpes.ars.sante.fr/"


def test_the_api_gives_the_class_in_force_on_the_date_asked(tmp_path, territory, doctor, django_assert_max_num_queries):
    from tests.api.conftest import client_for

    upper = territory["upper"]
    old = DecreeFacts(reference="2022-14-0001", valid_from=datetime.date(2022, 3, 1))
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};2_ZAC"]), territory["region"], old)
    load_zonage(national_csv(tmp_path, [f"{upper.insee_code};{upper.name};1_ZIP"]), territory["region"], FACTS)
    client = client_for(doctor.user)
    with django_assert_max_num_queries(12):
        before = client.get("/api/v1/zonage/", {"commune": upper.insee_code, "date": "2025-12-31"}).json()
    after = client.get("/api/v1/zonage/", {"commune": upper.insee_code, "date": "2026-01-01"}).json()
    assert [(r["kind"], r["decree"]) for r in before["results"]] == [("zac", "2022-14-0001")]
    assert [(r["kind"], r["decree"], r["valid_from"]) for r in after["results"]] == [
        ("zip", "2025-17-1113", "2026-01-01")
    ]
    refused = client.get("/api/v1/zonage/", {"date": "2026-02-30", "commune": "1"})
    assert refused.status_code == 400 and set(refused.json()) == {"date", "commune"}
