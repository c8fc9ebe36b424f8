"""A synthetic ANS « PS_LibreAcces_Personne_activite » extraction, in the real format, for `--only directory`.

Every one of the 56 published columns is filled the way the real file fills it (identifiers, names with accents
and apostrophes, professions, savoir-faire, structures and their addresses), a person has one to four activity
lines (the real file: about 2.2 million lines for 1.3 million people), ADELI holders (type 0) are mixed in,
and each line ends with `|`: about 330 bytes a line, as the real file. Deterministic (a fixed seed).
"""

from __future__ import annotations

import random
from pathlib import Path

from directory.extraction import PUBLISHED_HEADER, SEPARATOR
from sites.identifiers import with_luhn_key

LAST_NAMES = (
    (
        "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFÈBVRE LEROY ROUX DAVID "
        "BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MÜLLER LEFÈVRE FAURE ANDRÉ "
        "MERCIER BLANC GUÉRIN BOYER GARNIER CHEVALIER FRANÇOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLÉMENT MORIN "
        "NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOËL MEYER DUFOUR "
        "MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIÈRE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GÉRARD ROCHE RENARD "
        "SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE "
        "BOURGEOIS PIERRE BENOÎT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LÓPEZ JEAN DUPUY GUILLOT HUBERT "
        "BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET "
        "ADAM PARIS POIRIER MARTY AUBRY GUYOT CARRÉ CHARLES RENAULT CHARPENTIER MÉNARD MAILLARD BARON BERTIN BAILLY "
        "HERVÉ SCHNEIDER FERNANDEZ LE_GALL COLLET LÉGER BOUVIER JULIEN PRÉVOST MILLET PERROT DANIEL LE_ROUX COUSIN "
        "GERMAIN BRETON BESSON LANGLOIS RÉMY LE_GOFF PELLETIER LÉVÊQUE PERRIER LEBLANC BARRÉ LEBRUN MARCHAL WEBER "
        "MALLET HAMON BOULANGER JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET ÉTIENNE GRONDIN POULAIN TESSIER CHEVALLIER "
        "COLLIN CHAUVIN DA_SILVA BOUCHET GAY LEMAÎTRE BÉNARD MARÉCHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHÉLÉMY "
        "CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER LAPORTE D'ALMEIDA N'DIAYE O'NEILL"
    )
    .replace("_", " ")
    .split()
)
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Françoise",
    "Anne",
    "Christine",
    "Monique",
    "Jacques",
    "Alain",
    "Bernard",
    "Éric",
    "Frédéric",
    "Stéphane",
    "Laurent",
    "Christophe",
    "Olivier",
    "Nicolas",
    "Julien",
    "Sébastien",
    "Céline",
    "Julie",
    "Aurélie",
    "Émilie",
    "Camille",
    "Léa",
    "Chloé",
    "Manon",
    "Inès",
    "Zoé",
    "Hélène",
    "Agnès",
    "Gaëlle",
    "Noémie",
    "Loïc",
    "Jérôme",
    "Hervé",
    "Grégoire",
    "Benoît",
    "Jean-Pierre",
    "Jean-François",
    "Marie-Claire",
    "Anne-Sophie",
    "Pierre-Yves",
    "Jean-Loïc",
    "Rémi",
    "Cédric",
    "Maëlle",
    "Anaïs",
    "Clémence",
    "Valérie",
    "Véronique",
    "Thérèse",
    "Joël",
    "Noël",
    "Raphaël",
    "Gaël",
    "Mathéo",
    "Océane",
    "Héloïse",
]
# (code, label) of « Code profession », with how often the real file has it (and type 8 RPPS or 0 ADELI).
PROFESSIONS = (
    (("10", "Médecin"), 8, 34),
    (("21", "Pharmacien"), 8, 12),
    (("40", "Chirurgien-Dentiste"), 8, 6),
    (("50", "Sage-Femme"), 8, 4),
    (("60", "Infirmier"), 8, 24),
    (("70", "Masseur-Kinésithérapeute"), 8, 10),
    (("80", "Pédicure-Podologue"), 8, 2),
    (("91", "Orthophoniste"), 0, 3),
    (("28", "Opticien-Lunetier"), 0, 3),
    (("26", "Audioprothésiste"), 0, 2),
)
DOCTOR_SPECIALTIES = (
    ("SM53", "Spécialiste en Médecine Générale"),
    ("SM54", "Médecine Générale"),
    ("SM40", "Pédiatrie"),
    ("SM02", "Anesthésie-réanimation"),
    ("SM04", "Cardiologie et maladies vasculaires"),
    ("SM15", "Dermatologie et vénéréologie"),
    ("SM26", "Gynécologie-obstétrique"),
    ("SM38", "Ophtalmologie"),
    ("SM42", "Psychiatrie"),
    ("SM44", "Radio-diagnostic"),
    ("SM49", "Santé publique et médecine sociale"),
    ("SM32", "Neurologie"),
    ("SM35", "O.R.L et chirurgie cervico faciale"),
    ("SM57", "Gériatrie"),
    ("CAPA13", "Médecine du sport"),
)
COMMUNES = (
    ("63600", "63003", "Ambert"),
    ("63000", "63113", "Clermont-Ferrand"),
    ("69003", "69383", "Lyon"),
    ("15000", "15014", "Aurillac"),
    ("43000", "43157", "Le Puy-en-Velay"),
    ("03100", "03185", "Montluçon"),
    ("74000", "74010", "Annecy"),
    ("38000", "38185", "Grenoble"),
    ("07200", "07019", "Aubenas"),
    ("42000", "42218", "Saint-Étienne"),
)
STREETS = ("RUE DE LA RÉPUBLIQUE", "AVENUE JEAN JAURÈS", "PLACE DU MARCHÉ", "RUE PASTEUR", "BOULEVARD GAMBETTA")
MODES = (("L", "Libéral"), ("S", "Salarié"), ("B", "Bénévole"))
SECTORS = (("SA07", "Cabinet individuel"), ("SA08", "Cabinet de groupe"), ("SA01", "Etablissement public de santé"))
ROLES = (("FON-01", "Titulaire de cabinet"), ("FON-05", "Salarié"), ("FON-06", "Remplaçant"))


def _weighted(rng: random.Random):
    population = [p for p in PROFESSIONS for _ in range(p[2])]
    return lambda: rng.choice(population)


def person_lines(rng: random.Random, number: int, pick) -> list[str]:
    (code, label), id_type, _ = pick()
    identifier = with_luhn_key(f"1{number:09d}") if id_type == 8 else f"{number % 10**9:09d}"
    last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
    doctor = code == "10"
    specialties = [rng.choice(DOCTOR_SPECIALTIES)] if doctor else [("", "")]
    if doctor and rng.random() < 0.2:
        specialties.append(rng.choice(DOCTOR_SPECIALTIES))
    lines = []
    for activity in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        postcode, insee, commune = rng.choice(COMMUNES)
        mode = rng.choice(MODES)
        sector = rng.choice(SECTORS)
        role = rng.choice(ROLES)
        specialty = specialties[activity % len(specialties)]
        structure = f"{number:08d}{activity}"
        values = {
            "Type d'identifiant PP": str(id_type),
            "Identifiant PP": identifier,
            "Identification nationale PP": f"{id_type}{identifier}",
            "Code civilité d'exercice": "DR" if doctor else "",
            "Libellé civilité d'exercice": "Docteur" if doctor else "",
            "Code civilité": rng.choice(("M", "MME")),
            "Libellé civilité": "",
            "Nom d'exercice": last,
            "Prénom d'exercice": first,
            "Code profession": code,
            "Libellé profession": label,
            "Code catégorie professionnelle": "C",
            "Libellé catégorie professionnelle": "Civil",
            "Code type savoir-faire": "S" if specialty[0] else "",
            "Libellé type savoir-faire": "Spécialité ordinale" if specialty[0] else "",
            "Code savoir-faire": specialty[0],
            "Libellé savoir-faire": specialty[1],
            "Code mode exercice": mode[0],
            "Libellé mode exercice": mode[1],
            "Numéro SIRET site": f"8{number % 10**8:08d}0001{activity}" if mode[0] == "S" else "",
            "Identifiant technique de la structure": f"R{structure}",
            "Raison sociale site": f"CABINET DU DR {last}" if mode[0] == "L" else "CENTRE HOSPITALIER",
            "Numéro Voie (coord. structure)": str(1 + number % 120),
            "Libellé Voie (coord. structure)": rng.choice(STREETS),
            "Bureau cedex (coord. structure)": f"{postcode} {commune.upper()}",
            "Code postal (coord. structure)": postcode,
            "Code commune (coord. structure)": insee,
            "Libellé commune (coord. structure)": commune,
            "Téléphone (coord. structure)": f"04{number % 10**8:08d}",
            "Code Département (structure)": postcode[:2],
            "Ancien identifiant de la structure": f"4{structure}",
            "Autorité d'enregistrement": "CNOM/CNOM/CNOM" if doctor else "ARS/ARS/ARS",
            "Code secteur d'activité": sector[0],
            "Libellé secteur d'activité": sector[1],
            "Code rôle": role[0],
            "Libellé rôle": role[1],
            "Code genre activité": "GENR01",
            "Libellé genre activité": "Activité standard de soin ou de pharmacien",
        }
        lines.append(SEPARATOR.join(values.get(name, "") for name in PUBLISHED_HEADER) + SEPARATOR + "\n")
    return lines


def write_extraction(path: Path, lines: int, seed: int = 16) -> dict:
    """Write an extraction of exactly `lines` activity lines; returns its size and the number of people."""
    rng = random.Random(seed)
    pick = _weighted(rng)
    written = people = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(SEPARATOR.join(PUBLISHED_HEADER) + SEPARATOR + "\n")
        while written < lines:
            people += 1
            batch = person_lines(rng, people, pick)[: lines - written]
            out.writelines(batch)
            written += len(batch)
    return {"lines": written, "people": people, "bytes": path.stat().st_size}
