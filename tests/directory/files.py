"""Small extraction files in the real format of the ANS « PS_LibreAcces_Personne_activite » file.

The header below is the published header row, written out here on its own (not taken from directory.extraction),
so that a wrong column name in the code makes the tests fail. Lines end with `|`, as the published ones do."""

from pathlib import Path

HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|"
    "Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code rôle|"
    "Libellé rôle|Code genre activité|Libellé genre activité|"
)
COLUMNS = HEADER.rstrip("|").split("|")
assert len(COLUMNS) == 56


def line(
    rpps: str,
    last: str,
    first: str,
    profession=("10", "Médecin"),
    specialty=("SM53", "Spécialiste en Médecine Générale"),
    *,
    adeli: bool = False,
    **others: str,
) -> str:
    values = {
        "Type d'identifiant PP": "0" if adeli else "8",
        "Identifiant PP": rpps,
        "Identification nationale PP": ("0" if adeli else "8") + rpps,
        "Code civilité d'exercice": "DR" if profession[0] == "10" else "",
        "Libellé civilité d'exercice": "Docteur" if profession[0] == "10" else "",
        "Nom d'exercice": last,
        "Prénom d'exercice": first,
        "Code profession": profession[0],
        "Libellé profession": profession[1],
        "Code catégorie professionnelle": "C",
        "Libellé catégorie professionnelle": "Civil",
        "Code type savoir-faire": "S" if specialty[0] else "",
        "Libellé type savoir-faire": "Spécialité ordinale" if specialty[0] else "",
        "Code savoir-faire": specialty[0],
        "Libellé savoir-faire": specialty[1],
        "Code mode exercice": "L",
        "Libellé mode exercice": "Libéral",
        "Code postal (coord. structure)": "63600",
        "Libellé commune (coord. structure)": "Ambert",
        **others,
    }
    unknown = set(values) - set(COLUMNS)
    assert not unknown, unknown
    return "|".join(values.get(name, "") for name in COLUMNS) + "|\n"


def write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "".join(lines), encoding="utf-8")
    return path
