"""The two jobs of the DS link (declared in operations.jobs): import the démarche's dossiers, send the decisions."""

from datetime import datetime

from demarches import services
from notifications.jobs import JobReport, finish


def run_sync(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    report = JobReport("Import des dossiers Démarches Simplifiées", dry_run=dry_run)
    if dry_run:
        report.lines.append("Simulation : la synchronisation lit DS et écrit ; rien n'est lu en simulation.")
        return report
    result = services.sync_demarche()
    report.claimed = result.read
    report.errors = 1 if result.error else 0
    report.lines.append(result.summary())
    return finish(report)


def run_decisions(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    report = JobReport("Décisions transmises à Démarches Simplifiées", dry_run=dry_run)
    if dry_run:
        due = services.due_decisions(now or services.timezone.now()).select_related("dossier")
        for decision in due:
            report.record(f"{decision} (tentative {decision.attempts + 1})", 0)
        return report
    result = services.send_decisions(now=now)
    report.claimed = result.sent
    report.errors = result.failed
    report.lines.append(result.summary())
    return finish(report)
