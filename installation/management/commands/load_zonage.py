"""`manage.py load_zonage FICHIER --arrete REF --debut AAAA-MM-JJ [--fin …] [--source URL] [--region 84]`."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.words import counted
from installation.zonage import DecreeFacts, load_zonage
from sites.models import Region
from sites.reference import ReferenceDataError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Date invalide : « {value} » (attendu : AAAA-MM-JJ).") from exc


class Command(BaseCommand):
    help = (
        "Charge le zonage médecins d'un arrêté de l'ARS, commune par commune, depuis son fichier CSV ou XLSX "
        "(colonnes reconnues par leur nom : « Code », « Libellé », « Zonage_MG » du format national, ou la liste "
        "des communes de l'ARS : code INSEE, commune, zonage ZIP/ZAC/HZ). Tout ou rien. La référence et les dates "
        "de l'arrêté sont données en options ; un arrêté plus récent remplace l'ancien à sa date, sans l'effacer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="fichier CSV ou XLSX de l'ARS")
        parser.add_argument("--arrete", required=True, help="référence de l'arrêté, p. ex. 2025-17-1113")
        parser.add_argument("--debut", required=True, help="date d'entrée en vigueur (AAAA-MM-JJ)")
        parser.add_argument("--fin", help="dernier jour de vigueur, s'il est connu (AAAA-MM-JJ)")
        parser.add_argument("--intitule", default="", help="intitulé de l'arrêté")
        parser.add_argument("--source", default="", help="adresse où l'arrêté est publié")
        parser.add_argument("--region", default="84", help="code INSEE de la région (84 : Auvergne-Rhône-Alpes)")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"Région inconnue : {options['region']} (chargez d'abord load_reference_data).")
        facts = DecreeFacts(
            reference=options["arrete"].strip(),
            valid_from=_date(options["debut"]),
            valid_until=_date(options["fin"]) if options.get("fin") else None,
            title=options["intitule"],
            source_url=options["source"],
        )
        try:
            decree = load_zonage(path, region, facts, loaded_by="manage.py load_zonage")
        except ReferenceDataError as exc:
            raise CommandError("Rien n'a été enregistré.\n" + "\n".join(exc.errors)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{decree} : " + counted("{count} ligne(s) de zonage enregistrée(s).", decree.lines.count())
            )
        )
