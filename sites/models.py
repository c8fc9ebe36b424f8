"""Territory (regions, departments, communes, EPCI, zones) and hosting (host sites, their staff, their slots)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.words import at_place, joined
from sites.identifiers import validate_finess, validate_insee_code, validate_siren


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, unique=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.CharField("code", max_length=3, unique=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name="région")
    cdom_name = models.CharField("CDOM", max_length=200, blank=True)
    cdom_email = models.EmailField("e-mail du CDOM", blank=True)
    cdom_phone = models.CharField("téléphone du CDOM", max_length=30, blank=True)
    cdom_address = models.CharField("adresse du CDOM", max_length=300, blank=True)

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Epci(models.Model):
    """An intercommunalité of the reference data (INSEE). A Zone is an EPCI chosen by the ARS."""

    siren = models.CharField("SIREN", max_length=9, unique=True, validators=[validate_siren])
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=10, blank=True)
    population = models.PositiveIntegerField("population", null=True, blank=True)

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    insee_code = models.CharField("code INSEE", max_length=5, unique=True, validators=[validate_insee_code])
    name = models.CharField("nom", max_length=150)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="communes", verbose_name="département"
    )
    epci = models.ForeignKey(
        Epci, on_delete=models.SET_NULL, null=True, blank=True, related_name="communes", verbose_name="EPCI"
    )
    population = models.PositiveIntegerField("population", null=True, blank=True)
    postcodes = models.CharField("codes postaux", max_length=100, blank=True)

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="commune_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"

    @property
    def choice(self) -> str:
        """How a person picks it in a form: its name and first postcode (or INSEE code), « Ambert (63600) »."""
        postcodes = self.postcodes.split()
        return f"{self.name} ({postcodes[0] if postcodes else self.insee_code})"


class Zone(models.Model):
    """A priority zone (« zone rouge ») of the mission: one EPCI, identified by its SIREN."""

    siren = models.CharField("SIREN de l'EPCI", max_length=9, unique=True, validators=[validate_siren])
    name = models.CharField("nom", max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="zones", verbose_name="département"
    )
    active = models.BooleanField("active", default=True)
    target_days_per_month = models.PositiveSmallIntegerField("objectif de jours-médecin par mois", default=8)

    class Meta:
        verbose_name = "zone"
        ordering = ["department__code", "name"]

    def __str__(self) -> str:
        return self.name


class HostSiteKind(models.TextChoices):
    HEALTH_CENTRE = "centre_de_sante", "Centre de santé"
    HEALTH_HOUSE = "maison_de_sante", "Maison de santé"
    NURSING_HOME = "ehpad", "EHPAD"
    HOSPITAL = "centre_hospitalier", "Centre hospitalier"
    TOWN_PREMISES = "local_communal", "Local communal"
    OTHER = "autre", "Autre"


class HostSite(models.Model):
    Kind = HostSiteKind

    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type de lieu", max_length=30, choices=Kind.choices, default=Kind.OTHER)
    finess = models.CharField(
        "n° FINESS", max_length=9, unique=True, null=True, blank=True, validators=[validate_finess]
    )
    address = models.CharField("adresse", max_length=300, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="host_sites", verbose_name="commune")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="host_sites", verbose_name="zone")
    contact_name = models.CharField("contact", max_length=200, blank=True)
    contact_email = models.EmailField("e-mail du contact", blank=True)
    contact_phone = models.CharField("téléphone du contact", max_length=30, blank=True)
    equipment_notes = models.TextField("équipement", blank=True)
    lodging_notes = models.TextField("hébergement", blank=True)
    # The practical pack a doctor receives with each booking (besides the address, contact and notes above).
    premises_fee = models.DecimalField(
        "redevance pour le local (€ par jour)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Certaines communes facturent le local au médecin. Vide : le local est mis à disposition sans frais.",
    )
    # `db_default`: rows written by raw SQL (the bench's bulk load) need not name them.
    sesam_vitale_reader = models.BooleanField(
        "lecteur de carte Vitale (SESAM-Vitale) sur place",
        default=False,
        db_default=False,
        help_text="Sinon, le médecin apporte le sien ou utilise des feuilles de soins papier.",
    )
    software = models.CharField("logiciel médical sur place", max_length=200, blank=True, default="", db_default="")
    active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "lieu d'accueil"
        verbose_name_plural = "lieux d'accueil"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=HostSiteKind.values), name="hostsite_kind_valid"),
            models.CheckConstraint(condition=~Q(finess=""), name="hostsite_finess_null_not_blank"),
            models.CheckConstraint(
                condition=Q(premises_fee__isnull=True) | Q(premises_fee__gt=0), name="hostsite_premises_fee_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.finess == "":
            self.finess = None
        super().save(*args, **kwargs)

    @property
    def at_name(self) -> str:
        """« à » and the site's name, with the article it needs: « au Centre de santé de Thiers » (core.words)."""
        return at_place(self.name)

    @property
    def postal_address(self) -> str:
        """« 1 place de la Mairie, 43100 Brioude »: the street address when there is one, postcode and commune.
        No orphan comma when the street is missing (reads the commune: select it with the site)."""
        commune = self.commune
        postcode = (commune.postcodes or "").replace(",", " ").split()
        town = f"{postcode[0]} {commune.name}" if postcode else commune.name
        return joined(self.address, town)


class ArsMembership(models.Model):
    """An ARS staff member (is_staff) works for one or more regions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ars_memberships",
        verbose_name="agent",
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="ars_memberships", verbose_name="région")

    class Meta:
        verbose_name = "agent ARS"
        verbose_name_plural = "agents ARS"
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="arsmembership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.region}"


class SiteMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="site_memberships",
        verbose_name="personne",
    )
    site = models.ForeignKey(HostSite, on_delete=models.CASCADE, related_name="memberships", verbose_name="lieu")

    class Meta:
        verbose_name = "membre d'un lieu d'accueil"
        verbose_name_plural = "membres des lieux d'accueil"
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="sitemembership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.site}"


class Period(models.TextChoices):
    FULL_DAY = "full_day", "Journée"
    MORNING = "morning", "Matin"
    AFTERNOON = "afternoon", "Après-midi"


def day_fraction_of(period: str) -> Decimal:
    """A full day counts 1, a half-day 0.5 (for the monthly cap and for the flat rate)."""
    return Decimal("1") if period == Period.FULL_DAY else Decimal("0.5")


class SlotStatus(models.TextChoices):
    OPEN = "open", "Ouvert"
    CLOSED = "closed", "Fermé"


class Slot(models.Model):
    """A day (or half-day) a host site can welcome doctors. `zone` is denormalised from the site for search."""

    Status = SlotStatus

    site = models.ForeignKey(HostSite, on_delete=models.PROTECT, related_name="slots", verbose_name="lieu")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="slots", verbose_name="zone")
    date = models.DateField("date")
    period = models.CharField("période", max_length=10, choices=Period.choices, default=Period.FULL_DAY)
    capacity = models.PositiveSmallIntegerField("places", default=1)
    note = models.CharField("note", max_length=500, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
    )
    closed_at = models.DateTimeField("fermé le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="fermé par",
    )
    closed_reason = models.CharField("motif de fermeture", max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "créneau"
        verbose_name_plural = "créneaux"
        ordering = ["date", "site__name", "period"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_at_least_one"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="slot_period_valid"),
            models.CheckConstraint(condition=Q(status__in=["open", "closed"]), name="slot_status_valid"),
            models.UniqueConstraint(
                fields=["site", "date", "period"],
                condition=Q(status="open"),
                name="slot_one_open_per_site_period",
            ),
        ]
        indexes = [
            models.Index(fields=["zone", "date"], name="slot_zone_date_idx"),
            models.Index(fields=["site", "date"], name="slot_site_date_idx"),
            models.Index(fields=["date"], name="slot_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.site} – {self.date:%d/%m/%Y} ({self.get_period_display()})"

    @property
    def day_fraction(self) -> Decimal:
        return day_fraction_of(self.period)
