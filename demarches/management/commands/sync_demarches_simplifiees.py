"""`manage.py sync_demarches_simplifiees`: import the démarche's dossiers now (also a job: `run_job demarches`)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demarches import services


class Command(BaseCommand):
    help = "Importe les dossiers de la démarche Démarches Simplifiées modifiés depuis la dernière synchronisation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dossier", type=int, help="Relire un seul dossier (son numéro).")
        parser.add_argument("--decisions", action="store_true", help="Transmettre aussi les décisions en attente à DS.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dossier"]:
            try:
                outcome = services.sync_dossier(options["dossier"])
            except services.DsFailure as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Dossier n° {options['dossier']} : {outcome}.")
        else:
            report = services.sync_demarche()
            self.stdout.write(report.summary())
            if report.error:
                raise CommandError(report.error)
        if options["decisions"]:
            self.stdout.write(services.send_decisions().summary())
