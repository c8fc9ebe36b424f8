"""Reference data: loaded from data/aura/, idempotent, fast (bulk), and the ARS zone file is all-or-nothing."""

import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.models import Cpam, FlatRate
from operations.reference import load_reference_data
from sites.models import Commune, Department, Epci, HostSite, Region, Zone
from sites.reference import parse_csv

pytestmark = pytest.mark.django_db

MODELS = [Region, Department, Epci, Commune, Zone, HostSite, Cpam, FlatRate]
# A valid SIREN (Luhn) of an EPCI outside the region: Métropole du Grand Paris.
PARIS_SIREN = "200054781"


def snapshot() -> dict[str, list[int]]:
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in MODELS}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def loaded(db):
    load_reference_data()


def write(tmp_path, text: str, *, bom: bool = False, name: str = "zones.csv"):
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_the_command_loads_the_whole_region(capsys):
    call_command("load_reference_data")

    assert counts() == {
        "Region": 1,
        "Department": 12,
        "Epci": 172,
        "Commune": 4025,
        "Zone": 9,
        "HostSite": 8,
        "Cpam": 12,
        "FlatRate": 1,
    }
    assert Region.objects.get().name == "Auvergne-Rhône-Alpes"
    assert Region.objects.get().code == "84"
    assert "4025 communes" in capsys.readouterr().out


def test_loading_twice_leaves_the_same_rows(loaded):
    before = snapshot()
    call_command("load_reference_data")
    assert snapshot() == before
    assert Commune.objects.count() == 4025
    assert Department.objects.count() == 12


def test_the_load_is_a_bounded_number_of_queries_not_one_per_commune(db, django_assert_max_num_queries):
    with django_assert_max_num_queries(80):
        load_reference_data()
    assert Commune.objects.count() == 4025


def test_communes_keep_their_identifiers_as_strings_and_their_epci(loaded):
    commune = Commune.objects.select_related("department", "epci").get(insee_code="01001")
    assert commune.name == "L'Abergement-Clémenciat"
    assert commune.department.code == "01"
    assert commune.epci.siren == "200069193"
    assert commune.population == 860
    assert commune.postcodes == "01400"
    murat = Commune.objects.get(insee_code="15138")
    assert murat.epci.siren == "200066637"


def test_departments_carry_their_cdom_contact(loaded):
    cantal = Department.objects.get(code="15")
    assert cantal.name == "Cantal"
    assert cantal.cdom_name == "Conseil départemental de l'Ordre des médecins du Cantal"
    assert cantal.cdom_email == "cd.15@ordre.medecin.fr"
    assert cantal.cdom_phone == "04 71 64 23 00"
    assert "Aurillac" in cantal.cdom_address


def test_cpams_and_the_flat_rate(loaded):
    cpam = Cpam.objects.get(department__code="42")
    assert cpam.name == "CPAM de la Loire"
    assert "Saint-Étienne" in cpam.address
    rate = FlatRate.objects.get()
    assert rate.amount == Decimal("200.00")
    assert str(rate.valid_from) == "2025-09-01"


def test_known_zones_come_with_their_host_sites(loaded):
    murat = HostSite.objects.select_related("zone", "commune").get(name="Centre hospitalier de Murat")
    assert murat.kind == HostSite.Kind.HOSPITAL
    assert murat.commune.insee_code == "15138"
    assert murat.zone.siren == "200066637"
    assert murat.zone.target_days_per_month == 8
    # No published type: « autre ».
    thiers = HostSite.objects.get(commune__insee_code="63430")
    assert thiers.kind == HostSite.Kind.OTHER
    # A zone whose host site is not published has none.
    assert not HostSite.objects.filter(zone__siren="241500255").exists()
    assert Zone.objects.get(siren="241500255").department.code == "15"


def test_a_reload_keeps_what_ars_staff_edited(loaded):
    Zone.objects.filter(siren="200066637").update(target_days_per_month=12, active=False)
    Cpam.objects.filter(department__code="03").update(email="solidarite.cpam03@assurance-maladie.fr")
    Department.objects.filter(code="74").update(cdom_phone="04 50 00 00 00")
    HostSite.objects.filter(name="Centre hospitalier de Murat").update(contact_email="accueil@ch-murat.fr")

    load_reference_data()

    zone = Zone.objects.get(siren="200066637")
    assert (zone.target_days_per_month, zone.active) == (12, False)
    assert Cpam.objects.get(department__code="03").email == "solidarite.cpam03@assurance-maladie.fr"
    assert Department.objects.get(code="74").cdom_phone == "04 50 00 00 00"  # blank in the file
    assert HostSite.objects.get(name="Centre hospitalier de Murat").contact_email == "accueil@ch-murat.fr"


def test_a_reload_restores_what_the_file_says_about_names(loaded):
    Commune.objects.filter(insee_code="01001").update(name="Faute de frappe")
    load_reference_data()
    assert Commune.objects.get(insee_code="01001").name == "L'Abergement-Clémenciat"


# --- the ARS zone file --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bom"),
    [
        ("siren;nom;departement\n200000172;CC Faucigny - Glières;74\n", True),
        ("siren,nom,departement\r\n200000172,CC Faucigny - Glières,74\r\n", False),
        ("SIREN ; Nom ; Département\n200000172 ; CC Faucigny - Glières ; 74\n\n", False),
    ],
    ids=["semicolons-with-bom", "commas-crlf", "spaced-accented-header"],
)
def test_the_ars_file_completes_the_zone_list(loaded, tmp_path, text, bom):
    call_command("load_reference_data", zones=write(tmp_path, text, bom=bom))

    zone = Zone.objects.get(siren="200000172")
    assert zone.name == "CC Faucigny - Glières"
    assert zone.department.code == "74"
    assert zone.target_days_per_month == 8
    assert Zone.objects.count() == 10


def test_the_ars_file_updates_known_zones_and_is_idempotent(loaded, tmp_path):
    path = write(
        tmp_path,
        "siren;nom;departement\n200066637;Communauté de communes Hautes Terres;15\n200000172;CC Faucigny;74\n",
    )
    call_command("load_reference_data", zones=path)
    before = snapshot()
    call_command("load_reference_data", zones=path)

    assert snapshot() == before
    assert Zone.objects.get(siren="200066637").name == "Communauté de communes Hautes Terres"
    assert Zone.objects.count() == 10


def test_a_siren_outside_the_region_is_refused_with_its_line_and_nothing_is_written(loaded, tmp_path):
    before = counts()
    path = write(
        tmp_path,
        f"siren;nom;departement\n200000172;CC Faucigny - Glières;74\n{PARIS_SIREN};Métropole du Grand Paris;74\n",
    )

    with pytest.raises(CommandError) as caught:
        call_command("load_reference_data", zones=path)

    message = str(caught.value)
    assert f"Ligne 3 (SIREN {PARIS_SIREN})" in message
    assert "n'est pas celui d'un EPCI de la région Auvergne-Rhône-Alpes" in message
    assert "Rien n'a été enregistré" in message
    assert counts() == before
    assert not Zone.objects.filter(siren="200000172").exists()  # the valid line 2 was not written either


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200000173;Clé fausse;74", "Ligne 2 (SIREN 200000173) : Le numéro SIREN est invalide"),
        ("20000017;Trop court;74", "Ligne 2 (SIREN 20000017) : Le numéro SIREN doit comporter exactement 9 chiffres"),
        ("200000172;Hors région;75", "le département « 75 » n'est pas un département de la région"),
        ("200000172;Mauvais département;01", "cet EPCI n'a aucune commune dans le département 01"),
    ],
)
def test_each_bad_line_is_refused_in_french(loaded, tmp_path, line, expected):
    with pytest.raises(CommandError, match=re.escape(expected)):
        call_command("load_reference_data", zones=write(tmp_path, f"siren;nom;departement\n{line}\n"))
    assert Zone.objects.count() == 9


def test_a_siren_listed_twice_is_refused(loaded, tmp_path):
    path = write(tmp_path, "siren;nom;departement\n200000172;A;74\n200000172;B;74\n")
    with pytest.raises(CommandError, match=r"Ligne 3 \(SIREN 200000172\) : ce SIREN figure déjà ligne 2"):
        call_command("load_reference_data", zones=path)


def test_a_host_site_outside_the_region_is_refused(loaded, tmp_path):
    path = write(
        tmp_path,
        "siren;nom;departement;lieu_accueil;commune_lieu_insee;type_lieu\n"
        "200000172;CC Faucigny - Glières;74;Maison de santé de Paris;75056;maison_de_sante\n",
    )
    with pytest.raises(CommandError, match="« 75056 » n'est pas une commune de la région"):
        call_command("load_reference_data", zones=path)
    assert not HostSite.objects.filter(name="Maison de santé de Paris").exists()


def test_the_ars_file_may_bring_host_sites(loaded, tmp_path):
    commune = Commune.objects.filter(epci__siren="200000172").order_by("insee_code").first()
    path = write(
        tmp_path,
        "siren;nom;departement;lieu_accueil;commune_lieu_insee;type_lieu\n"
        f"200000172;CC Faucigny - Glières;74;Maison de santé des Glières;{commune.insee_code};maison_de_sante\n",
    )
    call_command("load_reference_data", zones=path)
    call_command("load_reference_data", zones=path)

    site = HostSite.objects.get(name="Maison de santé des Glières")
    assert site.kind == HostSite.Kind.HEALTH_HOUSE
    assert site.zone.siren == "200000172"
    assert HostSite.objects.count() == 9


def test_missing_columns_are_named(loaded, tmp_path):
    with pytest.raises(CommandError, match="manquantes : departement"):
        call_command("load_reference_data", zones=write(tmp_path, "siren;nom\n200000172;A\n"))


def test_a_file_that_is_not_utf8_is_refused(loaded, tmp_path):
    path = tmp_path / "zones.csv"
    path.write_bytes("siren;nom;departement\n200000172;CC Faucigny - Glières;74\n".encode("latin-1"))
    with pytest.raises(CommandError, match="n'est pas encodé en UTF-8"):
        call_command("load_reference_data", zones=path)


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("load_reference_data", zones=tmp_path / "absent.csv")


def test_parse_csv_reports_spreadsheet_line_numbers():
    rows = parse_csv("\ufeffsiren;nom\n\n111;A\n222;B\n")
    assert [(row.line, row["siren"]) for row in rows] == [(3, "111"), (4, "222")]
