"""`manage.py load_rpps_directory FILE`: the ANS extraction streamed into the directory, replacing it as a whole.

The same tests run on SQLite (batched inserts) and, with DATABASE_URL, on PostgreSQL (COPY into a staging table,
then a swap by renaming)."""

import io

import pytest
from django.core.management import CommandError, call_command

from directory.extraction import ExtractionError
from directory.loading import load_directory
from directory.models import DirectoryEntry, DirectoryLoad
from sites.identifiers import with_luhn_key
from tests.directory.files import HEADER, line, write

GP = with_luhn_key("1000001000")
NURSE = with_luhn_key("1000002000")
ODD = with_luhn_key("1000003000")
OTHER = with_luhn_key("1000004000")

pytestmark = pytest.mark.django_db


def entries() -> set[tuple]:
    return set(
        DirectoryEntry.objects.values_list(
            "rpps", "last_name", "first_name", "profession_code", "specialty_code", "specialty_label"
        )
    )


@pytest.fixture
def extraction(tmp_path):
    lines = [
        # one general practitioner, three activity lines (two sites, one of them in a second savoir-faire)
        line(GP, "LAROCHE", "Yves", **{"Raison sociale site": "CABINET DU DR LAROCHE"}),
        line(GP, "LAROCHE", "Yves", **{"Raison sociale site": "MAISON DE SANTE D'AMBERT"}),
        line(GP, "LAROCHE", "Yves", specialty=("CAPA13", "Médecine du sport")),
        # a nurse: in the directory, not a doctor (no savoir-faire)
        line(NURSE, "MARTIN", "Léa", profession=("60", "Infirmier"), specialty=("", "")),
        # an ADELI number: not an RPPS, skipped
        line("0123456789", "DURAND", "Paul", profession=("26", "Audioprothésiste"), specialty=("", ""), adeli=True),
        # no quoting in this format: quotes, backslashes, semicolons and tabs are characters like others
        line(ODD, 'D\'ARC "dit" LA\\PUCELLE; ÉTÉ', "Jeanne\tMarie", specialty=("SM40", "Pédiatrie")),
        # a line cut short (a field missing): counted and skipped
        "8|" + OTHER + "|8" + OTHER + "|DR|Docteur\n",
    ]
    path = write(tmp_path / "PS_LibreAcces_Personne_activite_202612010915.txt", lines)
    return path


def test_each_person_profession_and_savoir_faire_once_rpps_numbers_only(extraction):
    report = load_directory(extraction)

    assert entries() == {
        (GP, "LAROCHE", "Yves", "10", "SM53", "Spécialiste en Médecine Générale"),
        (GP, "LAROCHE", "Yves", "10", "CAPA13", "Médecine du sport"),
        (NURSE, "MARTIN", "Léa", "60", "", ""),
        (ODD, 'D\'ARC "dit" LA\\PUCELLE; ÉTÉ', "Jeanne\tMarie", "10", "SM40", "Pédiatrie"),
    }
    load = report.load
    assert load == DirectoryLoad.objects.get()
    assert (load.lines, load.rpps_lines, load.malformed_lines) == (7, 5, 1)
    assert (load.entries, load.persons) == (4, 3)
    assert load.file_name == "PS_LibreAcces_Personne_activite_202612010915.txt"
    assert load.file_bytes == extraction.stat().st_size
    assert report.tally.malformed_examples == [8]  # the header is line 1


def test_windows_line_ends_and_a_file_without_the_final_separator_read_the_same(tmp_path):
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes((HEADER + "\n" + line(GP, "LAROCHE", "Yves")).replace("\n", "\r\n").encode())
    bare = tmp_path / "bare.txt"
    bare.write_text(HEADER.rstrip("|") + "\n" + line(GP, "LAROCHE", "Yves").replace("|\n", "\n"), encoding="utf-8")

    for path in (crlf, bare):
        load_directory(path)
        assert entries() == {(GP, "LAROCHE", "Yves", "10", "SM53", "Spécialiste en Médecine Générale")}, path.name


def test_columns_are_found_by_name_whatever_their_order(tmp_path):
    """A file that moved its columns (or dropped the ones we do not read) loads the same."""
    names = ["Libellé savoir-faire", "Prénom d'exercice", "Code savoir-faire", "Nom d'exercice", "Code profession"]
    names += ["Identification nationale PP", "Libellé profession"]
    values = ["Pédiatrie", "Zoé", "SM40", "ÉLOI", "10", "8" + GP, "Médecin"]
    path = tmp_path / "reordered.txt"
    path.write_text("|".join(names) + "|\n" + "|".join(values) + "|\n", encoding="utf-8")

    load_directory(path)

    assert entries() == {(GP, "ÉLOI", "Zoé", "10", "SM40", "Pédiatrie")}


def test_a_new_load_replaces_the_whole_directory(extraction, tmp_path):
    load_directory(extraction)
    newer = write(tmp_path / "newer.txt", [line(OTHER, "NOUVEAU", "Médecin")])

    load_directory(newer)

    assert {row[0] for row in entries()} == {OTHER}
    assert DirectoryLoad.objects.latest().file_name == "newer.txt"
    assert DirectoryLoad.objects.count() == 2


def test_a_renamed_column_is_refused_by_name_and_the_directory_in_force_stays(extraction, tmp_path):
    call_command("load_rpps_directory", str(extraction), "--no-progress", stdout=io.StringIO())
    before = entries()
    wrong = write(
        tmp_path / "wrong.txt",
        [line(OTHER, "NOUVEAU", "Médecin")],
        header=HEADER.replace("Nom d'exercice|", "Nom|").replace("Libellé savoir-faire|", "Savoir-faire|"),
    )

    with pytest.raises(CommandError) as refused:
        call_command("load_rpps_directory", str(wrong), "--no-progress", stdout=io.StringIO())

    message = str(refused.value)
    assert message.startswith("Rien n'a été chargé.")
    assert "« Nom d'exercice »" in message and "« Libellé savoir-faire »" in message
    assert entries() == before
    assert DirectoryLoad.objects.count() == 1


def test_a_file_that_is_not_utf8_text_is_refused(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\xff\xfe\x00P\x00S")

    with pytest.raises(ExtractionError, match="UTF-8"):
        load_directory(path)
    assert not DirectoryLoad.objects.exists()


def test_a_file_without_any_rpps_line_is_refused(extraction, tmp_path):
    load_directory(extraction)
    only_adeli = write(tmp_path / "adeli.txt", [line("0123456789", "DURAND", "Paul", adeli=True)])

    with pytest.raises(ExtractionError, match="Aucune ligne d'un numéro RPPS"):
        load_directory(only_adeli)

    assert DirectoryLoad.objects.count() == 1
    assert {row[0] for row in entries()} == {GP, NURSE, ODD}


def test_the_command_shows_its_progress_on_stderr_and_sums_up(extraction):
    out, err = io.StringIO(), io.StringIO()

    call_command("load_rpps_directory", str(extraction), stdout=out, stderr=err)

    # stderr is not a terminal here: a line now and then, the last one at 100 %.
    assert err.getvalue().splitlines()[-1].startswith("Annuaire RPPS [##############################] 100 %")
    assert "Annuaire RPPS chargé depuis PS_LibreAcces_Personne_activite_202612010915.txt : 7 lignes" in out.getvalue()
    assert "3 personnes, 4 entrées distinctes" in out.getvalue()
    assert "1 ligne mal formée ignorée" in out.getvalue()
    assert "par exemple ligne 8." in out.getvalue()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("load_rpps_directory", str(tmp_path / "absent.txt"))
