"""What every background job shares: its report, and « claim this work, then send its notices » done atomically.

A job finds its candidates with a query, then for each one runs a conditional UPDATE that only one run can win
(`…filter(pk=…, x_sent_at__isnull=True).update(x_sent_at=now)`) and, in the same transaction, sends the
messages. Two runs at once send nothing twice; a crash leaves no claim without its messages (nor the reverse);
a restart does not resend. The message's dedup key is a second guard. A dry run writes nothing.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.words import counted
from notifications import relay
from notifications.models import Message
from notifications.notices import Notice

logger = logging.getLogger("jobs")


@dataclass
class JobReport:
    """What a run did (or, in a dry run, would do). `lines` are French: ARS staff read them (`run_job`)."""

    job: str
    dry_run: bool = False
    claimed: int = 0  # work items this run won (dry run: would try to win)
    messages: int = 0  # messages enqueued (dry run: that would be)
    lost: int = 0  # work items another run claimed first
    errors: int = 0
    lines: list[str] = field(default_factory=list)

    def record(self, line: str, messages: int) -> None:
        self.claimed += 1
        self.messages += messages
        self.lines.append(line)

    def summary(self) -> str:
        verb = "à envoyer (simulation, rien n'a été écrit)" if self.dry_run else "mis en file d'envoi"
        text = f"{self.job} : {counted('{count} élément(s)', self.claimed)}, {counted('{count} message(s)', self.messages)} {verb}"
        if self.lost:
            text += f", {self.lost} déjà pris par une autre exécution"
        if self.errors:
            text += ", " + counted("{count} erreur(s) (voir les journaux)", self.errors)
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "dry_run": self.dry_run,
            "claimed": self.claimed,
            "messages": self.messages,
            "lost": self.lost,
            "errors": self.errors,
        }


def claim_and_enqueue(
    report: JobReport, claim: QuerySet, stamp: dict[str, Any], notices: Sequence[Notice], line: str
) -> bool:
    """Win `claim` (a queryset narrowed to one unclaimed row) by stamping it, and send `notices`, atomically.

    Returns whether this run won. In a dry run nothing is written and the item is reported as if won.
    One item's failure is logged and counted; the job goes on with the next.
    """
    if report.dry_run:
        report.record(line, sum(n.recipient_count for n in notices))
        return True
    try:
        with transaction.atomic():
            if claim.update(**stamp) != 1:
                report.lost += 1
                return False
            sent = sum(notice.send() for notice in notices)
    except (OperationalError, InterfaceError):
        raise  # the database is gone: the task retries the whole run later (claims make that safe)
    except Exception:  # one bad item must not stop the others; the claim rolled back with it
        logger.exception("Job %s: item failed: %s", report.job, line)
        report.errors += 1
        return False
    report.record(line, sent)
    return True


def enqueue_once(report: JobReport, notice: Notice, line: str) -> bool:
    """For work with no row to stamp (a weekly digest, a statement notice): the dedup key is the claim.

    The unique index on the dedup key makes the insert atomic: two runs at once insert each message once.
    """
    if Message.objects.filter(dedup_key__startswith=f"{notice.dedup_key()}:").exists():
        report.lost += 1
        return False
    if report.dry_run:
        report.record(line, notice.recipient_count)
        return True
    try:
        with transaction.atomic():
            sent = notice.send()
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # one bad item must not stop the others
        logger.exception("Job %s: item failed: %s", report.job, line)
        report.errors += 1
        return False
    report.record(line, sent)
    return True


def finish(report: JobReport) -> JobReport:
    logger.info("%s", report.summary())
    return report


def run_relay(now: datetime | None = None, dry_run: bool = False) -> JobReport:
    """The outbox relay as a job: send what is due (dry run: count it)."""
    now = now or timezone.now()
    report = JobReport("Envoi des messages en attente", dry_run=dry_run)
    if dry_run:
        for message in relay.due(now).order_by("created_at")[: relay.BATCH_SIZE]:
            report.record(f"{message.kind} → {message.recipient} : {message.subject}", 1)
        return report
    sent = relay.relay(now=now)
    report.claimed = report.messages = sent
    return finish(report)
