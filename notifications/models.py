"""The outbox: a Message row is the promise that someone will be told. A relay sends it after commit."""

from django.db import models
from django.db.models import Q


class Message(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"
        # Written by the demo (seed_demo): never relayed; « Renvoyer » in the admin sends one on purpose.
        HELD = "held", "Retenu (démo)"

    kind = models.CharField("type", max_length=60)
    recipient = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=300)
    body_text = models.TextField("texte")
    body_html = models.TextField("HTML", blank=True)
    dedup_key = models.CharField("clé de déduplication", max_length=255, unique=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", null=True, blank=True)
    claimed_at = models.DateTimeField("pris en charge le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "message"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "held"]), name="message_status_valid"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_status_next_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
