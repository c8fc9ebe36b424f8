"""Settling in under-served places: the doctors' zonage per commune (from each ARS arrêté, dated), the catalogue of
installation aids (dated, sourced data), the ARS installation referents of each department, and the leads of
volunteers who want to know more about settling somewhere.

The zonage in force on a date D, for a region, is the arrêté with the latest `valid_from` ≤ D whose `valid_until`
(when set) is ≥ D: a new arrêté replaces the old one at its date, and the old one stays, with its lines, for the
history (installation.queries)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class ZonageKind(models.TextChoices):
    """The classes of the doctors' zonage (article L. 1434-4 of the code de la santé publique)."""

    ZIP = "zip", "Zone d'intervention prioritaire (ZIP)"
    ZAC = "zac", "Zone d'action complémentaire (ZAC)"
    ZV = "zv", "Zone de vigilance (ZV)"
    HZ = "hz", "Hors zonage"


class ZonageDecree(models.Model):
    """One ARS arrêté of the doctors' zonage: its reference, its region and the dates it is in force."""

    region = models.ForeignKey(
        "sites.Region", on_delete=models.PROTECT, related_name="zonage_decrees", verbose_name="région"
    )
    reference = models.CharField("référence de l'arrêté", max_length=100)
    title = models.CharField("intitulé", max_length=300, blank=True)
    valid_from = models.DateField("en vigueur à partir du")
    valid_until = models.DateField("en vigueur jusqu'au", null=True, blank=True)
    source_url = models.URLField("source (adresse)", max_length=500, blank=True)
    file_name = models.CharField("fichier chargé", max_length=255, blank=True)
    loaded_at = models.DateTimeField("chargé le", auto_now_add=True)
    loaded_by = models.CharField("chargé par", max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "arrêté de zonage"
        verbose_name_plural = "arrêtés de zonage"
        ordering = ["region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "reference"], name="zonagedecree_reference_unique"),
            models.UniqueConstraint(fields=["region", "valid_from"], name="zonagedecree_one_per_start"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="zonagedecree_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Arrêté {self.reference} (à partir du {self.valid_from:%d/%m/%Y})"


class CommuneZonage(models.Model):
    """The class of one commune in one arrêté. `qpv`: the line is that of a quartier prioritaire de la politique de
    la ville of the commune (the older national format's `3_QPV_ZIP`, `4_QPV_ZAC`)."""

    Kind = ZonageKind

    decree = models.ForeignKey(ZonageDecree, on_delete=models.CASCADE, related_name="lines", verbose_name="arrêté")
    commune = models.ForeignKey(
        "sites.Commune", on_delete=models.PROTECT, related_name="zonages", verbose_name="commune"
    )
    kind = models.CharField("zonage", max_length=3, choices=Kind.choices)
    qpv = models.BooleanField("quartier prioritaire (QPV)", default=False)
    territory = models.CharField("territoire de vie-santé", max_length=200, blank=True)

    class Meta:
        verbose_name = "zonage d'une commune"
        verbose_name_plural = "zonages des communes"
        ordering = ["decree", "commune__name"]
        constraints = [
            models.UniqueConstraint(fields=["decree", "commune", "qpv"], name="communezonage_one_per_decree"),
            models.CheckConstraint(condition=Q(kind__in=ZonageKind.values), name="communezonage_kind_valid"),
        ]
        indexes = [models.Index(fields=["commune", "decree"], name="communezonage_commune_idx")]

    def __str__(self) -> str:
        return f"{self.commune} : {self.get_kind_display()}{' (QPV)' if self.qpv else ''}"


class Confidence(models.TextChoices):
    CONFIRMED = "confirme", "Confirmé par la source officielle"
    DISAGREE = "divergent", "Sources divergentes"
    TO_CHECK = "a_verifier", "À vérifier"


class Aid(models.Model):
    """One installation aid of the catalogue (data/installation/aides.toml), as published, with its source.

    `zone_kinds` lists the zonage classes it applies to (« zip », « zac », « qpv » for a quartier prioritaire, « any »
    when it does not depend on the zonage). `valid_until` is the last day the aid can be obtained (signed or
    asked for); running contracts may continue beyond it (said in `conditions`)."""

    key = models.SlugField("identifiant", max_length=60, unique=True)
    name = models.CharField("nom", max_length=200)
    payer = models.CharField("qui paie", max_length=200)
    amount = models.CharField("montant", max_length=300)
    amount_variation = models.TextField("comment le montant varie", blank=True)
    conditions = models.TextField("conditions", blank=True)
    zone_kinds = models.JSONField("zonages concernés", default=list)
    region = models.ForeignKey(
        "sites.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="aids",
        verbose_name="région",
        help_text="Vide : aide nationale.",
    )
    valid_from = models.DateField("ouverte à partir du", null=True, blank=True)
    valid_until = models.DateField("ouverte jusqu'au", null=True, blank=True)
    source_title = models.CharField("source (document)", max_length=300)
    source_url = models.URLField("source (adresse)", max_length=500)
    source_consulted_on = models.DateField("source consultée le")
    confidence = models.CharField("fiabilité", max_length=12, choices=Confidence.choices)
    confidence_note = models.TextField("note sur les sources", blank=True)
    catalogue_version = models.CharField("version du catalogue", max_length=20)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "aide à l'installation"
        verbose_name_plural = "aides à l'installation"
        ordering = ["name", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(confidence__in=Confidence.values), name="aid_confidence_valid"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="aid_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InstallationReferent(models.Model):
    """The ARS's installation referent for a department: told of each lead of the department."""

    department = models.ForeignKey(
        "sites.Department", on_delete=models.PROTECT, related_name="installation_referents", verbose_name="département"
    )
    name = models.CharField("nom", max_length=200)
    email = models.EmailField("e-mail")
    phone = models.CharField("téléphone", max_length=30, blank=True)
    active = models.BooleanField("actif", default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "référent installation"
        verbose_name_plural = "référents installation"
        ordering = ["department__code", "name"]
        constraints = [models.UniqueConstraint(fields=["department", "email"], name="referent_unique_per_department")]

    def __str__(self) -> str:
        return f"{self.name} ({self.department.code})"


class LeadStatus(models.TextChoices):
    NEW = "new", "Nouveau"
    CONTACTED = "contacted", "Contacté"
    PLANNING = "planning", "En projet"
    INSTALLED = "installed", "Installé"
    ABANDONED = "abandoned", "Abandonné"


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.PLANNING)


class InstallationLead(models.Model):
    """A volunteer wants to know more about settling in a zone or a commune; the department's referent follows it."""

    Status = LeadStatus

    doctor = models.ForeignKey(
        "missions.Doctor", on_delete=models.PROTECT, related_name="installation_leads", verbose_name="médecin"
    )
    zone = models.ForeignKey(
        "sites.Zone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="installation_leads",
        verbose_name="zone",
    )
    commune = models.ForeignKey(
        "sites.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="installation_leads",
        verbose_name="commune",
    )
    department = models.ForeignKey(
        "sites.Department", on_delete=models.PROTECT, related_name="installation_leads", verbose_name="département"
    )
    message = models.TextField("message", blank=True)
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField("reçue le", auto_now_add=True)
    contacted_at = models.DateTimeField("contacté le", null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField("note de suivi", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "demande d'installation"
        verbose_name_plural = "demandes d'installation"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(zone__isnull=False) | Q(commune__isnull=False), name="lead_names_a_place"
            ),
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_valid"),
            # One open lead per doctor and place: a second click finds the first.
            models.UniqueConstraint(
                fields=["doctor", "zone"],
                condition=Q(status__in=OPEN_LEAD_STATUSES, zone__isnull=False, commune__isnull=True),
                name="lead_one_open_per_zone",
            ),
            models.UniqueConstraint(
                fields=["doctor", "commune"],
                condition=Q(status__in=OPEN_LEAD_STATUSES, commune__isnull=False),
                name="lead_one_open_per_commune",
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="lead_department_status_idx")]

    def __str__(self) -> str:
        return f"{self.doctor} – {self.place_name}"

    @property
    def place_name(self) -> str:
        if self.commune is not None:
            return self.commune.name
        return self.zone.name if self.zone is not None else ""
