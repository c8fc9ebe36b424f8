"""`manage.py load_reference_data [--zones FICHIER.csv]`: load (or reload) the reference data of the region."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.words import counted
from operations.reference import load_reference_data
from sites.reference import DATA_DIR, ReferenceDataError


class Command(BaseCommand):
    help = (
        "Charge les données de référence de la région (départements et CDOM, EPCI, communes, zones connues et "
        "leurs lieux d'accueil, CPAM, forfait). Idempotent. Avec --zones, complète la liste des zones à partir "
        "du fichier de l'ARS (colonnes siren;nom;departement)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--zones", type=Path, help="CSV des zones de l'ARS : siren;nom;departement")
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="dossier des fichiers de référence")

    def handle(self, *args, zones: Path | None = None, data_dir: Path = DATA_DIR, **options) -> None:
        if zones is not None and not zones.is_file():
            raise CommandError(f"Fichier introuvable : {zones}")
        try:
            report = load_reference_data(data_dir, zones_file=zones)
        except ReferenceDataError as exc:
            raise CommandError("Rien n'a été enregistré.\n" + "\n".join(exc.errors)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de référence chargées : {report.departments} départements, {report.epcis} EPCI, "
                f"{report.communes} communes, {report.zones} zones connues "
                f"({report.host_sites_created} lieux d'accueil créés), {report.cpams} CPAM, "
                + counted("{count} forfait(s), ", report.flat_rates)
                + counted("{count} aide(s) à l'installation créée(s) ou mise(s) à jour.", report.aids)
            )
        )
        if zones is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Fichier de l'ARS : {report.zones_from_file} zones enregistrées "
                    f"({report.host_sites_from_file} lieux d'accueil créés)."
                )
            )
