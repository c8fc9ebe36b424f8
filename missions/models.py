"""Doctors, their availability, their bookings and the invitations to slots. Workflow lives in services.py; the
lifecycles in lifecycles.py."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from sites.identifiers import validate_rpps
from sites.models import Commune, Department, Period, Region, Slot, Zone


def new_ical_token() -> str:
    return secrets.token_urlsafe(32)


class DoctorSector(models.TextChoices):
    SECTOR_1 = "1", "Secteur 1"
    SECTOR_2 = "2", "Secteur 2"
    SECTOR_2_OPTAM = "2_optam", "Secteur 2 avec OPTAM"
    NOT_CONVENTIONED = "non_conventionne", "Non conventionné"


class DoctorMode(models.TextChoices):
    LIBERAL = "liberal", "Libéral"
    SALARIED = "salarie", "Salarié"
    LOCUM = "remplacant", "Remplaçant"
    RETIRED = "retraite", "Retraité"


class DoctorStatus(models.TextChoices):
    SUBMITTED = "submitted", "Dossier déposé"
    VALIDATED = "validated", "Validé"
    SUSPENDED = "suspended", "Suspendu"
    REJECTED = "rejected", "Refusé"
    WITHDRAWN = "withdrawn", "Retiré"


class CdomStatus(models.TextChoices):
    """The CDOM's answer on the activity « mission de solidarité territoriale » (the file's first step)."""

    PENDING = "pending", "En attente de l'avis du CDOM"
    AUTHORISED = "authorised", "Autorisé par le CDOM"
    REFUSED = "refused", "Refusé par le CDOM"


class InsuranceStatus(models.TextChoices):
    MISSING = "missing", "Assurance RCP non déclarée"
    DECLARED = "declared", "Assurance RCP déclarée"


class BillingNumberStatus(models.TextChoices):
    AWAITED = "awaited", "Numéro dédié attendu"
    RECORDED = "recorded", "Numéro dédié enregistré"


class CpsCardStatus(models.TextChoices):
    AWAITED = "awaited", "Nouvelle carte CPS attendue"
    RECEIVED = "received", "Nouvelle carte CPS reçue"


class Doctor(models.Model):
    Sector = DoctorSector

    Mode = DoctorMode

    Status = DoctorStatus

    CdomStatus = CdomStatus

    InsuranceStatus = InsuranceStatus

    BillingNumberStatus = BillingNumberStatus

    CpsCardStatus = CpsCardStatus

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor", verbose_name="compte"
    )
    rpps = models.CharField("n° RPPS", max_length=11, unique=True, validators=[validate_rpps])
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    specialty = models.CharField("spécialité", max_length=150, default="Médecine générale")
    sector = models.CharField("secteur conventionnel", max_length=20, choices=Sector.choices)
    mode = models.CharField("mode d'exercice", max_length=20, choices=Mode.choices, default=Mode.LIBERAL)
    practice_commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name="commune d'exercice principal"
    )
    practice_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="practising_doctors",
        verbose_name="département d'exercice principal",
    )
    cdom_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="registered_doctors",
        verbose_name="CDOM d'inscription",
    )
    zones = models.ManyToManyField(Zone, related_name="doctors", verbose_name="zones couvertes", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    status_changed_at = models.DateTimeField("statut modifié le", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="statut modifié par",
    )
    status_reason = models.CharField("motif", max_length=500, blank=True)
    submitted_at = models.DateTimeField("dossier déposé le", auto_now_add=True)
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    billing_number = models.CharField("n° Assurance Maladie dédié", max_length=20, blank=True)
    billing_number_recorded_at = models.DateTimeField("n° dédié enregistré le", null=True, blank=True)
    cps_card_requested_on = models.DateField("carte CPS demandée le", null=True, blank=True)
    cps_card_received_on = models.DateField("carte CPS reçue le", null=True, blank=True)
    cps_followup_sent_at = models.DateTimeField("relance carte CPS envoyée le", null=True, blank=True)
    replacement_declared = models.BooleanField("remplacement déclaré", default=False)

    # The volunteer's file beside the status (DESIGN §4): one small lifecycle per step (missions.lifecycles), each
    # with its state, its stamps, and a TransitionLog row per act (who, when).
    cdom_status = models.CharField(
        "avis du CDOM", max_length=20, choices=CdomStatus.choices, default=CdomStatus.PENDING
    )
    cdom_decided_at = models.DateTimeField("avis du CDOM rendu le", null=True, blank=True)
    cdom_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="avis enregistré par",
        help_text="Vide quand le CDOM a répondu lui-même par le lien de son e-mail.",
    )
    cdom_reason = models.CharField("motif du refus du CDOM", max_length=500, blank=True)
    insurance_status = models.CharField(
        "assurance RCP", max_length=20, choices=InsuranceStatus.choices, default=InsuranceStatus.MISSING
    )
    insurer = models.CharField("assureur (RCP)", max_length=150, blank=True)
    insurance_contract = models.CharField("n° de contrat RCP", max_length=60, blank=True)
    insurance_covers_sites = models.BooleanField("le contrat couvre l'exercice sur les lieux d'accueil", default=False)
    insurance_declared_at = models.DateTimeField("assurance déclarée le", null=True, blank=True)
    insurance_declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    billing_number_status = models.CharField(
        "n° dédié", max_length=20, choices=BillingNumberStatus.choices, default=BillingNumberStatus.AWAITED
    )
    billing_number_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cps_card_status = models.CharField(
        "nouvelle carte CPS", max_length=20, choices=CpsCardStatus.choices, default=CpsCardStatus.AWAITED
    )
    ical_token = models.CharField("jeton du calendrier", max_length=64, unique=True, default=new_ical_token)

    # The zones too: a change of the zones a doctor covers is part of their file's history.
    history = HistoricalRecords(excluded_fields=["ical_token"], m2m_fields=[zones])

    class Meta:
        verbose_name = "médecin"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DoctorStatus.values), name="doctor_status_valid"),
            models.CheckConstraint(condition=Q(sector__in=DoctorSector.values), name="doctor_sector_valid"),
            models.CheckConstraint(condition=Q(mode__in=DoctorMode.values), name="doctor_mode_valid"),
            models.CheckConstraint(condition=Q(rpps__regex=r"^[0-9]{11}$"), name="doctor_rpps_format"),
            models.CheckConstraint(condition=Q(cdom_status__in=CdomStatus.values), name="doctor_cdom_status_valid"),
            models.CheckConstraint(
                condition=Q(insurance_status=InsuranceStatus.MISSING)
                | (
                    Q(insurance_status=InsuranceStatus.DECLARED, insurance_covers_sites=True)
                    & ~Q(insurer="")
                    & ~Q(insurance_contract="")
                ),
                name="doctor_insurance_declared_complete",
            ),
            models.CheckConstraint(
                condition=Q(billing_number_status=BillingNumberStatus.AWAITED, billing_number="")
                | (Q(billing_number_status=BillingNumberStatus.RECORDED) & ~Q(billing_number="")),
                name="doctor_billing_number_status_coherent",
            ),
            models.CheckConstraint(
                condition=Q(cps_card_status=CpsCardStatus.AWAITED)
                | Q(cps_card_status=CpsCardStatus.RECEIVED, cps_card_received_on__isnull=False),
                name="doctor_cps_card_status_coherent",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="doctor_status_idx"),
            models.Index(fields=["last_name", "first_name"], name="doctor_name_idx"),
        ]

    def __str__(self) -> str:
        return f"Dr {self.first_name} {self.last_name}"

    @classmethod
    def from_db(cls, db, field_names, values):
        # What the row held when read: the regions' receivers (missions.doctor_regions) refresh a doctor's regions
        # when a save changes the practice department, without reading the row again on every save.
        instance = super().from_db(db, field_names, values)
        instance._loaded_practice_department_id = instance.__dict__.get("practice_department_id")
        return instance

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Availability(models.Model):
    """A day (or half-day) a doctor says they could come, in any of the zones they cover."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="availabilities", verbose_name="médecin")
    date = models.DateField("date")
    period = models.CharField("période", max_length=10, choices=Period.choices, default=Period.FULL_DAY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "disponibilité"
        ordering = ["date", "period"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "date", "period"], name="availability_unique"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="availability_period_valid"),
        ]
        indexes = [models.Index(fields=["date"], name="availability_date_idx")]

    def __str__(self) -> str:
        return f"{self.doctor} – {self.date:%d/%m/%Y} ({self.get_period_display()})"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", "Demandée"
    CONFIRMED = "confirmed", "Confirmée"
    DECLINED = "declined", "Refusée par le lieu"
    CANCELLED = "cancelled", "Annulée"
    COMPLETED = "completed", "Effectuée"
    NO_SHOW = "no_show", "Médecin absent"


class Booking(models.Model):
    """A doctor's booking of a slot. `date`, `period`, `day_fraction` and `zone` are copied from the slot."""

    Status = BookingStatus

    ACTIVE_STATUSES = (Status.REQUESTED, Status.CONFIRMED, Status.COMPLETED)

    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="bookings", verbose_name="médecin")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name="créneau")
    # No index of its own: booking_zone_date_cov_idx begins with the zone (one index less to write per booking).
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="bookings", verbose_name="zone", db_index=False
    )
    date = models.DateField("date")
    period = models.CharField("période", max_length=10, choices=Period.choices)
    day_fraction = models.DecimalField("fraction de journée", max_digits=3, decimal_places=2)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.REQUESTED)
    in_own_zone = models.BooleanField(
        "dans la zone d'exercice du médecin",
        default=False,
        help_text="Le médecin exerce déjà dans cette zone (R10) : à vérifier par l'ARS.",
    )

    requested_at = models.DateTimeField("demandée le", auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandée par",
    )
    confirmed_at = models.DateTimeField("confirmée le", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="confirmée par",
    )
    declined_at = models.DateTimeField("refusée le", null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="refusée par",
    )
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="annulée par",
    )
    reason = models.CharField("motif (refus ou annulation)", max_length=500, blank=True)
    late_cancellation = models.BooleanField("annulation tardive", default=False)
    attested_at = models.DateTimeField("attestée le", null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="attestée par",
    )
    consultations = models.PositiveSmallIntegerField("nombre de consultations", null=True, blank=True)
    corrected_at = models.DateTimeField("attestation corrigée le", null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="corrigée par",
    )
    correction_reason = models.CharField("motif de la correction", max_length=500, blank=True)

    # Replacement at the doctor's main practice for this day (the doctor declared one: Doctor.replacement_declared),
    # under a CNOM derogation. All three or none (a CHECK holds it).
    # `db_default`: rows written by raw SQL (the bench's bulk load and pgbench scripts) need not name them.
    replacement_name = models.CharField(
        "remplaçant (nom et prénom)", max_length=200, blank=True, default="", db_default=""
    )
    replacement_rpps = models.CharField(
        "n° RPPS du remplaçant", max_length=11, blank=True, default="", db_default="", validators=[validate_rpps]
    )
    derogation_requested_on = models.DateField("dérogation demandée au CNOM le", null=True, blank=True)

    # Claims of the background jobs: set once by a conditional UPDATE, so nothing is sent twice.
    reminder_d7_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_d1_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirm_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirm_alert_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    attest_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    attest_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "réservation"
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "date"],
                condition=Q(status__in=["requested", "confirmed", "completed"]),
                name="booking_one_active_per_doctor_per_date",
            ),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_valid"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="booking_period_valid"),
            models.CheckConstraint(
                condition=Q(day_fraction__in=[Decimal("0.5"), Decimal("1")]),
                name="booking_day_fraction_valid",
            ),
            models.CheckConstraint(
                condition=Q(consultations__isnull=True) | Q(status__in=["completed"]),
                name="booking_consultations_only_when_completed",
            ),
            models.CheckConstraint(
                condition=Q(replacement_name="", replacement_rpps="", derogation_requested_on__isnull=True)
                | (
                    ~Q(replacement_name="")
                    & Q(replacement_rpps__regex=r"^[0-9]{11}$")
                    & Q(derogation_requested_on__isnull=False)
                ),
                name="booking_replacement_all_or_none",
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "date"], name="booking_doctor_date_idx"),
            models.Index(fields=["slot", "status"], name="booking_slot_status_idx"),
            # Covering: the coverage sums (status, day fraction) and the doctors of a region through their bookings
            # (accounts.authority, the doctor in the leaves) read the index alone, not 94,000 rows of the table.
            models.Index(
                fields=["zone", "date"],
                include=["status", "day_fraction", "doctor"],
                name="booking_zone_date_cov_idx",
            ),
            models.Index(fields=["status", "date"], name="booking_status_date_idx"),
            # The default order (newest first) of the admin changelist and of ARS staff's API list.
            models.Index(fields=["-date", "-id"], name="booking_date_id_idx"),
            # The ARS dashboard's late cancellations of the last 30 days: 1 % of the bookings.
            models.Index(
                fields=["-cancelled_at"], condition=Q(late_cancellation=True), name="booking_late_cancelled_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} – {self.slot}"

    @classmethod
    def from_db(cls, db, field_names, values):
        # As Doctor.from_db: the doctor and zone the row held, for missions.doctor_regions' receivers.
        instance = super().from_db(db, field_names, values)
        instance._loaded_doctor_zone = (instance.__dict__.get("doctor_id"), instance.__dict__.get("zone_id"))
        return instance

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def has_replacement(self) -> bool:
        return bool(self.replacement_rpps)


class SlotOffer(models.Model):
    """A host site invited a doctor to one of its slots (« Proposer ce créneau »): once per slot and doctor."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="offers", verbose_name="créneau")
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="slot_offers", verbose_name="médecin")
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="proposé par",
    )
    offered_at = models.DateTimeField("proposé le", auto_now_add=True)

    class Meta:
        verbose_name = "invitation à un créneau"
        verbose_name_plural = "invitations à un créneau"
        constraints = [models.UniqueConstraint(fields=["slot", "doctor"], name="slotoffer_unique")]

    def __str__(self) -> str:
        return f"{self.doctor} – {self.slot}"


class ZoneMonth(models.Model):
    """The coverage of a zone in a month, precomputed (missions.coverage): what the ARS dashboard reads instead of
    summing the region's bookings of eleven months on every page. Written only by `missions.coverage.refresh`
    (the `coverage` job, every five minutes; until its first run the dashboard counts live),
    never by the booking services; `refreshed_at` is the figures' date, shown on the dashboard."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+", verbose_name="zone")
    month = models.DateField("mois")  # the 1st
    requested_days = models.DecimalField("jours demandés", max_digits=7, decimal_places=1, default=0)
    confirmed_days = models.DecimalField("jours confirmés", max_digits=7, decimal_places=1, default=0)
    completed_days = models.DecimalField("jours effectués", max_digits=7, decimal_places=1, default=0)
    consultations = models.PositiveIntegerField("consultations attestées", default=0)
    refreshed_at = models.DateTimeField("chiffres au")

    class Meta:
        verbose_name = "couverture d'une zone pour un mois"
        verbose_name_plural = "couvertures des zones par mois"
        constraints = [models.UniqueConstraint(fields=["zone", "month"], name="zonemonth_unique")]

    def __str__(self) -> str:
        return f"{self.zone} – {self.month:%m/%Y}"


class DoctorRegion(models.Model):
    """A region a doctor is « of » (accounts.authority: the ARS staff of that region see them): the region of their
    main practice, of a zone they cover, or of a zone they booked in. Derived, never edited: exactly that rule's
    result, kept by `missions.doctor_regions` (read there who writes it, and the nightly check that compares it
    with the rule recomputed from scratch). A stale row is a visibility bug, not a stale figure."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="+", verbose_name="médecin")
    # No index of its own: the unique (region, doctor) begins with it, and answers « the doctors of these
    # regions » from the index alone.
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", verbose_name="région", db_index=False
    )

    class Meta:
        verbose_name = "région d'un médecin"
        verbose_name_plural = "régions des médecins"
        constraints = [models.UniqueConstraint(fields=["region", "doctor"], name="doctorregion_unique")]

    def __str__(self) -> str:
        return f"{self.doctor_id} – {self.region_id}"
