"""`manage.py outbox_status [--max-age 10]`: the outbox's health, for monitoring (exit status 1 when unhealthy).

Unhealthy: a message due for sending has waited longer than `--max-age` minutes (the relay is not running: beat,
workers or Redis are down), or messages have failed (SMTP refused them `OUTBOX_MAX_ATTEMPTS` times: see the
admin, « Renvoyer »).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min, Q
from django.utils import timezone

from core.words import counted
from notifications.models import Message
from notifications.relay import due


class Command(BaseCommand):
    help = "État de la file d'envoi des e-mails (code de sortie 1 si des messages attendent ou ont échoué)."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=10, help="Attente maximale tolérée, en minutes.")

    def handle(self, *args, max_age: int, **options):
        now = timezone.now()
        counts = Message.objects.aggregate(
            pending=Count("pk", filter=Q(status=Message.Status.PENDING)),
            failed=Count("pk", filter=Q(status=Message.Status.FAILED)),
            sent_today=Count("pk", filter=Q(status=Message.Status.SENT, sent_at__gte=now - timedelta(days=1))),
        )
        oldest = due(now).aggregate(oldest=Min("created_at"))["oldest"]
        waited = int((now - oldest).total_seconds() // 60) if oldest else 0
        self.stdout.write(
            f"En attente : {counts['pending']} (la plus ancienne à envoyer attend depuis {waited} min) ; "
            f"en échec : {counts['failed']} ; envoyés en 24 h : {counts['sent_today']}."
        )
        problems = []
        if waited > max_age:
            problems.append(f"des messages attendent depuis {waited} min : le relais ne tourne pas")
        if counts["failed"]:
            problems.append(
                counted("{count} message(s) en échec : à renvoyer depuis l'administration", counts["failed"])
            )
        if problems:
            raise CommandError(" ; ".join(problems) + ".")
