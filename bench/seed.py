"""The national data set (DESIGN.md §8), written straight into PostgreSQL with `COPY … FROM STDIN`.

At `scale=1`: 18 regions, 101 departments, 2,000 zones (each an EPCI), 8,000 communes, 5,000 host sites,
30,000 doctors, 1,000,000 slots over 12 months (six past, the current one, five ahead) and 720,000 bookings.
Smaller scales shrink every count but the regions and departments (a quick run: `--scale 0.02`).

The rows respect the rules the application enforces, so the invariant queries (`INVARIANTS`) find nothing:
- a doctor's active bookings (requested, confirmed, completed) of a calendar month add up to 2 days at most
  (a half-day counts 0.5), a doctor has at most one booking per date, a slot never holds more active bookings
  than its capacity, closed slots and inactive sites have no active booking ahead;
- past bookings are completed, no-show, cancelled or declined; bookings ahead are requested, confirmed,
  cancelled or declined, and never beyond the booking horizon;
- identifiers carry valid keys (RPPS, SIREN, FINESS via `sites.identifiers.with_luhn_key`), and every foreign
  key points to a row written here.

One CPAM-month is a stress case the issue asks for: the statement of the CPAM of Paris (75) for the previous
month has 100,000 lines at scale 1. Under R1 (2 days a month) that takes 25,000 doctors each attesting four
half-days, so most doctors of this data set practise in Paris and volunteer in zones all over the country
(R10 allows it); the other months follow the national average of about 2 bookings per doctor.

Some doctors are set aside for the load scenarios and have no booking from today on: the "bookers" (booking
throughput, on slots nobody booked) and the "racers" (64 clients racing for 10 slots). Their ids, the tokens
of the API clients and the stress CPAM-month are stored in the table `bench_meta` of the bench database.
History tables are not seeded (the audit trail starts when the application writes).
"""

import json
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from billing.lines import FIGURES, SNAPSHOT
from missions.doctor_regions import rebuild_doctor_regions
from sites.identifiers import with_luhn_key

PASSWORD = "bench-mot-de-passe-2026"
STRESS_DEPARTMENT = "75"
ACTIVE = ("requested", "confirmed", "completed")
HALF = Decimal("0.5")
ONE = Decimal("1")
HORIZON_DAYS = 180
BULK = {
    "slots",
    "bookings",
    "doctor zones",
    "doctors",
    "users",
    "statement lines",
}  # loaded without indexes and FKs, then rebuilt


def words(text: str) -> list[str]:
    return text.split()


# The 18 regions and their 101 departments (INSEE codes).
REGIONS: list[tuple[str, str, list[str]]] = [
    ("84", "Auvergne-Rhône-Alpes", words("01 03 07 15 26 38 42 43 63 69 73 74")),
    ("27", "Bourgogne-Franche-Comté", words("21 25 39 58 70 71 89 90")),
    ("53", "Bretagne", words("22 29 35 56")),
    ("24", "Centre-Val de Loire", words("18 28 36 37 41 45")),
    ("94", "Corse", ["2A", "2B"]),
    ("44", "Grand Est", words("08 10 51 52 54 55 57 67 68 88")),
    ("32", "Hauts-de-France", words("02 59 60 62 80")),
    ("11", "Île-de-France", words("75 77 78 91 92 93 94 95")),
    ("28", "Normandie", words("14 27 50 61 76")),
    ("75", "Nouvelle-Aquitaine", words("16 17 19 23 24 33 40 47 64 79 86 87")),
    ("76", "Occitanie", words("09 11 12 30 31 32 34 46 48 65 66 81 82")),
    ("52", "Pays de la Loire", words("44 49 53 72 85")),
    ("93", "Provence-Alpes-Côte d'Azur", words("04 05 06 13 83 84")),
    ("01", "Guadeloupe", ["971"]),
    ("02", "Martinique", ["972"]),
    ("03", "Guyane", ["973"]),
    ("04", "La Réunion", ["974"]),
    ("06", "Mayotte", ["976"]),
]

FIRST_NAMES = words(
    "Camille Claire Julien Sophie Nicolas Marie Thomas Julie Antoine Laura Pierre Sarah Louis Emma Hugo Léa "
    "Paul Chloé Arthur Manon Lucas Inès Jules Alice Gabriel Anne Étienne Hélène Mathieu Agnès"
)
LAST_NAMES = words(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia "
    "David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François "
    "Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu "
    "Clément Gauthier Dumont Lopez Fontaine Chevalier Robin"
)
SPECIALTIES = ["Médecine générale"] * 8 + ["Pédiatrie", "Gynécologie médicale", "Psychiatrie", "Gériatrie"]
SITE_KINDS = ["centre_de_sante", "maison_de_sante", "ehpad", "centre_hospitalier", "local_communal", "autre"]
SITE_WORDS = ["Maison de santé", "Centre de santé", "EHPAD", "Centre hospitalier", "Salle communale", "Cabinet"]

INVARIANTS = {
    "slot over capacity": """
        SELECT count(*) FROM (
          SELECT s.id FROM sites_slot s JOIN missions_booking b ON b.slot_id = s.id
          WHERE b.status IN ('requested', 'confirmed', 'completed')
          GROUP BY s.id, s.capacity HAVING count(*) > s.capacity) v""",
    "doctor over the monthly cap": """
        SELECT count(*) FROM (
          SELECT doctor_id FROM missions_booking WHERE status IN ('requested', 'confirmed', 'completed')
          GROUP BY doctor_id, date_trunc('month', date) HAVING sum(day_fraction) > %(cap)s) v""",
    "doctor twice on a date": """
        SELECT count(*) FROM (
          SELECT doctor_id FROM missions_booking WHERE status IN ('requested', 'confirmed', 'completed')
          GROUP BY doctor_id, date HAVING count(*) > 1) v""",
}


def check_invariants(cursor) -> dict[str, int]:
    """How many slots, doctor-months and doctor-dates break R3, R1 and R2 (all zero on a sound database)."""
    cap = settings.MAX_DAYS_PER_MONTH
    found = {}
    for name, sql in INVARIANTS.items():
        cursor.execute(sql, {"cap": cap})
        found[name] = cursor.fetchone()[0]
    return found


@dataclass
class Sizes:
    zones: int
    sites: int
    doctors: int
    paris_doctors: int
    slots: int
    bookings: int
    bookers: int
    racers: int = 16

    @classmethod
    def for_scale(cls, scale: float) -> "Sizes":
        def n(value: int, least: int) -> int:
            return max(least, round(value * scale))

        paris = n(25_000, 24)
        racers = 16
        return cls(
            zones=n(2_000, 18),
            sites=n(5_000, 24),
            doctors=n(30_000, 30),
            paris_doctors=paris,
            slots=n(1_000_000, 1_000),
            bookings=n(720_000, 600),
            bookers=min(n(2_000, 8), paris - racers),
            racers=racers,
        )


@dataclass
class SeedReport:
    scale: float
    seconds: float
    counts: dict[str, int]
    steps: dict[str, float]
    meta: dict = field(default_factory=dict)


class Copier:
    """COPY rows of one model: `columns` are the attnames the caller gives per row, in that order; every other
    concrete field gets its model default, computed once (callers give whatever must differ per row)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        missing = [c for c in columns if c not in by_attname]
        if missing:
            raise ValueError(f"{model.__name__} has no field {missing}")
        self.columns = list(columns)
        self.rest = [f for f in model._meta.concrete_fields if f.attname not in columns]
        self.tail = tuple(self._default(f) for f in self.rest)
        names = [by_attname[c].column for c in self.columns] + [f.column for f in self.rest]
        quoted = ", ".join('"' + n + '"' for n in names)
        self.sql = f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN'

    @staticmethod
    def _default(f: models.Field):
        if f.has_default():
            return f.get_default()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return timezone.now()
        if f.null:
            return None
        if f.empty_strings_allowed:
            return ""
        raise ValueError(f"{f.model.__name__}.{f.name}: no value given and no default")

    def copy(self, cursor, rows: Iterable[tuple]) -> int:
        tail = self.tail
        count = 0
        with cursor.copy(self.sql) as copy:
            write = copy.write_row
            for row in rows:
                write(row + tail)
                count += 1
        return count


@contextmanager
def bulk_load(cursor, table: str):
    """Load a big table the way PostgreSQL's manual advises (« Populating a Database »): drop its secondary
    indexes and foreign keys, COPY, then build them again from their saved definitions. Every index and
    constraint is back, under its own name, and PostgreSQL validates each foreign key over the whole table
    in one pass instead of a lookup (and a row lock) per row and per key."""
    # Foreign keys are deferred to the commit: check what is pending now, or ALTER TABLE refuses to run.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        """SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in foreign_keys:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def app_tables() -> list[str]:
    """Every table of the product's apps (and tokens, sessions, admin log): what a reseed empties."""
    tables = set()
    for label in ("accounts", "sites", "missions", "billing", "notifications", "authtoken", "sessions", "admin"):
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            if not model._meta.proxy and model._meta.managed:
                tables.add(model._meta.db_table)
    return sorted(tables)


def months_around(today: date) -> list[date]:
    """Twelve first-of-months: six before the current one, the current one, five after."""
    first = today.replace(day=1)
    out = []
    for k in range(-6, 6):
        y, m = divmod(first.month - 1 + k, 12)
        out.append(date(first.year + y, m + 1, 1))
    return out


def month_days(first: date) -> list[date]:
    nxt = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((nxt - first).days) if (first + timedelta(days=i)).weekday() < 5]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, dtime(hour, 0), tzinfo=UTC)


class Generator:
    """Builds every row in memory (columnar, as tuples), then COPYs them table by table."""

    def __init__(self, scale: float, today: date, rng_seed: int, log: Callable[[str], None]):
        self.scale = scale
        self.today = today
        self.rng = random.Random(rng_seed)
        self.log = log
        self.sizes = Sizes.for_scale(scale)
        self.now = timezone.now()
        self.password = make_password(PASSWORD)
        self.months = months_around(today)
        self.stress_month = self.months[5]  # the previous month: what the 1st-of-month job states
        self.horizon = today + timedelta(days=HORIZON_DAYS)

    # --- territory --------------------------------------------------------------------------------------------

    def territory(self) -> None:
        rng, s = self.rng, self.sizes
        self.regions = [(i + 1, code, name) for i, (code, name, _) in enumerate(REGIONS)]
        self.departments = []  # (id, code, region_id)
        for region_id, (_, _, codes) in enumerate(REGIONS, start=1):
            for code in codes:
                self.departments.append((len(self.departments) + 1, code, region_id))
        dept_by_code = {code: (i, region) for i, code, region in self.departments}
        zone_departments = [d for d in self.departments if d[1] != STRESS_DEPARTMENT]
        self.zones = []  # (id, siren, name, department_id, active, target)
        self.zone_region = {}
        self.communes = []  # (id, insee, name, department_id, epci_id)
        self.zone_communes = defaultdict(list)
        next_commune = defaultdict(int)
        for i in range(s.zones):
            zid = i + 1
            dept_id, dcode, region_id = zone_departments[i % len(zone_departments)]
            siren = with_luhn_key(f"2{zid:07d}")
            kind = rng.choice(["CC", "CC", "CA"])
            active = rng.random() > 0.02
            self.zones.append(
                (zid, siren, f"{kind} du territoire {zid}", dept_id, active, rng.choice([4, 6, 8, 10, 12]))
            )
            self.zone_region[zid] = region_id
            for _ in range(4):
                next_commune[dcode] += 1
                k = next_commune[dcode]
                insee = f"{dcode}{k:02d}" if len(dcode) == 3 else f"{dcode}{k:03d}"
                cid = len(self.communes) + 1
                self.communes.append((cid, insee, f"Commune {insee}", dept_id, zid))
                self.zone_communes[zid].append(cid)
        paris_id = dept_by_code[STRESS_DEPARTMENT][0]
        self.paris_communes = []
        for arr in range(1, 21):
            cid = len(self.communes) + 1
            self.communes.append((cid, f"751{arr:02d}", f"Paris {arr}e arrondissement", paris_id, None))
            self.paris_communes.append(cid)
        self.commune_zone = {c[0]: c[4] for c in self.communes}
        self.commune_department = {c[0]: c[3] for c in self.communes}
        self.zones_by_region = defaultdict(list)
        for z in self.zones:
            self.zones_by_region[self.zone_region[z[0]]].append(z[0])
        self.dept_code = {i: code for i, code, _ in self.departments}
        self.dept_region = {i: region for i, _, region in self.departments}

    # --- people and sites ---------------------------------------------------------------------------------

    def people(self) -> None:
        rng, s = self.rng, self.sizes
        self.users = []  # (id, email, first, last, is_staff, is_superuser)
        self.sites = []  # full HostSite tuples
        self.site_zone = {}
        self.site_member = {}
        self.sites_by_zone = defaultdict(list)
        self.active_sites_by_zone = defaultdict(list)

        def user(email: str, first: str, last: str, staff: bool = False) -> int:
            uid = len(self.users) + 1
            self.users.append((uid, email, first, last, staff))
            return uid

        self.ars_users = []
        for rid, code, _ in self.regions:
            self.ars_users.append((user(f"ars-{code}@bench.ars.sante.fr", "Agent", f"ARS {code}", staff=True), rid))
        self.cpams = []  # (id, department_id, name, email)
        self.cpam_agents = []
        for dept_id, code, _ in self.departments:
            cid = len(self.cpams) + 1
            self.cpams.append((cid, dept_id, f"CPAM {code}", f"mission@cpam{code.lower()}.bench.fr"))
            self.cpam_agents.append(
                (user(f"cpam-{code.lower()}@bench.assurance-maladie.fr", "Agent", f"CPAM {code}"), cid)
            )
        self.cpam_by_dept_code = {self.dept_code[c[1]]: c[0] for c in self.cpams}
        for i in range(s.sites):
            sid = i + 1
            zid = self.zones[i % len(self.zones)][0]
            commune = rng.choice(self.zone_communes[zid])
            kind_ix = rng.randrange(len(SITE_KINDS))
            dcode = self.dept_code[self.commune_department[commune]]
            finess = None
            if rng.random() < 0.6 and dcode.isdigit():
                finess = with_luhn_key(f"{dcode[:2]}{sid:06d}")
            active = rng.random() > 0.02
            member = user(f"lieu{sid}@bench.lieux.fr", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            self.sites.append(
                (
                    sid,
                    f"{SITE_WORDS[kind_ix]} n° {sid}",
                    SITE_KINDS[kind_ix],
                    finess,
                    f"{1 + sid % 90} rue de la Mairie",
                    commune,
                    zid,
                    f"Accueil {sid}",
                    f"accueil{sid}@bench.lieux.fr",
                    "04 00 00 00 00",
                    active,
                )
            )
            self.site_zone[sid] = zid
            self.site_member[sid] = member
            self.sites_by_zone[zid].append(sid)
            if active:
                self.active_sites_by_zone[zid].append(sid)
        for zid, _, _, _, _, _ in self.zones:  # a zone with no active site takes none in the future
            self.active_sites_by_zone.setdefault(zid, [])

        self.doctors = []  # full Doctor tuples
        self.doctor_user = {}
        self.doctor_zones = {}
        self.doctor_home_zone = {}
        self.validated = []
        self.paris = []
        communes_by_dept = defaultdict(list)
        for c in self.communes:
            communes_by_dept[c[3]].append(c[0])
        other_depts = [d[0] for d in self.departments if d[1] != STRESS_DEPARTMENT and communes_by_dept[d[0]]]
        all_zone_ids = [z[0] for z in self.zones]
        for i in range(s.doctors):
            did = i + 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            uid = user(f"medecin{did}@bench.medecins.fr", first, last)
            if i < s.paris_doctors:
                commune = rng.choice(self.paris_communes)
                status = "validated"
                zones = rng.sample(all_zone_ids, min(3, len(all_zone_ids)))
                self.paris.append(did)
            else:
                dept = rng.choice(other_depts)
                commune = rng.choice(communes_by_dept[dept])
                roll = rng.random()
                status = (
                    "validated"
                    if roll < 0.86
                    else "submitted"
                    if roll < 0.93
                    else "suspended"
                    if roll < 0.96
                    else "withdrawn"
                    if roll < 0.98
                    else "rejected"
                )
                region_zones = self.zones_by_region[self.dept_region[self.commune_department[commune]]] or all_zone_ids
                zones = rng.sample(region_zones, min(3, len(region_zones)))
            dept_id = self.commune_department[commune]
            submitted = self.now - timedelta(days=rng.randint(200, 700))
            validated_at = submitted + timedelta(days=rng.randint(3, 20)) if status != "submitted" else None
            rpps = with_luhn_key(f"1{did:09d}")
            self.doctors.append(
                (
                    did,
                    uid,
                    rpps,
                    first,
                    last,
                    rng.choice(SPECIALTIES),
                    rng.choice(["1", "1", "1", "2", "2_optam", "non_conventionne"]),
                    rng.choice(["liberal", "liberal", "salarie", "remplacant", "retraite"]),
                    commune,
                    dept_id,
                    dept_id,
                    f"06 {did % 100:02d} {did // 100 % 100:02d} 00 00",
                    status,
                    validated_at or submitted,
                    submitted,
                    validated_at if status in ("validated", "suspended", "withdrawn") else None,
                    f"BN{did:09d}" if validated_at else "",
                    "recorded" if validated_at else "awaited",
                    secrets.token_urlsafe(24),
                )
            )
            self.doctor_user[did] = uid
            self.doctor_zones[did] = zones
            self.doctor_home_zone[did] = self.commune_zone.get(commune)
            if status == "validated":
                self.validated.append(did)
        self.bookers = self.paris[: s.bookers]
        self.racers = self.paris[s.bookers : s.bookers + s.racers]
        self.no_future = set(self.bookers) | set(self.racers)

    # --- slots and bookings -------------------------------------------------------------------------------

    def slots_and_bookings(self) -> None:
        """Demand first (each doctor-month takes its bookings, creating or filling slots), then the slots
        nobody booked, up to the total. Rules hold by construction; the invariants query checks it."""
        rng, s, today = self.rng, self.sizes, self.today
        self.slot_key = {}  # (site, date, period) -> slot index
        self.layout = {}  # (site, date) -> "full" | "half"
        # Slot columns, by index.
        self.s_site, self.s_date, self.s_period, self.s_cap, self.s_used, self.s_closed = [], [], [], [], [], []
        self.bookings = []  # (doctor, slot index, status)
        open_places = defaultdict(list)  # (zone, month) -> slot indexes that may take one more

        def new_slot(site: int, day: date, period: str, closed: bool = False) -> int:
            ix = len(self.s_site)
            self.s_site.append(site)
            self.s_date.append(day)
            self.s_period.append(period)
            roll = rng.random()
            self.s_cap.append(1 if roll < 0.85 else 2 if roll < 0.97 else 3)
            self.s_used.append(0)
            self.s_closed.append(closed)
            self.slot_key[(site, day, period)] = ix
            return ix

        days_of = {m: month_days(m) for m in self.months}
        paris = set(self.paris)

        def status_for(day: date) -> str:
            roll = rng.random()
            if day < today:
                return (
                    "completed"
                    if roll < 0.85
                    else "no_show"
                    if roll < 0.88
                    else "cancelled"
                    if roll < 0.96
                    else "declined"
                )
            return (
                "requested"
                if roll < 0.35
                else "confirmed"
                if roll < 0.90
                else "cancelled"
                if roll < 0.97
                else "declined"
            )

        def take(doctor: int, month: date, used: set, budget: Decimal, half_only: bool, forced: str | None) -> Decimal:
            """One booking for the doctor in the month; returns the budget left (unchanged if none found)."""
            zones = self.doctor_zones[doctor]
            days = days_of[month]
            for _attempt in range(12):
                zid = rng.choice(zones)
                key = (zid, month)
                ix = None
                if open_places[key] and rng.random() < 0.3:
                    cand = open_places[key][-1]
                    if self.s_used[cand] >= self.s_cap[cand]:
                        open_places[key].pop()
                    elif self.s_date[cand] not in used and (not half_only or self.s_period[cand] != "full_day"):
                        ix = cand
                if ix is None:
                    day = rng.choice(days)
                    if day in used:
                        continue
                    future = day >= today
                    if future and (doctor in self.no_future or day > self.horizon):
                        continue
                    pool = self.active_sites_by_zone[zid] if future else self.sites_by_zone[zid]
                    if not pool:
                        continue
                    site = rng.choice(pool)
                    half = half_only or rng.random() < 0.25 or budget < ONE
                    period = rng.choice(("morning", "afternoon")) if half else "full_day"
                    lay = self.layout.get((site, day))
                    if lay is not None and lay != ("half" if half else "full"):
                        continue
                    self.layout[(site, day)] = "half" if half else "full"
                    ix = self.slot_key.get((site, day, period))
                    if ix is None:
                        ix = new_slot(site, day, period)
                        open_places[key].append(ix)
                    elif self.s_closed[ix] or self.s_used[ix] >= self.s_cap[ix]:
                        continue
                day = self.s_date[ix]
                if day >= today and (doctor in self.no_future or day > self.horizon):
                    continue
                status = forced or status_for(day)
                fraction = ONE if self.s_period[ix] == "full_day" else HALF
                if status in ACTIVE:
                    if fraction > budget:
                        continue
                    budget -= fraction
                    self.s_used[ix] += 1
                used.add(day)
                self.bookings.append((doctor, ix, status))
                return budget
            return budget

        # 1. The stress CPAM-month: every Paris doctor attests four half-days.
        for doctor in self.paris:
            used, budget = set(), Decimal("2")
            for _ in range(4):
                budget = take(doctor, self.stress_month, used, budget, True, "completed")
        stress_lines = len(self.bookings)
        self.log(f"  stress month {self.stress_month:%Y-%m}: {stress_lines} completed half-days of Paris doctors")

        # 2. Every other doctor-month: about two bookings each, up to the total.
        eligible = []
        for month in self.months:
            last_day = days_of[month][-1]
            for doctor in self.validated:
                if month == self.stress_month and doctor in paris:
                    continue
                if doctor in self.no_future and days_of[month][0] >= today:
                    continue
                if month > self.horizon or (month >= today.replace(day=1) and days_of[month][0] > self.horizon):
                    continue
                eligible.append((doctor, month, last_day))
        wanted = max(0, s.bookings - len(self.bookings))
        base, extra = divmod(wanted, max(1, len(eligible)))
        counts = [base] * len(eligible)
        for i in rng.sample(range(len(eligible)), min(extra, len(eligible))):
            counts[i] += 1
        for _ in range(len(eligible) // 2):  # spread: some doctors do more, some less, the total is unchanged
            i, j = rng.randrange(len(eligible)), rng.randrange(len(eligible))
            if counts[i] > 0 and counts[j] < 4:
                counts[i] -= 1
                counts[j] += 1
        order = list(range(len(eligible)))
        rng.shuffle(order)
        states: list[list] = [[set(), Decimal("2")] for _ in eligible]
        for i in order:
            doctor, month, _ = eligible[i]
            state = states[i]
            for _ in range(counts[i]):
                state[1] = take(doctor, month, state[0], state[1], False, None)
        # Some draws found no free date or place: top up, once each, doctor-months that still have room.
        room = [i for i, state in enumerate(states) if state[1] >= ONE and len(state[0]) < 4]
        rng.shuffle(room)
        for i in room:
            if len(self.bookings) >= s.bookings:
                break
            doctor, month, _ = eligible[i]
            states[i][1] = take(doctor, month, states[i][0], states[i][1], False, None)
        demand_slots = len(self.s_site)
        self.log(f"  {len(self.bookings)} bookings on {demand_slots} slots")

        # 3. Slots nobody booked (yet), up to the total; twice as many per month ahead as behind.
        current = today.replace(day=1)
        weights = [2 if m >= current else 1 for m in self.months]
        missing = max(0, s.slots - demand_slots)
        per_month = [missing * w // sum(weights) for w in weights]
        per_month[-1] += missing - sum(per_month)
        for month, wanted_slots in zip(self.months, per_month, strict=True):
            days = days_of[month]
            made = tries = 0
            while made < wanted_slots and tries < wanted_slots * 20:
                tries += 1
                day = rng.choice(days)
                zid = self.zones[rng.randrange(len(self.zones))][0]
                pool = self.active_sites_by_zone[zid] if day >= today else self.sites_by_zone[zid]
                if not pool:
                    continue
                site = rng.choice(pool)
                lay = self.layout.get((site, day))
                if lay is None:
                    lay = "half" if rng.random() < 0.3 else "full"
                    self.layout[(site, day)] = lay
                period = rng.choice(("morning", "afternoon")) if lay == "half" else "full_day"
                if (site, day, period) in self.slot_key:
                    continue
                new_slot(site, day, period, closed=rng.random() < 0.02)
                made += 1

    # --- writing ----------------------------------------------------------------------------------------

    def write(self, cursor, steps: dict[str, float]) -> dict[str, int]:
        rng, now = self.rng, self.now
        counts: dict[str, int] = {}

        def timed(name: str, model: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
            started = time.perf_counter()
            copier = Copier(_model(model), columns)
            if name in BULK:
                with bulk_load(cursor, copier.model._meta.db_table):
                    counts[name] = copier.copy(cursor, rows)
            else:
                counts[name] = copier.copy(cursor, rows)
            steps[f"copy {name}"] = time.perf_counter() - started
            self.log(f"  {name}: {counts[name]} rows in {steps[f'copy {name}']:.1f} s")

        timed("regions", "sites.Region", ["id", "code", "name"], ((i, c, n) for i, c, n in self.regions))
        timed(
            "departments",
            "sites.Department",
            ["id", "code", "name", "region_id", "cdom_name", "cdom_email"],
            (
                (i, c, f"Département {c}", r, f"CDOM {c}", f"cdom{c.lower()}@bench.ordre.medecin.fr")
                for i, c, r in self.departments
            ),
        )
        timed(
            "epci",
            "sites.Epci",
            ["id", "siren", "name", "kind", "population"],
            ((z[0], z[1], z[2], "CC", 20_000 + z[0] % 50_000) for z in self.zones),
        )
        timed(
            "communes",
            "sites.Commune",
            ["id", "insee_code", "name", "department_id", "epci_id", "population", "postcodes"],
            ((c[0], c[1], c[2], c[3], c[4], 1_000 + c[0] % 9_000, c[1]) for c in self.communes),
        )
        timed(
            "zones",
            "sites.Zone",
            ["id", "siren", "name", "department_id", "active", "target_days_per_month"],
            iter(self.zones),
        )
        timed(
            "users",
            "accounts.User",
            ["id", "email", "first_name", "last_name", "is_staff", "password", "is_active", "is_superuser"],
            ((u[0], u[1], u[2], u[3], u[4], self.password, True, False) for u in self.users),
        )
        timed(
            "host sites",
            "sites.HostSite",
            [
                "id",
                "name",
                "kind",
                "finess",
                "address",
                "commune_id",
                "zone_id",
                "contact_name",
                "contact_email",
                "contact_phone",
                "active",
            ],
            iter(self.sites),
        )
        timed(
            "site memberships",
            "sites.SiteMembership",
            ["id", "user_id", "site_id"],
            ((sid, uid, sid) for sid, uid in self.site_member.items()),
        )
        timed(
            "ARS memberships",
            "sites.ArsMembership",
            ["id", "user_id", "region_id"],
            ((i + 1, uid, rid) for i, (uid, rid) in enumerate(self.ars_users)),
        )
        timed("CPAM", "billing.Cpam", ["id", "department_id", "name", "email"], iter(self.cpams))
        timed(
            "CPAM memberships",
            "billing.CpamMembership",
            ["id", "user_id", "cpam_id"],
            ((i + 1, uid, cid) for i, (uid, cid) in enumerate(self.cpam_agents)),
        )
        doctor_columns = [
            "id",
            "user_id",
            "rpps",
            "first_name",
            "last_name",
            "specialty",
            "sector",
            "mode",
            "practice_commune_id",
            "practice_department_id",
            "cdom_department_id",
            "phone",
            "status",
            "status_changed_at",
            "submitted_at",
            "validated_at",
            "billing_number",
            "billing_number_status",
            "ical_token",
        ]
        timed("doctors", "missions.Doctor", doctor_columns, iter(self.doctors))
        through = _model("missions.Doctor").zones.through
        timed(
            "doctor zones",
            through._meta.label,
            ["id", "doctor_id", "zone_id"],
            (
                (n, did, zid)
                for n, (did, zid) in enumerate(
                    ((d, z) for d in range(1, len(self.doctors) + 1) for z in self.doctor_zones[d]), start=1
                )
            ),
        )

        # Slots in date order (sites publish ahead, so ids roughly follow dates), then bookings by request time.
        order = sorted(range(len(self.s_site)), key=lambda i: (self.s_date[i], self.s_site[i], self.s_period[i]))
        slot_id = [0] * len(order)
        for new_id, ix in enumerate(order, start=1):
            slot_id[ix] = new_id

        def slot_rows():
            for new_id, ix in enumerate(order, start=1):
                site, day = self.s_site[ix], self.s_date[ix]
                created = at(day - timedelta(days=20 + new_id % 70), 8)
                member = self.site_member[site]
                closed = self.s_closed[ix]
                yield (
                    new_id,
                    site,
                    self.site_zone[site],
                    day,
                    self.s_period[ix],
                    self.s_cap[ix],
                    "closed" if closed else "open",
                    created,
                    member,
                    created + timedelta(days=3) if closed else None,
                    member if closed else None,
                    "Fermeture exceptionnelle du lieu" if closed else "",
                )

        timed(
            "slots",
            "sites.Slot",
            [
                "id",
                "site_id",
                "zone_id",
                "date",
                "period",
                "capacity",
                "status",
                "created_at",
                "created_by_id",
                "closed_at",
                "closed_by_id",
                "closed_reason",
            ],
            slot_rows(),
        )
        self.slot_id = slot_id

        bookings = []
        for doctor, ix, status in self.bookings:
            day = self.s_date[ix]
            lead = 3 + (doctor * 7 + ix) % 57
            requested = at(day - timedelta(days=lead), 10)
            if requested > now:
                requested = now - timedelta(hours=1 + ix % 48)
            bookings.append((requested, doctor, ix, status))
        bookings.sort(key=lambda b: b[0])

        def booking_rows():
            for bid, (requested, doctor, ix, status) in enumerate(bookings, start=1):
                site = self.s_site[ix]
                day = self.s_date[ix]
                zid = self.site_zone[site]
                period = self.s_period[ix]
                member = self.site_member[site]
                user = self.doctor_user[doctor]
                confirmed = status in ("confirmed", "completed", "no_show") or (status == "cancelled" and bid % 2)
                confirmed_at = min(requested + timedelta(days=1), now) if confirmed else None
                declined = status == "declined"
                cancelled = status == "cancelled"
                attested = status in ("completed", "no_show")
                cancel_at = min(requested + timedelta(days=2), now) if cancelled else None
                yield (
                    bid,
                    doctor,
                    slot_id[ix],
                    zid,
                    day,
                    period,
                    ONE if period == "full_day" else HALF,
                    status,
                    self.doctor_home_zone[doctor] == zid,
                    requested,
                    user,
                    confirmed_at,
                    member if confirmed else None,
                    min(requested + timedelta(days=1), now) if declined else None,
                    member if declined else None,
                    cancel_at,
                    (user if bid % 3 else member) if cancelled else None,
                    "Empêchement" if cancelled else "Plus de place ce jour-là" if declined else "",
                    cancelled and bid % 10 == 0,
                    at(day, 18) if attested else None,
                    member if attested else None,
                    (5 + bid % 20) if status == "completed" else None,
                )

        timed(
            "bookings",
            "missions.Booking",
            [
                "id",
                "doctor_id",
                "slot_id",
                "zone_id",
                "date",
                "period",
                "day_fraction",
                "status",
                "in_own_zone",
                "requested_at",
                "requested_by_id",
                "confirmed_at",
                "confirmed_by_id",
                "declined_at",
                "declined_by_id",
                "cancelled_at",
                "cancelled_by_id",
                "reason",
                "late_cancellation",
                "attested_at",
                "attested_by_id",
                "consultations",
            ],
            booking_rows(),
        )

        from billing.reference import FLAT_RATES

        first_rate = FLAT_RATES[0][0]
        rates = [(i + 1, min(first_rate, self.months[0]) if i == 0 else d, a) for i, (d, a) in enumerate(FLAT_RATES)]
        timed("flat rates", "billing.FlatRate", ["id", "valid_from", "amount"], iter(rates))

        self.statements(cursor, bookings, rates[-1][2], timed, counts)

        # API tokens of the load clients: bookers, racers, every ARS agent and the CPAM agent of Paris.
        self.tokens = {}
        token_users = [self.doctor_user[d] for d in self.bookers + self.racers]
        token_users += [u for u, _ in self.ars_users]
        paris_cpam = self.cpam_by_dept_code[STRESS_DEPARTMENT]
        self.paris_cpam_agent = next(u for u, c in self.cpam_agents if c == paris_cpam)
        token_users.append(self.paris_cpam_agent)
        for uid in token_users:
            self.tokens[uid] = secrets.token_hex(20)
        timed(
            "tokens",
            "authtoken.Token",
            ["key", "user_id", "created"],
            ((key, uid, now) for uid, key in self.tokens.items()),
        )
        _ = rng
        return counts

    def statements(self, cursor, bookings: list, rate: Decimal, timed, counts: dict) -> None:
        """The statements the monthly job would have written before the stress month: one per CPAM and month,
        a line per attested day, issued (last month before the stress month) or paid (older). The stress
        month itself has none: the bench generates it, and finds only that month's days to state."""
        from django.conf import settings as dj_settings

        by_site = getattr(dj_settings, "FLAT_RATE_PAYER", "doctor") == "site"
        labels = {"full_day": "Journée", "morning": "Matin", "afternoon": "Après-midi"}
        commune_name = {c[0]: c[2] for c in self.communes}
        doctor_row = {d[0]: d for d in self.doctors}
        site_row = {st[0]: st for st in self.sites}
        zone_name = {z[0]: z[2] for z in self.zones}
        cpam_of_dept = {c[1]: c[0] for c in self.cpams}
        groups: dict[tuple[int, date], list] = defaultdict(list)
        for bid, (_requested, doctor, ix, status) in enumerate(bookings, start=1):
            day = self.s_date[ix]
            if status != "completed" or day >= self.stress_month:
                continue
            site = site_row[self.s_site[ix]]
            dept = self.commune_department[site[5]] if by_site else doctor_row[doctor][9]
            groups[(cpam_of_dept[dept], day.replace(day=1))].append((bid, doctor, ix))
        last_month = max((m for _, m in groups), default=None)
        statements, lines = [], []
        for sid, ((cpam, month), days) in enumerate(sorted(groups.items()), start=1):
            total_days = total = Decimal("0")
            for bid, doctor, ix in sorted(days, key=lambda b: (doctor_row[b[1]][4], doctor_row[b[1]][3], b[0])):
                d, site, period = doctor_row[doctor], site_row[self.s_site[ix]], self.s_period[ix]
                fraction = ONE if period == "full_day" else HALF
                amount = (rate * fraction).quantize(Decimal("0.01"))
                total_days += fraction
                total += amount
                lines.append(
                    (
                        len(lines) + 1,
                        sid,
                        bid,
                        "line",
                        1,
                        d[4],
                        d[3],
                        d[2],
                        d[16],
                        self.s_date[ix],
                        period,
                        labels[period],
                        site[1],
                        site[3] or "",
                        commune_name[site[5]],
                        zone_name[site[6]],
                        fraction,
                        rate,
                        amount,
                    )
                )
            generated = at(month + timedelta(days=40), 6)
            statements.append((sid, cpam, month, "draft", len(days), total_days, total, generated, month == last_month))
        timed(
            "statements",
            "billing.Statement",
            ["id", "cpam_id", "month", "status", "line_count", "total_days", "total_amount", "generated_at"],
            (row[:8] for row in statements),
        )
        timed(
            "statement lines",
            "billing.StatementLine",
            # The tuples above list the snapshot and the figures in billing.lines' order.
            ["id", "statement_id", "booking_id", "kind", "sequence", *SNAPSHOT, *FIGURES],
            iter(lines),
        )
        # Issued once written (the database refuses lines on an issued statement), then paid but the last.
        cursor.execute("UPDATE billing_statement SET status = 'issued', issued_at = generated_at + interval '2 days'")
        cursor.execute(
            "UPDATE billing_statement SET status = 'paid', paid_at = issued_at + interval '20 days' WHERE month < %s",
            [last_month or self.stress_month],
        )

    def meta(self) -> dict:
        user_email = {u[0]: u[1] for u in self.users}
        region_of_ars = dict(self.ars_users)
        busiest_region = max(self.zones_by_region, key=lambda r: len(self.zones_by_region[r]))
        ars_user = next(u for u, r in region_of_ars.items() if r == busiest_region)
        stress_region = next(r for _, code, r in self.departments if code == STRESS_DEPARTMENT)
        stress_ars = next(u for u, r in region_of_ars.items() if r == stress_region)
        return {
            "scale": self.scale,
            "seeded_on": self.today.isoformat(),
            "months": [m.isoformat() for m in self.months],
            "stress_month": self.stress_month.isoformat(),
            "stress_department": STRESS_DEPARTMENT,
            "stress_cpam_id": self.cpam_by_dept_code[STRESS_DEPARTMENT],
            "password": PASSWORD,
            "bookers": [[d, self.tokens[self.doctor_user[d]]] for d in self.bookers],
            "racers": [[d, self.tokens[self.doctor_user[d]]] for d in self.racers],
            "ars": {"region_id": busiest_region, "email": user_email[ars_user], "token": self.tokens[ars_user]},
            # The draft statement of the stress CPAM is seen by the ARS of its own region only (accounts.authority).
            "ars_of_stress_cpam": {"token": self.tokens[stress_ars]},
            "cpam_agent": {"email": user_email[self.paris_cpam_agent], "token": self.tokens[self.paris_cpam_agent]},
            "zones_by_region": {str(r): z for r, z in self.zones_by_region.items()},
            "doctor_ids": [1, len(self.doctors)],
            "slot_ids": [1, len(self.s_site)],
        }


def empty_tables(cursor) -> None:
    existing = set(connection.introspection.table_names(cursor))
    tables = ", ".join(f'"{t}"' for t in app_tables() if t in existing)
    cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def reset_sequences(cursor) -> None:
    existing = set(connection.introspection.table_names(cursor))
    for table in (t for t in app_tables() if t in existing):
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
            [f'"{table}"'],
        )
        for (column,) in cursor.fetchall():
            cursor.execute(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)',
                [f'"{table}"', column],
            )


def store_meta(cursor, meta: dict) -> None:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
    cursor.execute(
        "INSERT INTO bench_meta (key, value) VALUES ('seed', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(meta)],
    )


def load_meta(cursor) -> dict | None:
    cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return None
    cursor.execute("SELECT value FROM bench_meta WHERE key = 'seed'")
    row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def seed(
    scale: float = 1.0,
    *,
    today: date | None = None,
    rng_seed: int = 2026,
    log: Callable[[str], None] = print,
    vacuum: bool = True,
) -> SeedReport:
    """Empty the product's tables and write the national data set at `scale`; ANALYZE (and VACUUM when not
    inside a transaction). Runs on the default connection, which must be PostgreSQL."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The national data set is written with COPY: it needs PostgreSQL.")
    started = time.perf_counter()
    steps: dict[str, float] = {}
    today = today or timezone.localdate()
    gen = Generator(scale, today, rng_seed, log)
    t = time.perf_counter()
    gen.territory()
    gen.people()
    steps["generate people"] = time.perf_counter() - t
    t = time.perf_counter()
    gen.slots_and_bookings()
    steps["generate slots and bookings"] = time.perf_counter() - t
    log(f"  generated in {time.perf_counter() - started:.1f} s")
    with transaction.atomic(), connection.cursor() as cursor:
        t = time.perf_counter()
        empty_tables(cursor)
        steps["truncate"] = time.perf_counter() - t
        counts = gen.write(cursor, steps)
        t = time.perf_counter()
        # COPY sends no signal: the doctors' regions (missions.doctor_regions) are filled from the rule at once.
        counts["doctor regions"] = rebuild_doctor_regions()
        steps["doctor regions"] = time.perf_counter() - t
        reset_sequences(cursor)
        _join_ars_group(gen)
        meta = gen.meta()
        store_meta(cursor, meta)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        if vacuum and connection.get_autocommit() and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    steps["vacuum analyze"] = time.perf_counter() - t
    seconds = time.perf_counter() - started
    meta["seed_seconds"] = round(seconds, 1)
    meta["counts"] = counts
    with connection.cursor() as cursor:
        store_meta(cursor, meta)
    return SeedReport(scale=scale, seconds=seconds, counts=counts, steps=steps, meta=meta)


def _join_ars_group(gen: Generator) -> None:
    """ARS staff hold the admin permissions of the ARS group, as accounts.authority keeps them."""
    from accounts.authority import ensure_ars_group

    group = ensure_ars_group()
    through = _model("accounts.User").groups.through
    through.objects.bulk_create([through(user_id=uid, group_id=group.pk) for uid, _ in gen.ars_users])
