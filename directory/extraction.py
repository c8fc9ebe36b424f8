"""The format of the ANS « Annuaire Santé » public extraction of health professionals' activities.

File: `PS_LibreAcces_Personne_activite_<AAAAMMJJhhmm>.txt`, published by the Agence du numérique en santé (ANS)
in the « Extractions en libre accès » of annuaire.sante.fr (also on data.gouv.fr, dataset « Annuaire santé :
extractions des données en libre accès des professionnels intervenant dans le système de santé (RPPS) »), updated
daily (esante.gouv.fr, FAQ « Annuaire santé », consulted 2026-12-03). UTF-8, one header row, fields separated by
`|` with no quoting at all (a `"` is a character like another), each line ending with a `|` (so one empty field
after the last named column), one line per activity: a person with several activities (sites, roles,
savoir-faire) appears on several lines.

The column names below are the header row of the file as published (56 columns since 2024, from « Type
d'identifiant PP » to « Libellé genre activité »; older files stop after « Libellé section tableau pharmaciens »).
They were checked against several independent public copies of that header row (October 2026 and earlier), which
agree; the PDF « dictionnaire des données » of the ANS was not reachable from here. Columns are found by NAME, so
a reordering or a new column changes nothing here; a renamed or missing one stops the load with its name.

« Identification nationale PP » is the national identifier: the type of identifier followed by the identifier
(« 8 » + the 11-digit RPPS number, « 0 » + an ADELI number); only RPPS identifiers are kept. « Code profession »
10 is « Médecin » (nomenclature TRE_G15-ProfessionSante of the ANS).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from core.words import counted

SEPARATOR = "|"
RPPS_PREFIX = "8"  # « Identification nationale PP » of an RPPS number: 8 followed by the 11 digits
DOCTOR_PROFESSION_CODE = "10"  # « Médecin »

# Our field → the column of the extraction, in the order rows are yielded.
COLUMNS: dict[str, str] = {
    "national_id": "Identification nationale PP",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession_code": "Code profession",
    "profession_label": "Libellé profession",
    "specialty_code": "Code savoir-faire",
    "specialty_label": "Libellé savoir-faire",
}
FIELDS = tuple(COLUMNS)

# The full header of the file as published (for the tests and the benchmark's generated files, which must look
# like the real one).
PUBLISHED_HEADER: tuple[str, ...] = (
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
    "Code rôle",
    "Libellé rôle",
    "Code genre activité",
    "Libellé genre activité",
)


class ExtractionError(Exception):
    """The file is not the extraction we know: nothing is loaded. The message is French, for the person loading."""


@dataclass
class Tally:
    """What reading the file met, line by line."""

    lines: int = 0  # activity lines (the header excluded)
    rpps_lines: int = 0
    malformed: int = 0
    malformed_examples: list[int] = field(default_factory=list)  # line numbers of the first few
    bytes_read: int = 0


def header_positions(header_line: str) -> tuple[int, list[int]]:
    """The number of fields of a line, and the position of each of our columns, from the header row."""
    names = header_line.rstrip("\r\n").lstrip("\ufeff").split(SEPARATOR)
    if names and not names[-1].strip():
        names.pop()  # the published lines end with a `|`: no column after it
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(name.strip(), index)
    missing = [name for name in COLUMNS.values() if name not in positions]
    if missing:
        raise ExtractionError(
            "Ce fichier n'est pas l'extraction « PS_LibreAcces_Personne_activite » de l'Annuaire santé attendue : "
            + counted("colonne(s) absente(s) de la ligne d'en-tête : ", len(missing))
            + f"{', '.join(f'« {m} »' for m in missing)}."
        )
    return len(names), [positions[name] for name in COLUMNS.values()]


def read_rows(stream: BinaryIO, tally: Tally, *, max_examples: int = 5) -> Iterator[tuple[str, ...]]:
    """Check the header row now (ExtractionError before anything is written), then return the rows: for each
    activity line of an RPPS holder, (rpps, last_name, first_name, profession_code, profession_label,
    specialty_code, specialty_label), streaming — one line in memory at a time. A line whose number of fields
    differs from the header's is counted as malformed and skipped; other identifiers (ADELI) are skipped."""
    first = stream.readline()
    tally.bytes_read += len(first)
    try:
        header = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractionError("La ligne d'en-tête n'est pas en UTF-8 : ce n'est pas l'extraction attendue.") from exc
    width, positions = header_positions(header)
    return _rows(stream, tally, width, positions, max_examples)


def _rows(
    stream: BinaryIO, tally: Tally, width: int, positions: list[int], max_examples: int
) -> Iterator[tuple[str, ...]]:
    p_id, p_last, p_first, p_prof, p_prof_label, p_spec, p_spec_label = positions
    number = 1
    for raw in stream:
        number += 1
        tally.bytes_read += len(raw)
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            continue
        tally.lines += 1
        cells = line.split(SEPARATOR)
        # Each of the `width` columns, then the final `|` of the published lines (or not: read the same).
        if len(cells) != width and not (len(cells) == width + 1 and not cells[-1]):
            tally.malformed += 1
            if len(tally.malformed_examples) < max_examples:
                tally.malformed_examples.append(number)
            continue
        national_id = cells[p_id].strip()
        if len(national_id) != 12 or not national_id.startswith(RPPS_PREFIX) or not national_id.isdigit():
            continue
        tally.rpps_lines += 1
        yield (
            national_id[1:],
            cells[p_last].strip(),
            cells[p_first].strip(),
            cells[p_prof].strip(),
            cells[p_prof_label].strip(),
            cells[p_spec].strip(),
            cells[p_spec_label].strip(),
        )


def published_line(values: dict[str, str]) -> str:
    """One line in the published layout (every column, `|` after the last): for tests and the benchmark."""
    return SEPARATOR.join(values.get(name, "") for name in PUBLISHED_HEADER) + SEPARATOR + "\n"


def published_header() -> str:
    return SEPARATOR.join(PUBLISHED_HEADER) + SEPARATOR + "\n"
