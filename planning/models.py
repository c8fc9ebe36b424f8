"""Monthly plans: for a region and a month, an optimiser proposes doctors for open slots (planning.solver); ARS
staff review the lines, then send them as one-click offers (missions.SlotOffer and its signed link). Workflow lives
in services.py, the lifecycles in lifecycles.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from missions.models import Doctor, SlotOffer
from sites.models import Region, Slot


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "À relire"
    SENT = "sent", "Propositions envoyées"
    DISCARDED = "discarded", "Abandonné"


class Solver(models.TextChoices):
    CP_SAT = "cp_sat", "Optimiseur (OR-Tools CP-SAT)"
    GREEDY = "greedy", "Premier arrivé (glouton)"


class Plan(models.Model):
    """A proposal of doctors for the open slots of one region and month."""

    Status = PlanStatus

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="plans", verbose_name="région")
    month = models.DateField("mois", help_text="Le premier jour du mois planifié.")
    status = models.CharField("statut", max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    solver = models.CharField("méthode", max_length=20, choices=Solver.choices, default=Solver.CP_SAT)
    figures = models.JSONField("chiffres", default=dict, blank=True)
    created_at = models.DateTimeField("proposé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="proposé par",
    )
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discarded_at = models.DateTimeField("abandonné le", null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "planning"
        verbose_name_plural = "plannings"
        ordering = ["-month", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="plan_status_valid"),
            models.CheckConstraint(condition=Q(solver__in=Solver.values), name="plan_solver_valid"),
            models.CheckConstraint(condition=Q(month__day=1), name="plan_month_first_day"),
            # One plan under review per region and month: a new proposal replaces the draft (services).
            models.UniqueConstraint(
                fields=["region", "month"], condition=Q(status="draft"), name="plan_one_draft_per_region_month"
            ),
        ]

    def __str__(self) -> str:
        from missions.rules import MONTHS_FR

        return f"Planning {self.region.name} – {MONTHS_FR[self.month.month - 1]} {self.month.year}"


class PlanLineStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposée"
    REMOVED = "removed", "Retirée"
    SENT = "sent", "Envoyée"
    ACCEPTED = "accepted", "Acceptée"
    DECLINED = "declined", "Déclinée"
    EXPIRED = "expired", "Expirée"


class PlanLine(models.Model):
    """One doctor proposed for one slot. Once sent, it is an offer (`offer`) the doctor accepts through the signed
    link (missions' « Proposer ce créneau »), declines, or lets expire; a sent line holds a place of its slot and a
    day of its doctor until then."""

    Status = PlanLineStatus
    PENDING = (PlanLineStatus.SENT,)  # an offer out: holds its slot's place and its doctor's day

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="lines", verbose_name="planning")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="plan_lines", verbose_name="créneau")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="plan_lines", verbose_name="médecin")
    status = models.CharField("statut", max_length=20, choices=PlanLineStatus.choices, default=PlanLineStatus.PROPOSED)
    offer = models.ForeignKey(
        SlotOffer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="invitation"
    )
    status_changed_at = models.DateTimeField("statut modifié le", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField("motif", max_length=500, blank=True)

    class Meta:
        verbose_name = "ligne de planning"
        verbose_name_plural = "lignes de planning"
        ordering = ["slot__date", "slot__period", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanLineStatus.values), name="planline_status_valid"),
            models.UniqueConstraint(fields=["plan", "slot", "doctor"], name="planline_unique_in_plan"),
            # Never twice the same offer to the same doctor, whichever plan made it.
            models.UniqueConstraint(
                fields=["slot", "doctor"],
                condition=Q(status__in=["sent", "accepted", "declined", "expired"]),
                name="planline_one_offer_per_slot_doctor",
            ),
        ]
        indexes = [models.Index(fields=["status", "slot"], name="planline_status_slot_idx")]

    def __str__(self) -> str:
        return f"{self.doctor} – {self.slot}"


class PlanSchedule(models.Model):
    """An ARS's standing order: on `day_of_month`, the `planning` job proposes next month's plan for the region (a
    draft for ARS staff to review; nothing is sent to doctors without them)."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="plan_schedule", verbose_name="région")
    day_of_month = models.PositiveSmallIntegerField(
        "jour du mois", default=20, help_text="Entre 1 et 28 : le planning du mois suivant est proposé ce jour-là."
    )
    active = models.BooleanField("actif", default=True)
    # The job's claim: the month it last proposed (a conditional UPDATE only one run wins).
    last_month = models.DateField("dernier mois proposé", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "planification automatique"
        verbose_name_plural = "planifications automatiques"
        constraints = [
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="planschedule_day_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region.name} : le {self.day_of_month} de chaque mois"
