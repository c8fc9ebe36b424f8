"""Who pays (CPAM), how much (flat rate), and what is owed (statements and their lines)."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from billing.lines import READING_ORDER
from core.errors import RuleViolation
from missions.rules import MONTHS_FR, month_bounds
from sites.models import Department


def month_label(day: date) -> str:
    """« octobre 2025 »: how a statement's month reads in French (pages, messages, exports)."""
    return f"{MONTHS_FR[day.month - 1]} {day.year}"


class Cpam(models.Model):
    """A Caisse primaire d'assurance maladie: pays the flat rate of the doctors of its department (R8)."""

    department = models.OneToOneField(
        Department, on_delete=models.PROTECT, related_name="cpam", verbose_name="département"
    )
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=300, blank=True)
    email = models.EmailField(
        "e-mail dédié à la mission",
        blank=True,
        help_text="Adresse qui reçoit les relevés et les nouveaux volontaires.",
    )
    phone = models.CharField("téléphone", max_length=30, blank=True)

    class Meta:
        verbose_name = "CPAM"
        verbose_name_plural = "CPAM"
        ordering = ["department__code"]

    def __str__(self) -> str:
        return self.name


class CpamMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cpam_memberships",
        verbose_name="agent",
    )
    cpam = models.ForeignKey(Cpam, on_delete=models.CASCADE, related_name="memberships", verbose_name="CPAM")

    class Meta:
        verbose_name = "agent CPAM"
        verbose_name_plural = "agents CPAM"
        constraints = [models.UniqueConstraint(fields=["user", "cpam"], name="cpammembership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.cpam}"


class FlatRate(models.Model):
    """The flat rate for one full day worked; a half-day earns half of it. Which one is in force on a date:
    billing.rates.RateTable, the one definition."""

    amount = models.DecimalField("montant pour une journée (€)", max_digits=8, decimal_places=2)
    valid_from = models.DateField("en vigueur du")
    valid_to = models.DateField("jusqu'au (inclus)", null=True, blank=True)

    class Meta:
        verbose_name = "forfait"
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="flatrate_amount_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="flatrate_period_valid",
            ),
            models.UniqueConstraint(fields=["valid_from"], name="flatrate_valid_from_unique"),
        ]

    def __str__(self) -> str:
        end = f" au {self.valid_to:%d/%m/%Y}" if self.valid_to else ""
        return f"{self.amount} € / jour, du {self.valid_from:%d/%m/%Y}{end}"

    def clean(self) -> None:
        """Periods never overlap: on any date, one rate at most is in force (the statements depend on it)."""
        if self.valid_from is None:
            return
        others = FlatRate.objects.exclude(pk=self.pk).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from)
        )
        if self.valid_to is not None:
            others = others.filter(valid_from__lte=self.valid_to)
        clash = others.order_by("valid_from").first()
        if clash is not None:
            raise ValidationError(
                {"valid_from": f"Cette période chevauche celle du forfait {clash} : fermez d'abord l'ancienne période."}
            )


class StatementStatus(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    ISSUED = "issued", "Émis"
    PAID = "paid", "Payé"


class Statement(models.Model):
    """What one CPAM owes for one month (R7–R9): the sum of its lines, frozen once issued.

    One statement per (CPAM, month), held by the database. A draft is a preview that generation refreshes;
    an issued or paid statement never changes: the service refuses, `save()`/`delete()` refuse, and on
    PostgreSQL a trigger refuses any UPDATE/DELETE other than marking it paid (migration 0002).
    """

    Status = StatementStatus

    # What marking an issued statement paid changes; nothing else ever changes once it is issued.
    MUTABLE_AFTER_ISSUE = frozenset({"status", "paid_at", "paid_by_id"})

    cpam = models.ForeignKey(Cpam, on_delete=models.PROTECT, related_name="statements", verbose_name="CPAM")
    month = models.DateField("mois", help_text="Premier jour du mois du relevé.")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    line_count = models.PositiveIntegerField("nombre de lignes", default=0)
    total_days = models.DecimalField("total des jours", max_digits=10, decimal_places=2, default=Decimal("0"))
    total_amount = models.DecimalField("montant total (€)", max_digits=12, decimal_places=2, default=Decimal("0"))
    generated_at = models.DateTimeField("généré le")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="généré par",
    )
    issued_at = models.DateTimeField("émis le", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="émis par",
    )
    paid_at = models.DateTimeField("payé le", null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="payé par",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "relevé CPAM"
        verbose_name_plural = "relevés CPAM"
        ordering = ["-month", "cpam__department__code"]
        constraints = [
            models.UniqueConstraint(fields=["cpam", "month"], name="statement_one_per_cpam_month"),
            models.CheckConstraint(condition=Q(status__in=StatementStatus.values), name="statement_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(issued_at__isnull=False), name="statement_issued_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False), name="statement_paid_has_date"
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="statement_month_status_idx")]

    def __str__(self) -> str:
        return f"Relevé {self.reference} – {self.cpam}"

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored", None) or {}
        was = stored.get("status", StatementStatus.DRAFT)
        if was != StatementStatus.DRAFT:
            changed = {name for name, value in stored.items() if getattr(self, name) != value}
            being_paid = was == StatementStatus.ISSUED and self.status == StatementStatus.PAID
            if changed - (self.MUTABLE_AFTER_ISSUE if being_paid else set()):
                raise _frozen()
        super().save(*args, **kwargs)
        self._remember_stored_state()

    def delete(self, *args, **kwargs):
        stored_status = getattr(self, "_stored", {}).get("status", self.status)
        if self.is_frozen or stored_status != StatementStatus.DRAFT:
            raise _frozen()
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_stored_state()
        return instance

    def _remember_stored_state(self) -> None:
        loaded = self.__dict__  # deferred fields are left out rather than fetched
        self._stored = {f.attname: loaded[f.attname] for f in self._meta.concrete_fields if f.attname in loaded}

    @property
    def reference(self) -> str:
        """A short reference a CPAM agent can quote: year-month and department, e.g. « 2025-10-69 »."""
        code = self.cpam.department.code if self.cpam_id else "?"
        return f"{self.month:%Y-%m}-{code}"

    @property
    def is_frozen(self) -> bool:
        return self.status != StatementStatus.DRAFT

    @property
    def month_end(self) -> date:
        return month_bounds(self.month)[1]


def _frozen() -> RuleViolation:
    return RuleViolation("statement_issued", "Ce relevé est émis : il ne peut plus être modifié ni supprimé.")


class StatementLineKind(models.TextChoices):
    LINE = "line", "Journée"
    REVERSAL = "reversal", "Annulation"


class StatementLine(models.Model):
    """One billable doctor-day (`line`), or the cancellation of one (`reversal`): an immutable snapshot.

    Everything a CPAM agent reads is copied here when the line is written (names, identifiers, site, rate,
    amount), never recomputed from live rows. `amount = rate × day_fraction`, rounded half-up to the cent;
    a reversal carries the negated fraction and amount of the line it cancels, so the rule holds on it too.

    The lines of one booking form a sequence numbered 1, 2, 3… across all statements, alternating
    line (+), reversal (−), line (+)…: a booking is *stated* when its last line is a `line` nobody reversed.
    Hence the net of all lines of a booking is either 0 or the amount of its one live line, which is what is
    owed when the booking is completed. Generation restores that invariant:
    - a completed, unstated day gets a line;
    - a stated day that is no longer completed (an attestation corrected to no-show), or whose rate or fraction
      changed, gets a reversal in the statement being generated (and, if still owed, a new line after it);
    - a corrected no-show → completed after a reversal gets a new line.
    The database holds it: (booking, sequence) is unique, so two generations can never state a day twice,
    and a line can be reversed at most once (`reverses` is one-to-one).
    """

    Kind = StatementLineKind

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines", verbose_name="relevé")
    booking = models.ForeignKey(
        "missions.Booking", on_delete=models.PROTECT, related_name="statement_lines", verbose_name="réservation"
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.LINE)
    sequence = models.PositiveSmallIntegerField("rang pour cette réservation")
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name="ligne annulée",
    )
    # The snapshot.
    doctor_last_name = models.CharField("nom du médecin", max_length=150)
    doctor_first_name = models.CharField("prénom du médecin", max_length=150)
    doctor_rpps = models.CharField("RPPS", max_length=11)
    doctor_billing_number = models.CharField("n° Assurance Maladie dédié", max_length=20, blank=True)
    date = models.DateField("date de la mission")
    period = models.CharField("période", max_length=10)
    period_label = models.CharField("libellé de la période", max_length=20)
    site_name = models.CharField("lieu d'accueil", max_length=200)
    site_finess = models.CharField("FINESS du lieu", max_length=9, blank=True)
    site_commune = models.CharField("commune du lieu", max_length=160, blank=True)
    zone_name = models.CharField("zone", max_length=200)
    day_fraction = models.DecimalField("fraction de journée", max_digits=3, decimal_places=2)
    rate = models.DecimalField("forfait journalier (€)", max_digits=8, decimal_places=2)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)
    note = models.CharField("motif", max_length=500, blank=True)
    consultations = models.SmallIntegerField(
        "consultations attestées",
        null=True,
        blank=True,
        help_text="Attestées par le lieu d'accueil pour cette journée ; négatives sur une ligne d'annulation.",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "ligne de relevé"
        verbose_name_plural = "lignes de relevé"
        ordering = list(READING_ORDER)
        constraints = [
            models.UniqueConstraint(fields=["booking", "sequence"], name="statementline_booking_sequence_unique"),
            models.CheckConstraint(condition=Q(kind__in=StatementLineKind.values), name="statementline_kind_valid"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="statementline_sequence_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind="line", reverses__isnull=True, day_fraction__gt=0, amount__gt=0)
                    | Q(kind="reversal", reverses__isnull=False, day_fraction__lt=0, amount__lt=0)
                ),
                name="statementline_sign_matches_kind",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="statementline_rate_positive"),
        ]
        indexes = [
            models.Index(
                fields=["statement", "doctor_last_name", "doctor_first_name"], name="stline_statement_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.doctor_last_name} {self.date:%d/%m/%Y} : {self.amount} €"

    def save(self, *args, **kwargs):
        if not self._statement_is_draft():
            raise _frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not self._statement_is_draft():
            raise _frozen()
        return super().delete(*args, **kwargs)

    @property
    def doctor_name(self) -> str:
        return f"{self.doctor_last_name.upper()} {self.doctor_first_name}"

    def _statement_is_draft(self) -> bool:
        return Statement.objects.filter(pk=self.statement_id, status=StatementStatus.DRAFT).exists()


class StatementExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", "PDF"


class StatementExportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    READY = "ready", "Prêt"
    FAILED = "failed", "Échec"


def export_upload_to(export: "StatementExport", filename: str) -> str:
    """Under MEDIA_ROOT, never served as a public URL: the download view authorises each request."""
    return f"exports/releves/{export.statement_id}/{export.content_key[:16]}/{filename}"


class StatementExport(models.Model):
    """The XLSX or PDF of one statement, produced by a background job (billing.exporting), kept until the statement
    changes. `content_key` is a digest of everything the file shows apart from its lines (status and its dates,
    totals, the CPAM's header; lines only change when a draft is regenerated, which restamps `generated_at`): a file
    is offered only while its key is the statement's current one (`billing.exporting.content_key`), so a stale file
    is never served. One job per (statement, format, key), held by the database: two clicks join one job."""

    Format = StatementExportFormat
    Status = StatementExportStatus

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="exports", verbose_name="relevé")
    format = models.CharField("format", max_length=4, choices=Format.choices)
    content_key = models.CharField("version du contenu", max_length=64)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_done = models.PositiveIntegerField("lignes écrites", default=0)
    rows_total = models.PositiveIntegerField("lignes à écrire", default=0)
    file = models.FileField("fichier", upload_to=export_upload_to, max_length=300, blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    error = models.CharField("erreur", max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )
    requested_at = models.DateTimeField("demandé le")
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    # Stamped with each progress step: a running job whose worker died is claimed again once it is stale.
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export de relevé"
        verbose_name_plural = "exports de relevé"
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "format", "content_key"], name="statementexport_one_per_version"
            ),
            models.CheckConstraint(
                condition=Q(format__in=StatementExportFormat.values), name="statementexport_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StatementExportStatus.values), name="statementexport_status_valid"
            ),
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(file=""), name="statementexport_ready_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} du relevé {self.statement_id} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == StatementExportStatus.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
