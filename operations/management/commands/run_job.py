"""Run one background job once, by hand: `manage.py run_job reminders --dry-run`.

For ARS staff and operators: what the scheduler runs (operations/jobs.py), run now, in this process. A dry run
lists what would be sent and writes nothing. `--date` runs the job as if it were that day (at the current time).
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.words import counted
from operations.jobs import JOBS


class Command(BaseCommand):
    help = "Exécute une fois une tâche de fond (rappels, relances, relevés, synthèse…). --dry-run : simulation."

    def add_arguments(self, parser):
        parser.add_argument(
            "job",
            choices=sorted(JOBS),
            help="; ".join(f"{name} : {job.description}" for name, job in sorted(JOBS.items())),
        )
        parser.add_argument("--dry-run", action="store_true", help="Affiche ce qui serait envoyé, sans rien écrire.")
        parser.add_argument("--date", dest="as_of", help="Exécuter comme si l'on était ce jour-là (AAAA-MM-JJ).")

    def handle(self, *args, job: str, dry_run: bool, as_of: str | None, **options):
        now = _as_of(as_of) if as_of else None
        report = JOBS[job].run(now=now, dry_run=dry_run)
        for line in report.lines:
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(report.summary()) if not report.errors else report.summary())
        if report.errors:
            raise CommandError(counted("{count} élément(s) en erreur : voir les journaux.", report.errors))


def _as_of(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Date invalide « {text} » : attendu AAAA-MM-JJ.") from exc
    current = timezone.localtime()
    return current.replace(year=day.year, month=day.month, day=day.day)
