"""factory-boy factories for every app. Each test builds what it reads; nothing here is shared mutable state."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from billing.models import Cpam, CpamMembership, FlatRate
from missions.models import Availability, Booking, Doctor
from sites.identifiers import with_luhn_key
from sites.models import (
    ArsMembership,
    Commune,
    Department,
    Epci,
    HostSite,
    Region,
    SiteMembership,
    Slot,
    Zone,
)

PASSWORD = "mot-de-passe-de-test-42"
ATTESTED = (Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


def paris_today() -> datetime.date:
    return timezone.localdate()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "84"
    name = "Auvergne-Rhône-Alpes"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{(n % 89) + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"Département {o.code}")
    region = factory.SubFactory(RegionFactory)
    cdom_name = factory.LazyAttribute(lambda o: f"CDOM {o.code}")
    cdom_email = factory.LazyAttribute(lambda o: f"cdom{o.code}@ordre.exemple.fr")


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Epci
        django_get_or_create = ["siren"]

    siren = factory.Sequence(lambda n: with_luhn_key(f"2{n:07d}"))
    name = factory.Sequence(lambda n: f"CC de la Vallée {n}")
    kind = "CC"


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ["insee_code"]

    department = factory.SubFactory(DepartmentFactory)
    insee_code = factory.LazyAttributeSequence(lambda o, n: f"{o.department.code}{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"Saint-Exemple-{n}")
    epci = factory.SubFactory(EpciFactory)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ["siren"]

    siren = factory.Sequence(lambda n: with_luhn_key(f"24{n:06d}"))
    name = factory.Sequence(lambda n: f"CC du Haut-Pays {n}")
    department = factory.SubFactory(DepartmentFactory)
    target_days_per_month = 8


class HostSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostSite

    name = factory.Sequence(lambda n: f"Maison de santé n° {n}")
    kind = HostSite.Kind.HEALTH_HOUSE
    zone = factory.SubFactory(ZoneFactory)
    commune = factory.SubFactory(CommuneFactory, department=factory.SelfAttribute("..zone.department"))
    address = "1 place de la Mairie"
    contact_email = factory.Sequence(lambda n: f"accueil{n}@lieu.exemple.fr")


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    site = factory.SubFactory(HostSiteFactory)
    zone = factory.SelfAttribute("site.zone")
    date = factory.LazyFunction(lambda: paris_today() + datetime.timedelta(days=14))
    period = "full_day"
    capacity = 1


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    rpps = factory.Sequence(lambda n: with_luhn_key(f"1{n:09d}"))
    first_name = factory.SelfAttribute("user.first_name")
    last_name = factory.SelfAttribute("user.last_name")
    sector = Doctor.Sector.SECTOR_1
    practice_commune = factory.SubFactory(CommuneFactory)
    practice_department = factory.SelfAttribute("practice_commune.department")
    cdom_department = factory.SelfAttribute("practice_commune.department")
    status = Doctor.Status.VALIDATED
    # Only states the services produce: a doctor who was never validated has no validation date; a status moved by
    # the ARS carries when it moved (the services stamp status_changed_at; who moved it is the test's business).
    validated_at = factory.LazyAttribute(
        lambda o: None if o.status in (Doctor.Status.SUBMITTED, Doctor.Status.REJECTED) else timezone.now()
    )
    status_changed_at = factory.LazyAttribute(lambda o: None if o.status == Doctor.Status.SUBMITTED else timezone.now())
    # The file's steps (issue #15): the RCP declared (the validation requires it), the CDOM not yet answered, the
    # dedicated number recorded when one is given.
    billing_number = ""
    insurance_status = Doctor.InsuranceStatus.DECLARED
    insurer = "MACSF"
    insurance_contract = factory.Sequence(lambda n: f"RCP-{n:06d}")
    insurance_covers_sites = True
    insurance_declared_at = factory.LazyFunction(timezone.now)
    billing_number_status = factory.LazyAttribute(
        lambda o: Doctor.BillingNumberStatus.RECORDED if o.billing_number else Doctor.BillingNumberStatus.AWAITED
    )

    class Params:
        uninsured = factory.Trait(
            insurance_status=Doctor.InsuranceStatus.MISSING,
            insurer="",
            insurance_contract="",
            insurance_covers_sites=False,
            insurance_declared_at=None,
        )
        cdom_authorised = factory.Trait(
            cdom_status=Doctor.CdomStatus.AUTHORISED, cdom_decided_at=factory.LazyFunction(timezone.now)
        )
        submitted = factory.Trait(status=Doctor.Status.SUBMITTED)
        rejected = factory.Trait(status=Doctor.Status.REJECTED, status_reason="Dossier incomplet")
        suspended = factory.Trait(status=Doctor.Status.SUSPENDED, status_reason="Contrôle en cours")
        withdrawn = factory.Trait(status=Doctor.Status.WITHDRAWN)

    @factory.post_generation
    def zones(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        if create and extracted:
            obj.zones.set(extracted)


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    doctor = factory.SubFactory(DoctorFactory)
    date = factory.LazyFunction(lambda: paris_today() + datetime.timedelta(days=14))
    period = "full_day"


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written directly (no rule checks): for tests that need a given state, not the booking path."""

    class Meta:
        model = Booking
        skip_postgeneration_save = True

    doctor = factory.SubFactory(DoctorFactory)
    slot = factory.SubFactory(SlotFactory)
    zone = factory.SelfAttribute("slot.zone")
    date = factory.SelfAttribute("slot.date")
    period = factory.SelfAttribute("slot.period")
    day_fraction = factory.LazyAttribute(lambda o: Decimal("1") if o.period == "full_day" else Decimal("0.5"))
    status = Booking.Status.REQUESTED
    # Only states the services produce: each status carries the stamps of the acts that led to it (a completed day
    # was confirmed, then attested with a number of consultations; a no-show has none).
    confirmed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in (Booking.Status.CONFIRMED, *ATTESTED) else None
    )
    attested_at = factory.LazyAttribute(lambda o: timezone.now() if o.status in ATTESTED else None)
    declined_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Booking.Status.DECLINED else None)
    cancelled_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Booking.Status.CANCELLED else None)
    consultations = factory.LazyAttribute(lambda o: 10 if o.status == Booking.Status.COMPLETED else None)

    class Params:
        confirmed = factory.Trait(status=Booking.Status.CONFIRMED)
        declined = factory.Trait(status=Booking.Status.DECLINED, reason="Locaux indisponibles")
        cancelled = factory.Trait(status=Booking.Status.CANCELLED, reason="Empêchement")
        completed = factory.Trait(status=Booking.Status.COMPLETED)
        no_show = factory.Trait(status=Booking.Status.NO_SHOW)

    @factory.post_generation
    def _zone_declared(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        """A doctor books only in zones they declared (the zone rule): so does a booking written here."""
        if create:
            obj.doctor.zones.add(obj.zone_id)


class SiteMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteMembership

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(HostSiteFactory)


class ArsMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArsMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    region = factory.SubFactory(RegionFactory)


class CpamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cpam
        django_get_or_create = ["department"]

    department = factory.SubFactory(DepartmentFactory)
    name = factory.LazyAttribute(lambda o: f"CPAM {o.department.name}")
    email = factory.LazyAttribute(lambda o: f"cpam{o.department.code}@assurance-maladie.exemple.fr")


class CpamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CpamMembership

    user = factory.SubFactory(UserFactory)
    cpam = factory.SubFactory(CpamFactory)


class FlatRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlatRate
        django_get_or_create = ["valid_from"]

    amount = Decimal("200.00")
    valid_from = datetime.date(2025, 9, 1)


# --- installation ------------------------------------------------------------------------------------------------


class ZonageDecreeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "installation.ZonageDecree"

    region = factory.SubFactory(RegionFactory)
    reference = factory.Sequence(lambda n: f"2025-17-{1000 + n}")
    valid_from = datetime.date(2026, 1, 1)


class CommuneZonageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "installation.CommuneZonage"

    decree = factory.SubFactory(ZonageDecreeFactory)
    commune = factory.SubFactory(CommuneFactory)
    kind = "zip"


class AidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "installation.Aid"

    key = factory.Sequence(lambda n: f"aide-{n}")
    name = factory.Sequence(lambda n: f"Aide à l'installation {n}")
    payer = "Assurance Maladie"
    amount = "10 000 €"
    zone_kinds = factory.LazyFunction(lambda: ["zip"])
    valid_from = datetime.date(2026, 1, 1)
    source_title = "ameli.fr"
    source_url = "https://www.ameli.fr/"
    source_consulted_on = datetime.date(2026, 12, 3)
    confidence = "confirme"
    catalogue_version = "2026-12-03"


class InstallationReferentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "installation.InstallationReferent"

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Faker("name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"referent{n}@ars.exemple.fr")


class InstallationLeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "installation.InstallationLead"

    doctor = factory.SubFactory(DoctorFactory)
    zone = factory.SubFactory(ZoneFactory)
    department = factory.LazyAttribute(lambda o: o.zone.department)
    message = "Je souhaite en savoir plus."
