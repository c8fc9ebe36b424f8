"""What we hold of Démarches Simplifiées (DS): the dossiers of the national démarche we read, where each sync
stopped, and the decisions to write back.

- `Dossier`: one DS dossier (by its number), linked one-to-one to the Doctor it became, or kept « à compléter »
  with the reasons, or « non importé » (refused or closed in DS).
- `DemarcheSync`: per démarche, the last `dateDerniereModification` seen (the next sync asks `updatedSince` it).
- `Decision`: a decision of ours (validate, reject) to send to DS — an outbox row, claimed by a conditional
  UPDATE, retried with growing delays, sent once (demarches.services.send_decisions).
"""

from django.db import models
from django.db.models import Q

from missions.models import Doctor
from sites.models import Department


class DossierState(models.TextChoices):
    """DS's `DossierState` enum (app/graphql/schema.graphql)."""

    EN_CONSTRUCTION = "en_construction", "En construction"
    EN_INSTRUCTION = "en_instruction", "En instruction"
    ACCEPTE = "accepte", "Accepté"
    REFUSE = "refuse", "Refusé"
    SANS_SUITE = "sans_suite", "Classé sans suite"


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "Importé"
    TO_COMPLETE = "to_complete", "À compléter"
    NOT_IMPORTED = "not_imported", "Non importé (refusé ou classé sans suite dans DS)"


class Dossier(models.Model):
    State = DossierState
    Status = ImportStatus

    demarche_number = models.PositiveIntegerField("n° de démarche")
    number = models.PositiveBigIntegerField("n° de dossier", unique=True)
    ds_id = models.CharField("identifiant GraphQL", max_length=100, unique=True)
    state = models.CharField("état dans DS", max_length=20, choices=DossierState.choices)
    ds_updated_at = models.DateTimeField("modifié dans DS le")
    deposited_at = models.DateTimeField("déposé le", null=True, blank=True)
    status = models.CharField("import", max_length=20, choices=ImportStatus.choices)
    problems = models.JSONField("à compléter", default=list, blank=True)  # [{"field", "champ", "reason"}]
    note = models.CharField("remarque", max_length=500, blank=True)
    doctor = models.OneToOneField(
        Doctor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ds_dossier",
        verbose_name="médecin",
    )
    # Who the dossier names, for the « à compléter » list (before any doctor exists).
    email = models.CharField("e-mail", max_length=254, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    # Where it belongs, when the dossier says it (practice commune or department): who at the ARS sees it.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="département"
    )
    first_seen_at = models.DateTimeField("lu la première fois le", auto_now_add=True)
    synced_at = models.DateTimeField("lu le", auto_now=True)

    class Meta:
        verbose_name = "dossier Démarches Simplifiées"
        verbose_name_plural = "dossiers Démarches Simplifiées"
        ordering = ["-ds_updated_at", "-number"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=DossierState.values), name="ds_dossier_state_valid"),
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="ds_dossier_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="imported") | Q(doctor__isnull=False), name="ds_dossier_imported_has_doctor"
            ),
        ]
        indexes = [models.Index(fields=["status", "-ds_updated_at"], name="ds_dossier_status_idx")]

    def __str__(self) -> str:
        return f"Dossier DS n° {self.number}"

    @property
    def reasons(self) -> str:
        return " ; ".join(p.get("reason", "") for p in self.problems or [])


class DemarcheSync(models.Model):
    demarche_number = models.PositiveIntegerField("n° de démarche", unique=True)
    updated_since = models.DateTimeField("dossiers modifiés depuis", null=True, blank=True)
    last_run_at = models.DateTimeField("dernière synchronisation", null=True, blank=True)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    running_until = models.DateTimeField(null=True, blank=True, editable=False)  # the claim of a running sync

    class Meta:
        verbose_name = "synchronisation Démarches Simplifiées"
        verbose_name_plural = "synchronisations Démarches Simplifiées"

    def __str__(self) -> str:
        return f"Démarche n° {self.demarche_number}"


class DecisionKind(models.TextChoices):
    ACCEPT = "accept", "Accepter"
    REFUSE = "refuse", "Refuser"


class DecisionStatus(models.TextChoices):
    PENDING = "pending", "À envoyer"
    SENT = "sent", "Envoyée"
    FAILED = "failed", "Échec (à reprendre dans DS)"


class Decision(models.Model):
    """Validate or reject in our product → `dossierPasserEnInstruction`, then `dossierAccepter` / `dossierRefuser`.

    One per dossier (held by the database). A row is the promise, written in the transaction of the decision."""

    Kind = DecisionKind
    Status = DecisionStatus

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="decision", verbose_name="dossier")
    kind = models.CharField("décision", max_length=10, choices=DecisionKind.choices)
    motivation = models.TextField("motif", blank=True)
    status = models.CharField("envoi", max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    next_attempt_at = models.DateTimeField("prochaine tentative")
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True)
    created_at = models.DateTimeField("décidé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "décision à transmettre à DS"
        verbose_name_plural = "décisions à transmettre à DS"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DecisionKind.values), name="ds_decision_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=DecisionStatus.values), name="ds_decision_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind="refuse") | ~Q(motivation=""), name="ds_decision_refusal_has_motivation"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="ds_decision_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} le dossier n° {self.dossier.number}"
