"""A believable month of activity on top of the reference data, for demonstrations and for trying the product.

It lives in `operations`, at the top of the dependency chain, because it touches every app. Everything goes
through the services (registration, validation, slots, bookings, attestations), so the demo obeys the rules;
the only rows written directly are the *past* slots and bookings, which the rules rightly refuse to create.

Deterministic (seeded random generators, one per thing planned) and idempotent: every object is keyed by a
natural key (e-mail, RPPS, site and date, doctor and slot); running it again the same day creates nothing.
The messages the services enqueue stay in the outbox, `held`: nothing is relayed while seeding, nor later (the
first request after `make run` used to relay the demo's hundreds of messages inside itself).
"""

import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.authority import ensure_ars_group
from accounts.models import User
from accounts.second_factor import DEVICE_NAME, base32_secret
from billing import services as billing
from billing.models import Cpam, CpamMembership, Statement, StatementStatus
from core.errors import RuleViolation
from core.history import set_history_user
from core.words import counted
from installation.models import CommuneZonage, InstallationLead, InstallationReferent, ZonageDecree, ZonageKind
from installation.queries import zone_communes
from installation.services import ask_about
from missions import doctor_file
from missions import services as missions
from missions.models import Booking, Doctor
from missions.registration import Registration
from missions.rules import Replacement
from notifications.models import Message
from notifications.outbox import relay_held
from operations.reference import load_reference_data
from planning.models import Plan
from planning.services import propose_plan
from sites.identifiers import with_luhn_key
from sites.models import ArsMembership, Commune, HostSite, Period, Region, SiteMembership, Slot, Zone
from sites.services import publish_slots, recurring_dates

SEED = 2026
UPCOMING = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)
DEMO_PASSWORD = "mission-solidaire-2026"
# The second factor of the demo ARS and admin accounts: a published TOTP secret (20 bytes, hex), demo only.
DEMO_TOTP_KEY = b"demo-mission-2026-ok".hex()
DOCTOR_COUNT = 60
FUTURE_DAYS = 90
PLAN_SECONDS = 1.0  # the optimiser's time limit for the demo's plan: short (seed_demo is part of `make run`)
PAST_MONTHS = 2  # the past activity covers the two months before the current one (and its days gone)

FIRST_NAMES = [
    "Camille", "Julien", "Sophie", "Nicolas", "Claire", "Thomas", "Isabelle", "Antoine", "Nathalie", "Pierre",
    "Émilie", "François", "Hélène", "Mathieu", "Aurélie", "Olivier", "Céline", "Laurent", "Anne", "Guillaume",
    "Marion", "Sébastien", "Élodie", "Vincent", "Caroline", "Jérôme", "Sandrine", "Benoît", "Juliette", "Étienne",
    "Lucie", "Arnaud", "Pauline", "Christophe", "Agnès", "Frédéric", "Manon", "Damien", "Valérie", "Hugo",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
    "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
    "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy",
    "Chabert", "Vidal", "Brun", "Collet", "Barbier", "Arnaud", "Giraud", "Perrier", "Charbonnier", "Favre",
]  # fmt: skip
SPECIALTIES = [("Médecine générale", 14), ("Pédiatrie", 1), ("Gynécologie médicale", 1), ("Psychiatrie", 1)]
SECTORS = [
    (Doctor.Sector.SECTOR_1, 12),
    (Doctor.Sector.SECTOR_2_OPTAM, 4),
    (Doctor.Sector.SECTOR_2, 3),
    (Doctor.Sector.NOT_CONVENTIONED, 1),
]
MODES = [(Doctor.Mode.LIBERAL, 11), (Doctor.Mode.RETIRED, 5), (Doctor.Mode.SALARIED, 2), (Doctor.Mode.LOCUM, 2)]

# The status each demo doctor ends in, by number (medecin-1 … medecin-60).
STATUS_PLAN = (
    [Doctor.Status.VALIDATED] * 44
    + [Doctor.Status.SUSPENDED] * 4
    + [Doctor.Status.SUBMITTED] * 6
    + [Doctor.Status.REJECTED] * 3
    + [Doctor.Status.WITHDRAWN] * 3
)
# Insurers of doctors' professional liability (RCP) in France, for the demo's files.
INSURERS = ["MACSF", "La Médicale", "Groupe Pasteur Mutualité", "Hiscox", "AXA"]

SUSPENSION_REASONS = [
    "Carte CPS expirée : en attente de renouvellement.",
    "Deux absences non signalées : entretien prévu avec l'ARS.",
]
REJECTION_REASONS = [
    "Inscription au tableau de l'Ordre non confirmée par le CDOM.",
    "Dossier incomplet : attestation d'assurance en responsabilité civile professionnelle manquante.",
]
DECLINE_REASONS = [
    "Cabinet de consultation indisponible ce jour-là (travaux).",
    "Secrétariat absent : nous ne pourrons pas organiser les rendez-vous.",
]
CANCEL_REASONS = ["Empêchement personnel.", "Garde imprévue au cabinet.", "Formation obligatoire ce jour-là."]
SITE_CANCEL_REASONS = ["Fermeture exceptionnelle du lieu.", "Coupure d'électricité annoncée dans le bâtiment."]

# Future bookings: what becomes of each (weights).
FUTURE_OUTCOMES = [("requested", 30), ("confirmed", 45), ("declined", 8), ("cancelled", 12), ("site_cancelled", 5)]
# Past slots: what happened (weights); « unattested » only in the last week (the site has not attested yet).
PAST_OUTCOMES = [
    ("none", 25),
    ("completed", 52),
    ("no_show", 5),
    ("cancelled", 8),
    ("declined", 4),
    ("unattested", 6),
]


def _rng(*key: object) -> random.Random:
    """One generator per planned thing, seeded by its natural key: plans do not shift when others change."""
    return random.Random(":".join([str(SEED), *map(str, key)]))


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class DemoReport:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, detail)
    password: str = DEMO_PASSWORD
    totp_secret: str = ""
    created: dict[str, int] = field(
        default_factory=lambda: defaultdict(int)
    )  # « créneau(x) passé(s) »: core.words.counted

    def summary(self) -> str:
        """« 1 médecin, 12 créneaux… »: each count with its words in the right number, or « rien de nouveau »."""
        return ", ".join(counted("{count} " + what, count) for what, count in self.created.items() if count) or (
            "rien de nouveau"
        )


@dataclass
class Demo:
    """One seeding run: who acts, what exists, what was created."""

    today: date
    report: DemoReport
    password_hash: str
    region: Region = field(init=False)  # set first thing by the run (its region), then by people()
    ars: User = field(init=False)
    site_users: dict[int, User] = field(default_factory=dict)  # host site id → its demo member
    cpam_users: dict[int, User] = field(default_factory=dict)  # department id → its CPAM's demo agent
    sites: list[HostSite] = field(default_factory=list)

    # --- people ------------------------------------------------------------------------------------------

    def user(self, email: str, first_name: str, last_name: str, **flags) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first_name, "last_name": last_name, "password": self.password_hash, **flags},
        )
        if created:
            self.report.created["compte(s)"] += 1
        return user

    def people(self) -> None:
        admin = self.user("admin@demo.fr", "Alice", "Administratrice", is_staff=True, is_superuser=True)
        self.report.logins.append(("Administrateur (tous les droits)", admin.email, ""))

        self.ars = self.user("ars@demo.fr", "Bertrand", "Agent ARS", is_staff=True)
        ArsMembership.objects.get_or_create(user=self.ars, region=self.region)
        self.ars.groups.add(ensure_ars_group())
        for user in (admin, self.ars):
            # ARS staff and superusers need a second factor: the demo gives them a device with a published secret.
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name=DEVICE_NAME, defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
            )
            self.report.totp_secret = base32_secret(device)
        self.report.logins.append(("Équipe ARS (console /admin/)", self.ars.email, self.region.name))

        self.sites = list(
            HostSite.objects.filter(zone__department__region=self.region)
            .select_related("zone", "commune")
            .order_by("commune__insee_code", "name")
        )
        for n, site in enumerate(self.sites, start=1):
            rng = _rng("site-user", site.name)
            user = self.user(f"lieu-{n}@demo.fr", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES) + " (accueil)")
            SiteMembership.objects.get_or_create(user=user, site=site)
            self.site_users[site.pk] = user
            self.report.logins.append(("Lieu d'accueil", user.email, f"{site.name} ({site.commune.name})"))

        for cpam in Cpam.objects.filter(department__region=self.region).select_related("department"):
            rng = _rng("cpam-user", cpam.department.code)
            user = self.user(
                f"cpam-{cpam.department.code.lower()}@demo.fr", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            )
            CpamMembership.objects.get_or_create(user=user, cpam=cpam)
            self.cpam_users[cpam.department_id] = user
            self.report.logins.append(("Agent CPAM", user.email, cpam.name))

    # --- doctors ------------------------------------------------------------------------------------------

    def doctors(self) -> None:
        zones = list(Zone.objects.filter(department__region=self.region, active=True).order_by("siren"))
        zone_sites = {site.zone_id: site for site in self.sites}
        towns = list(
            Commune.objects.filter(department__region=self.region, population__gte=8000)
            .select_related("department", "epci")
            .order_by("insee_code")
        )
        zone_towns = {zone_id: site.commune for zone_id, site in zone_sites.items()}
        hosting = [zone for zone in zones if zone.pk in zone_sites]  # zones with a host site: slots to book
        # Validated volunteers practise in every department in turn: each CPAM agent has doctors to pay and numbers
        # to record.
        departments = sorted({town.department_id for town in towns})
        names = [(first, last) for last in LAST_NAMES for first in FIRST_NAMES]
        _rng("names").shuffle(names)
        first_by_status: dict[str, str] = {}

        for n, target in enumerate(STATUS_PLAN, start=1):
            rpps = with_luhn_key(f"109{n:07d}")
            email = f"medecin-{n}@demo.fr"
            first_name, last_name = names[n - 1]
            first_by_status.setdefault(target, email)
            if Doctor.objects.filter(rpps=rpps).exists():
                continue
            rng = _rng("doctor", rpps)
            if n % 11 == 0 and zone_towns:
                # Some volunteers practise inside a zone: their bookings there carry the R10 warning.
                zone_id = sorted(zone_towns)[(n // 11) % len(zone_towns)]
                commune = Commune.objects.select_related("department").get(pk=zone_towns[zone_id].pk)
            elif target == Doctor.Status.VALIDATED:
                department_id = departments[(n - 1) % len(departments)]
                commune = rng.choice([town for town in towns if town.department_id == department_id])
            else:
                commune = rng.choice(towns)
            near = [z for z in zones if z.department_id == commune.department_id]
            covered = set(rng.sample(zones, rng.randint(1, 3)))
            if near and rng.random() < 0.7:
                covered.add(rng.choice(near))
            if n % 11 == 0 and zone_towns:
                covered.add(next(z for z in zones if z.pk == zone_id))
            if hosting and not covered & set(hosting):
                covered.add(rng.choice(hosting))  # every volunteer has somewhere to go
            # Registration hashes the password: hash with a cheap hasher there, then store one real hash for all
            # demo accounts (60 PBKDF2 hashes would take most of a minute).
            with cheap_password_hashing():
                doctor = missions.register_doctor(
                    Registration(
                        email=email,
                        password=DEMO_PASSWORD,
                        first_name=first_name,
                        last_name=last_name,
                        rpps=rpps,
                        specialty=_weighted(rng, SPECIALTIES),
                        sector=_weighted(rng, SECTORS),
                        mode=_weighted(rng, MODES),
                        practice_commune=commune,
                        phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                        zones=sorted(covered, key=lambda z: z.siren),
                        replacement_declared=rng.random() < 0.2,
                    )
                )
            assert doctor is not None, "a registration that is not discreet creates its doctor or raises"
            User.objects.filter(pk=doctor.user_id).update(password=self.password_hash)
            # The last application's CDOM said no: the ARS sees a file at each step of its dashboard.
            last_submitted = len(STATUS_PLAN) - STATUS_PLAN[::-1].index(Doctor.Status.SUBMITTED)
            self.move_doctor(doctor, target, rng, cdom_refuses=n == last_submitted)
            self.backdate_doctor(doctor, target, rng)
            self.report.created["médecin(s)"] += 1

        labels = dict(Doctor.Status.choices)
        for status, email in first_by_status.items():
            self.report.logins.append((f"Médecin ({labels[status].lower()})", email, ""))

    def move_doctor(self, doctor: Doctor, target: str, rng: random.Random, *, cdom_refuses: bool = False) -> None:
        """Through the lifecycle services, as ARS staff (or the doctor) would. The file's steps first: most doctors
        have declared their RCP insurance (required for the validation) and most CDOM have answered."""
        if target != Doctor.Status.SUBMITTED or rng.random() < 0.5:
            insurer = rng.choice(INSURERS)
            contract = f"{insurer[:4].upper()}-{rng.randint(10**6, 10**7 - 1)}"
            doctor = doctor_file.declare_insurance(
                doctor, doctor_file.Insurance(insurer, contract, True), by=doctor.user
            )
        if cdom_refuses:
            doctor = doctor_file.record_cdom_decision(
                doctor, authorised=False, reason="Inscription au tableau en cours de transfert.", by=self.ars
            )
        elif target != Doctor.Status.SUBMITTED or rng.random() < 0.3:
            doctor = doctor_file.record_cdom_decision(doctor, authorised=True, by=self.ars)
        if target in (Doctor.Status.VALIDATED, Doctor.Status.SUSPENDED, Doctor.Status.WITHDRAWN):
            doctor = missions.validate_doctor(doctor, by=self.ars)
            if rng.random() < 0.8:  # most new CPS cards have arrived; the others are followed up
                doctor = doctor_file.declare_cps_card(doctor, by=doctor.user)
        if target == Doctor.Status.SUSPENDED:
            missions.suspend_doctor(doctor, by=self.ars, reason=rng.choice(SUSPENSION_REASONS))
        elif target == Doctor.Status.REJECTED:
            missions.reject_doctor(doctor, by=self.ars, reason=rng.choice(REJECTION_REASONS))
        elif target == Doctor.Status.WITHDRAWN:
            missions.withdraw_doctor(doctor, by=doctor.user, reason="Je ne suis plus disponible cette année.")

    def backdate_doctor(self, doctor: Doctor, target: str, rng: random.Random) -> None:
        """Spread registrations over the past weeks (a new application is a few days old)."""
        now = timezone.now()
        if target == Doctor.Status.SUBMITTED:
            submitted = now - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 9))
            Doctor.objects.filter(pk=doctor.pk).update(submitted_at=submitted)
            return
        # Validated before the first month of past activity (the month before last).
        submitted = now - timedelta(days=rng.randint(110, 140), hours=rng.randint(0, 9))
        validated = submitted + timedelta(days=rng.randint(2, 10))
        updates = {"submitted_at": submitted}
        if target != Doctor.Status.REJECTED:
            updates["validated_at"] = validated
        Doctor.objects.filter(pk=doctor.pk).update(**updates)

    # --- slots ---------------------------------------------------------------------------------------------

    @staticmethod
    def weekdays(index: int) -> tuple[set[int], int]:
        """The weekdays a site hosts full days, and the weekday of its half-day (afternoon)."""
        return {index % 5, (index + 2) % 5}, (index + 4) % 5

    def future_slots(self) -> None:
        start, end = self.today + timedelta(days=1), self.today + timedelta(days=FUTURE_DAYS)
        for index, site in enumerate(self.sites):
            if not site.active:
                continue
            full_days, half_day = self.weekdays(index)
            by = self.site_users[site.pk]
            capacity = 2 if index % 3 == 0 else 1
            dates = recurring_dates(start, end, full_days)
            if index < 2:
                # A slot tomorrow / the day after at two sites: room for a last-minute booking and a late cancellation.
                dates.append(start + timedelta(days=index))
            result = publish_slots(site=site, dates=dates, period=Period.FULL_DAY, capacity=capacity, by=by)
            self.report.created["créneau(x)"] += len(result.created)
            result = publish_slots(
                site=site,
                dates=recurring_dates(start, end, {half_day}),
                period=Period.AFTERNOON,
                note="Consultations sans rendez-vous l'après-midi.",
                by=by,
            )
            self.report.created["créneau(x)"] += len(result.created)

    # --- past activity (written directly: the rules refuse the past) -------------------------------------

    def past_activity(self, validated: list[Doctor]) -> None:
        first = months_back(self.today, PAST_MONTHS)  # first day of the month before last
        last = self.today - timedelta(days=1)
        if last < first:
            return
        covering: dict[int, list[Doctor]] = defaultdict(list)
        for doctor in validated:
            for zone in doctor.zones.all():
                covering[zone.pk].append(doctor)
        for index, site in enumerate(self.sites):
            full_days, _ = self.weekdays(index)
            site_user = self.site_users[site.pk]
            for day in recurring_dates(first, last, full_days):
                slot, created = Slot.objects.get_or_create(
                    site=site,
                    date=day,
                    period=Period.FULL_DAY,
                    status=Slot.Status.OPEN,
                    defaults={"zone_id": site.zone_id, "capacity": 1, "created_by": site_user},
                )
                if created:
                    Slot.objects.filter(pk=slot.pk).update(created_at=_at(day - timedelta(days=30), 9))
                    self.report.created["créneau(x) passé(s)"] += 1
                if slot.bookings.exists():
                    continue
                rng = _rng("past", site.name, day.isoformat())
                outcome = _weighted(rng, PAST_OUTCOMES)
                candidates = covering.get(site.zone_id, [])
                if outcome == "none" or not candidates:
                    continue
                if outcome == "unattested" and (self.today - day).days > 7:
                    outcome = "completed"
                doctor = rng.choice(candidates)
                consultations = rng.randint(6, 22)
                if not self._may_book(doctor, day, slot.day_fraction):
                    continue
                self.past_booking(doctor, slot, site_user, outcome, consultations, rng)

    def a_day_to_attest_everywhere(self, validated: list[Doctor]) -> None:
        """Every site's demo account has a day to attest: the latest past slot of the week gone, if none is."""
        since = self.today - timedelta(days=7)
        for site in self.sites:
            waiting = Booking.objects.filter(slot__site=site, status=Booking.Status.CONFIRMED, date__lt=self.today)
            if waiting.exists():
                continue
            free = Slot.objects.filter(site=site, date__range=(since, self.today - timedelta(days=1)), bookings=None)
            slot = free.order_by("-date").first()
            if slot is None:  # every day of the week gone is taken: a morning the site opened, two days ago
                slot, _ = Slot.objects.get_or_create(
                    site=site,
                    date=self.today - timedelta(days=2),
                    period=Period.MORNING,
                    status=Slot.Status.OPEN,
                    defaults={"zone_id": site.zone_id, "capacity": 1, "created_by": self.site_users[site.pk]},
                )
                if slot.bookings.exists():
                    continue
            rng = _rng("to-attest", site.name, slot.date.isoformat())
            for doctor in [d for d in validated if site.zone_id in {z.pk for z in d.zones.all()}]:
                if self._may_book(doctor, slot.date, slot.day_fraction):
                    self.past_booking(doctor, slot, self.site_users[site.pk], "unattested", 0, rng)
                    break

    def worked_every_month(self, validated: list[Doctor]) -> None:
        """Each validated volunteer worked (an attested day) in each past month of the demo: their earnings page
        and their CPAM's statements are never empty. Where the draw left one out, a day at a site of their zones."""
        for back in range(PAST_MONTHS, 0, -1):
            start = months_back(self.today, back)
            end = months_back(self.today, back - 1) - timedelta(days=1)
            worked = set(
                Booking.objects.filter(
                    doctor__in=validated, status=Booking.Status.COMPLETED, date__range=(start, end)
                ).values_list("doctor_id", flat=True)
            )
            for doctor in validated:
                if doctor.pk in worked:
                    continue
                zone_ids = {zone.pk for zone in doctor.zones.all()}
                sites = [site for site in self.sites if site.zone_id in zone_ids]
                if not sites:
                    continue
                rng = _rng("worked", doctor.rpps, start.isoformat())
                days = recurring_dates(start, end, {0, 1, 2, 3, 4})
                rng.shuffle(days)
                for day in days:
                    site = rng.choice(sites)
                    if not self._may_book(doctor, day, Decimal("1")):
                        continue
                    slot, created = Slot.objects.get_or_create(
                        site=site,
                        date=day,
                        period=Period.FULL_DAY,
                        status=Slot.Status.OPEN,
                        defaults={"zone_id": site.zone_id, "capacity": 1, "created_by": self.site_users[site.pk]},
                    )
                    if (
                        not created
                        and slot.bookings.filter(status__in=Booking.ACTIVE_STATUSES).count() >= slot.capacity
                    ):
                        continue
                    if created:
                        Slot.objects.filter(pk=slot.pk).update(created_at=_at(day - timedelta(days=30), 9))
                        self.report.created["créneau(x) passé(s)"] += 1
                    self.past_booking(doctor, slot, self.site_users[site.pk], "completed", rng.randint(6, 22), rng)
                    break

    @staticmethod
    def _may_book(doctor: Doctor, day: date, fraction: Decimal) -> bool:
        """R1 and R2, checked by hand for the past bookings written directly."""
        active = Booking.objects.filter(doctor=doctor, status__in=Booking.ACTIVE_STATUSES)
        if active.filter(date=day).exists():
            return False
        month = active.filter(date__year=day.year, date__month=day.month).aggregate(t=Sum("day_fraction"))["t"]
        return (month or Decimal("0")) + fraction <= settings.MAX_DAYS_PER_MONTH

    def past_booking(
        self, doctor: Doctor, slot: Slot, site_user: User, outcome: str, consultations: int, rng: random.Random
    ) -> None:
        day = slot.date
        requested_at = _at(day - timedelta(days=rng.randint(8, 25)), rng.randint(8, 20))
        booking = Booking(
            doctor=doctor,
            slot=slot,
            zone_id=slot.zone_id,
            date=day,
            period=slot.period,
            day_fraction=slot.day_fraction,
            requested_by=doctor.user,
            in_own_zone=bool((epci := doctor.practice_commune.epci) and epci.siren == slot.zone.siren),
        )
        replacement = self.replacement(doctor, day)
        if replacement is not None:
            booking.replacement_name = replacement.name
            booking.replacement_rpps = replacement.rpps
            booking.derogation_requested_on = replacement.derogation_requested_on
        set_history_user(booking, doctor.user)
        if outcome == "declined":
            booking.status = Booking.Status.DECLINED
            booking.declined_at, booking.declined_by = requested_at + timedelta(days=1), site_user
            booking.reason = rng.choice(DECLINE_REASONS)
        elif outcome == "cancelled":
            booking.status = Booking.Status.CANCELLED
            booking.cancelled_at, booking.cancelled_by = requested_at + timedelta(days=2), doctor.user
            booking.reason = rng.choice(CANCEL_REASONS)
        else:
            booking.status = Booking.Status.CONFIRMED
            booking.confirmed_at, booking.confirmed_by = requested_at + timedelta(days=1), site_user
        booking.save()
        Booking.objects.filter(pk=booking.pk).update(requested_at=requested_at)
        self.report.created["réservation(s) passée(s)"] += 1
        if outcome in ("completed", "no_show"):
            # The attestation goes through the service, as the site would do it after the day.
            missions.attest_booking(
                booking,
                by=site_user,
                attended=outcome == "completed",
                consultations=consultations if outcome == "completed" else None,
            )

    def one_correction(self) -> None:
        """ARS staff corrected one attestation (the consultations count), so the history shows a correction."""
        booking = (
            Booking.objects.filter(status=Booking.Status.COMPLETED, slot__site__in=self.sites)
            .order_by("date", "pk")
            .first()
        )
        if booking is None or booking.corrected_at is not None:
            return
        missions.correct_attestation(
            booking,
            by=self.ars,
            attended=True,
            consultations=(booking.consultations or 0) + 3,
            reason="Le lieu a signalé une erreur dans le nombre de consultations.",
        )

    # --- future bookings (through the services) ------------------------------------------------------------

    def future_bookings(self, validated: list[Doctor]) -> None:
        window = (self.today + timedelta(days=1), self.today + timedelta(days=FUTURE_DAYS))
        slots = list(
            Slot.objects.filter(status=Slot.Status.OPEN, date__range=window, site__in=self.sites)
            .select_related("site", "zone")
            .order_by("date", "site__name", "period")
        )
        self.late_cancellation(validated, slots)
        for doctor in validated:
            rng = _rng("bookings", doctor.rpps)
            zone_ids = {zone.pk for zone in doctor.zones.all()}
            # The next two days' slots keep their room (a last-minute booking, the late cancellation, the request
            # the ARS sees unconfirmed): the draw books from the third day on.
            candidates = [
                slot for slot in slots if slot.zone_id in zone_ids and slot.date > self.today + timedelta(days=2)
            ]
            by_month: dict[tuple[int, int], list[Slot]] = defaultdict(list)
            for slot in candidates:
                by_month[(slot.date.year, slot.date.month)].append(slot)
            for month in sorted(by_month):
                wanted = rng.choice([0, 1, 1, 2])
                picks = rng.sample(by_month[month], min(wanted, len(by_month[month])))
                for slot in picks:
                    outcome = _weighted(rng, FUTURE_OUTCOMES)
                    reasons = (rng.choice(DECLINE_REASONS), rng.choice(CANCEL_REASONS), rng.choice(SITE_CANCEL_REASONS))
                    self.future_booking(doctor, slot, outcome, reasons)

    def future_booking(self, doctor: Doctor, slot: Slot, outcome: str, reasons: tuple[str, str, str]) -> None:
        if Booking.objects.filter(doctor=doctor, slot=slot).exists():
            return
        site_user = self.site_users[slot.site_id]
        try:
            booking = missions.book_slot(
                doctor=doctor, slot=slot, by=doctor.user, replacement=self.replacement(doctor, slot.date)
            )
        except RuleViolation:
            return  # full, capped for the month, already booked that day: the rules said no, as they should
        self.report.created["réservation(s) à venir"] += 1
        decline_reason, cancel_reason, site_cancel_reason = reasons
        if outcome == "confirmed":
            missions.confirm_booking(booking, by=site_user)
        elif outcome == "declined":
            missions.decline_booking(booking, by=site_user, reason=decline_reason)
        elif outcome == "cancelled":
            missions.cancel_booking(booking, by=doctor.user, reason=cancel_reason)
        elif outcome == "site_cancelled":
            booking = missions.confirm_booking(booking, by=site_user)
            missions.cancel_booking(booking, by=site_user, reason=site_cancel_reason)

    def something_ahead(self, validated: list[Doctor]) -> None:
        """Where the draw left a screen empty: each validated volunteer has a mission ahead (every other one
        confirmed), each site a request to confirm and a confirmed day ahead, the ARS a request still unconfirmed
        a few days before the day (R6, on its dashboard)."""
        window = (self.today + timedelta(days=1), self.today + timedelta(days=FUTURE_DAYS))
        slots = list(
            Slot.objects.filter(status=Slot.Status.OPEN, date__range=window, site__in=self.sites)
            .select_related("site", "zone")
            .order_by("date", "site__name", "period")
        )
        upcoming = Booking.objects.filter(date__gt=self.today, status__in=UPCOMING)
        for index, doctor in enumerate(validated):
            if upcoming.filter(doctor=doctor).exists():
                continue
            zone_ids = {zone.pk for zone in doctor.zones.all()}
            # A week ahead at least (the site has time to answer), each doctor starting at another date.
            mine = [slot for slot in slots if slot.zone_id in zone_ids and slot.date > self.today + timedelta(days=7)]
            mine = mine[index % len(mine) :] + mine[: index % len(mine)] if mine else []
            self.book_one(mine, [doctor], confirm=index % 2 == 1)
        for site in self.sites:
            at_site = [slot for slot in slots if slot.site_id == site.pk and slot.date > self.today + timedelta(days=7)]
            covering = [d for d in validated if site.zone_id in {zone.pk for zone in d.zones.all()}]
            if not upcoming.filter(slot__site=site, status=Booking.Status.REQUESTED).exists():
                self.book_one(at_site, covering, confirm=False)
            if not upcoming.filter(slot__site=site, status=Booking.Status.CONFIRMED).exists():
                self.book_one(at_site, covering, confirm=True)
        soon = (self.today + timedelta(days=1), self.today + timedelta(days=settings.CONFIRM_REMINDER_DAYS))
        if not upcoming.filter(slot__site__in=self.sites, date__range=soon, status=Booking.Status.REQUESTED).exists():
            close = [slot for slot in reversed(slots) if soon[0] <= slot.date <= soon[1]]  # the latest first
            if not self.book_one(close, validated, confirm=False):
                # No slot left in the next days: the first active site opens a morning the day after tomorrow.
                site = next(site for site in self.sites if site.active)
                result = publish_slots(
                    site=site, dates=[soon[0] + timedelta(days=1)], period=Period.MORNING, by=self.site_users[site.pk]
                )
                self.report.created["créneau(x)"] += len(result.created)
                self.book_one(list(result.created), validated, confirm=False)

    def book_one(self, slots: list[Slot], doctors: list[Doctor], *, confirm: bool) -> Booking | None:
        """The first of `slots` one of `doctors` may book (in that order), through the service."""
        for slot in slots:
            for doctor in doctors:
                if slot.zone_id not in {zone.pk for zone in doctor.zones.all()}:
                    continue
                try:
                    booking = missions.book_slot(
                        doctor=doctor, slot=slot, by=doctor.user, replacement=self.replacement(doctor, slot.date)
                    )
                except RuleViolation:
                    continue
                self.report.created["réservation(s) à venir"] += 1
                if confirm:
                    booking = missions.confirm_booking(booking, by=self.site_users[slot.site_id])
                return booking
        return None

    def late_cancellation(self, validated: list[Doctor], slots: list[Slot]) -> None:
        """A doctor books tomorrow's slot, then cancels: a late cancellation (R5), flagged and notified."""
        tomorrow = [slot for slot in slots if slot.date == self.today + timedelta(days=1)]
        for slot in tomorrow[:1]:
            if slot.bookings.exists():
                return
            for doctor in validated:
                if slot.zone_id not in {zone.pk for zone in doctor.zones.all()}:
                    continue
                try:
                    booking = missions.book_slot(
                        doctor=doctor, slot=slot, by=doctor.user, replacement=self.replacement(doctor, slot.date)
                    )
                except RuleViolation:
                    continue
                booking = missions.confirm_booking(booking, by=self.site_users[slot.site_id])
                missions.cancel_booking(booking, by=doctor.user, reason="Enfant malade : je ne pourrai pas venir.")
                self.report.created["réservation(s) à venir"] += 1
                return

    def replacement(self, doctor: Doctor, day: date) -> Replacement | None:
        """A doctor who declared a replacement names, for each day, a remplaçant (the same one, their derogation
        requested a month before the demo's today or the day, whichever is earlier)."""
        if not doctor.replacement_declared:
            return None
        rng = _rng("replacement", doctor.rpps)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        rpps = with_luhn_key(f"19{rng.randint(0, 10**8 - 1):08d}")
        return Replacement(name=name, rpps=rpps, derogation_requested_on=min(self.today, day) - timedelta(days=30))

    def site_packs(self) -> None:
        """The practical pack of the demo's host sites, where ARS staff or the site have not filled it: a card
        reader in health centres and houses; the town's premises charged (an illustrative 15 € a day)."""
        for site in self.sites:
            if site.sesam_vitale_reader or site.premises_fee is not None or site.software:
                continue
            reader = site.kind in (HostSite.Kind.HEALTH_CENTRE, HostSite.Kind.HEALTH_HOUSE)
            fee = Decimal("15") if site.kind == HostSite.Kind.TOWN_PREMISES else None
            HostSite.objects.filter(pk=site.pk).update(sesam_vitale_reader=reader, premises_fee=fee)
            site.sesam_vitale_reader, site.premises_fee = reader, fee

    def availabilities(self, validated: list[Doctor]) -> None:
        """Validated doctors declare a few days they could come (the « available doctors » search uses them)."""
        for doctor in validated:
            rng = _rng("availability", doctor.rpps)
            for _ in range(rng.randint(1, 4)):
                day = self.today + timedelta(days=rng.randint(3, 60))
                while day.weekday() >= 5:  # a weekday: the first one after
                    day += timedelta(days=1)
                period = _weighted(rng, [(Period.FULL_DAY, 3), (Period.MORNING, 1), (Period.AFTERNOON, 1)])
                missions.declare_availability(doctor=doctor, date=day, period=period, by=doctor.user)

    def plan(self) -> None:
        """A plan the optimiser proposed for next month, for ARS staff to review (their « Planning » page)."""
        if Plan.objects.filter(region=self.region).exists():
            return
        month = (self.today.replace(day=1) + timedelta(days=32)).replace(day=1)
        propose_plan(region=self.region, month=month, by=self.ars, time_limit=PLAN_SECONDS)
        self.report.created["planning(s) proposé(s) pour le mois prochain"] += 1  # one at most

    # --- billing ---------------------------------------------------------------------------------------------

    def billing_numbers(self, validated: list[Doctor]) -> None:
        """CPAM agents recorded the dedicated number of most validated doctors; in each department the first
        volunteer's (and a few others') is still awaited: every CPAM agent has a number to record and some recorded."""
        by_department: dict[int, list[Doctor]] = defaultdict(list)
        for doctor in validated:
            by_department[doctor.practice_department_id].append(doctor)
        for department_id, doctors in by_department.items():
            agent = self.cpam_users.get(department_id)
            for index, doctor in enumerate(doctors):
                rng = _rng("billing-number", doctor.rpps)
                if doctor.billing_number or agent is None or index == 0 or (index >= 2 and rng.random() < 0.25):
                    continue
                try:
                    number = f"{rng.randint(10**8, 10**9 - 1)}"
                    doctor.billing_number = billing.record_billing_number(
                        doctor, number=number, by=agent
                    ).billing_number
                except ValidationError:
                    continue  # the rare number already drawn for another doctor: this one stays awaited

    def statements(self) -> None:
        """The past months' statements, generated by ARS staff: the month before last's all issued, every other one
        paid; last month's every other one issued, the first issued one paid, the others drafts for the ARS."""
        for back in range(PAST_MONTHS, 0, -1):
            month = months_back(self.today, back)
            billing.generate_statements(month, by=self.ars)
            statements = Statement.objects.filter(month=month).select_related("cpam__department")
            for index, statement in enumerate(statements.order_by("cpam__department__code")):
                issue = back > 1 or index % 2 == 0
                if issue and statement.status == StatementStatus.DRAFT:
                    statement = billing.issue_statement(statement, by=self.ars)
                paid = index % 2 == 0 if back > 1 else index == 0
                if paid and statement.status == StatementStatus.ISSUED:
                    billing.mark_statement_paid(statement, by=self.cpam_users[statement.cpam.department_id])


DEMO_ZONAGE_REFERENCE = "DÉMO (valeurs fictives)"
DEMO_ZONAGE_TITLE = (
    "Zonage de démonstration : classements tirés au hasard pour les communes des zones de la démo, sans valeur. "
    "Le vrai zonage (arrêté ARS AuRA n° 2025-17-1113, en vigueur au 1er janvier 2026) se charge avec "
    "manage.py load_zonage."
)
DEMO_ZONAGE_SPLIT = [(ZonageKind.ZIP, 7), (ZonageKind.ZAC, 3)]


def seed_installation(demo: "Demo", validated: list[Doctor]) -> None:
    """Demo values, marked as such: a zonage of the demo zones' communes, one ARS installation referent per
    department (demo addresses), and one volunteer's lead for a zone where they worked."""
    decree, created = ZonageDecree.objects.get_or_create(
        region=demo.region,
        reference=DEMO_ZONAGE_REFERENCE,
        defaults={"title": DEMO_ZONAGE_TITLE, "valid_from": date(demo.today.year, 1, 1), "loaded_by": "seed_demo"},
    )
    if created:
        lines = [
            CommuneZonage(
                decree=decree,
                commune=commune,
                kind=_weighted(_rng("zonage", commune.insee_code), DEMO_ZONAGE_SPLIT),
                territory="(démo)",
            )
            for zone in Zone.objects.filter(department__region=demo.region).order_by("siren")
            for commune in zone_communes(zone)
        ]
        CommuneZonage.objects.bulk_create(lines, ignore_conflicts=True)
        demo.report.created["ligne(s) de zonage (démo)"] += len(lines)
    for department in demo.region.departments.order_by("code"):
        _, made = InstallationReferent.objects.get_or_create(
            department=department,
            email=f"installation-{department.code.lower()}@demo.fr",
            defaults={"name": f"Référent installation ARS (démo), {department.name}", "phone": "04 00 00 00 00"},
        )
        demo.report.created["référent(s) installation"] += int(made)
    worked = (
        Booking.objects.filter(doctor__in=validated, status=Booking.Status.COMPLETED)
        .select_related("doctor__user", "zone")
        .order_by("doctor__rpps", "date")
        .first()
    )
    if worked is not None and not InstallationLead.objects.filter(doctor=worked.doctor).exists():
        ask_about(
            worked.doctor,
            by=worked.doctor.user,
            zone=worked.zone,
            message="J'ai aimé consulter ici : quelles aides pour m'y installer l'an prochain ?",
        )
        demo.report.created["demande(s) d'installation"] += 1
    if worked is not None:
        demo.report.logins.append(
            ("Médecin intéressé par une installation", worked.doctor.user.email, f"zone {worked.zone.name}")
        )


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Within this block, new passwords are hashed with MD5 (the demo then stores one real hash for all its
    accounts). Only for this single-threaded command: settings are process-wide. `setting_changed` is Django's
    signal for this: the password hashers are looked up again, on entry and on exit."""
    hashers = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setting_changed.send(sender=Demo, setting="PASSWORD_HASHERS", value=settings.PASSWORD_HASHERS, enter=True)
    try:
        yield
    finally:
        settings.PASSWORD_HASHERS = hashers
        setting_changed.send(sender=Demo, setting="PASSWORD_HASHERS", value=hashers, enter=False)


def current_demo_code() -> tuple[str, int]:
    """The 6-digit code the demo ARS and admin accounts accept now, and how many seconds it stays valid."""
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
    return f"{totp.token():06d}", 30 - int(totp.time) % 30


def months_back(day: date, count: int) -> date:
    """The first day of the month `count` months before `day`'s."""
    first = day.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def reference_loaded(region_code: str = "84") -> bool:
    return Zone.objects.filter(department__region__code=region_code).exists() and Cpam.objects.exists()


def seed_demo(*, today: date | None = None, on_step: Callable[[str], None] | None = None) -> DemoReport:
    """Build (or complete) the demo data set. Loads the reference data first if it is missing."""
    on_step = on_step or (lambda message: None)
    if not reference_loaded():
        on_step("Chargement des données de référence…")
        load_reference_data()
    demo = Demo(today=today or timezone.localdate(), report=DemoReport(), password_hash=make_password(DEMO_PASSWORD))
    demo.region = Region.objects.get(code="84")
    last_message = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with relay_held(), transaction.atomic():
        on_step("Comptes de l'ARS, des lieux d'accueil et des CPAM…")
        demo.people()
        demo.site_packs()
        on_step("Médecins volontaires…")
        demo.doctors()
        validated = list(
            Doctor.objects.filter(status=Doctor.Status.VALIDATED, user__email__endswith="@demo.fr")
            .select_related("user", "practice_commune__epci")
            .prefetch_related("zones")
            .order_by("rpps")
        )
        on_step("Activité des deux mois passés…")
        demo.past_activity(validated)
        demo.a_day_to_attest_everywhere(validated)
        demo.worked_every_month(validated)
        demo.one_correction()
        demo.billing_numbers(validated)
        on_step("Relevés CPAM des deux mois passés…")
        demo.statements()
        on_step("Créneaux et réservations des trois prochains mois…")
        demo.future_slots()
        demo.future_bookings(validated)
        demo.something_ahead(validated)
        demo.availabilities(validated)
        on_step("Planning proposé pour le mois prochain…")
        demo.plan()
        on_step("Zonage (démo), référents installation et une demande d'installation…")
        seed_installation(demo, validated)
        # The demo's messages never go out by themselves (some are addressed to the real CDOM and CPAM).
        Message.objects.filter(pk__gt=last_message, status=Message.Status.PENDING).update(status=Message.Status.HELD)
    return demo.report
