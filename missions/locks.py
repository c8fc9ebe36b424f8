"""The statements of `book_slot`, as SQL composed once per database vendor (issue #20): its reads under the locks,
and the booking's insert with its history row.

The booking is the product's hottest write. Profiled (bench/profiles/), a third of its CPU went to the ORM
*composing* its three reads on every request — the doctor with their user and practice EPCI, the slot with its
site, zone and the zone rule's EXISTS, the R1–R3 aggregate — for statements whose text never changes (PostgreSQL
already plans each once per connection: prepared statements). Here the text is built once from the models' own
field lists, the rows become model instances through Django's `from_db` with the fields' own database converters
(so SQLite's dates and decimals read as the ORM reads them), and the related instances are cached as
`select_related` would cache them. Same statements, same locks (`FOR UPDATE OF` the one row), same order.

The booking's INSERT and its django-simple-history row are written the same way (on PostgreSQL in one statement):
`Model.save()` and the history's `post_save` cost a seventh of the booking. The history row holds what
simple-history writes — every field of the booking, `history_type` « + », the date, the person acting
(`set_history_user`) — built from the historical model's own field list; nothing in the project listens to
Booking's `post_save` or to simple-history's signals (a test holds the row equal to the one `save()` writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from api.rows import Columns
from missions.models import Booking, Doctor
from sites.models import Commune, Epci, HostSite, SiteMembership, Slot, Zone


@dataclass
class _Statements:
    doctor: Columns
    user: Columns
    doctor_sql: str
    slot: Columns
    site: Columns
    zone: Columns
    slot_sql: str
    load_sql: str
    booking_fields: list
    insert_sql: str
    history_fields: list
    history_sql: str


_statements: dict[str, _Statements] = {}

# What the history row says of itself (simple-history's own columns); every other column copies the booking.
HISTORY_VALUES = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _compose(db: BaseDatabaseWrapper) -> _Statements:
    from accounts.models import User

    qn = db.ops.quote_name
    lock = db.features.has_select_for_update
    doctor, user = Columns(Doctor, "d", db), Columns(User, "u", db)
    slot, site, zone = Columns(Slot, "s", db), Columns(HostSite, "h", db), Columns(Zone, "z", db)
    d_table, u_table = qn(Doctor._meta.db_table), qn(User._meta.db_table)
    commune_table = qn(Commune._meta.db_table)
    epci_table = qn(Epci._meta.db_table)
    # Lock order: the doctor first (this statement), then the slot (the next one). Always.
    doctor_sql = (
        f"SELECT {doctor.sql}, {user.sql}, e.{qn('siren')} FROM {d_table} d "
        f"JOIN {u_table} u ON u.{qn('id')} = d.{qn('user_id')} "
        f"JOIN {commune_table} c ON c.{qn('id')} = d.{qn('practice_commune_id')} "
        f"LEFT JOIN {epci_table} e ON e.{qn('id')} = c.{qn('epci_id')} "
        f"WHERE d.{qn('id')} = %s" + (" FOR UPDATE OF d" if lock else "")
    )
    zones_table = qn(Doctor.zones.through._meta.db_table)
    # The site's active members' addresses (the booking's message goes to them) in the same round trip, on
    # PostgreSQL as an array; elsewhere NULL, and missions.notices reads them by a statement of their own.
    membership_table = qn(SiteMembership._meta.db_table)
    members = (
        f"ARRAY(SELECT mu.{qn('email')} FROM {membership_table} m JOIN {u_table} mu ON mu.{qn('id')} = "
        f"m.{qn('user_id')} WHERE m.{qn('site_id')} = s.{qn('site_id')} AND mu.{qn('is_active')})"
        if db.vendor == "postgresql"
        else "NULL"
    )
    # The zone rule's fact in the slot's own statement: a change of the doctor's zones locks the doctor first.
    slot_sql = (
        f"SELECT {slot.sql}, {site.sql}, {zone.sql}, {members}, "
        f"EXISTS (SELECT 1 FROM {zones_table} dz WHERE dz.{qn('doctor_id')} = %s "
        f"AND dz.{qn('zone_id')} = s.{qn('zone_id')}) "
        f"FROM {qn(Slot._meta.db_table)} s "
        f"JOIN {qn(HostSite._meta.db_table)} h ON h.{qn('id')} = s.{qn('site_id')} "
        f"JOIN {qn(Zone._meta.db_table)} z ON z.{qn('id')} = s.{qn('zone_id')} "
        f"WHERE s.{qn('id')} = %s" + (" FOR UPDATE OF s" if lock else "")
    )
    active = ", ".join(f"'{status}'" for status in Booking.ACTIVE_STATUSES)
    # R3 (one active booking per doctor and date), R1 (days in the month), R2 (places taken), in one statement,
    # read after both locks (a statement's snapshot starts with it: it sees every booking committed by whoever
    # held those locks before us).
    load_sql = (
        f"SELECT COUNT(CASE WHEN {qn('doctor_id')} = %s AND {qn('date')} = %s THEN 1 END), "
        f"SUM(CASE WHEN {qn('doctor_id')} = %s AND {qn('date')} BETWEEN %s AND %s THEN {qn('day_fraction')} END), "
        f"COUNT(CASE WHEN {qn('slot_id')} = %s THEN 1 END) "
        f"FROM {qn(Booking._meta.db_table)} WHERE {qn('status')} IN ({active}) "
        f"AND (({qn('doctor_id')} = %s AND {qn('date')} BETWEEN %s AND %s) OR {qn('slot_id')} = %s)"
    )
    booking_fields = [f for f in Booking._meta.concrete_fields if not f.primary_key]
    history_model = Booking.history.model
    history_fields = [f for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    b_table, h_table = qn(Booking._meta.db_table), qn(history_model._meta.db_table)
    insert_sql = (
        f"INSERT INTO {b_table} ({', '.join(qn(f.column) for f in booking_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(booking_fields))}) RETURNING {qn('id')}"
    )
    history_columns = ", ".join(qn(f.column) for f in history_fields)
    if db.vendor == "postgresql":
        # One round trip: the history row copies the row just inserted (RETURNING it whole) and adds its own four
        # values. Each booking value is bound once: psycopg caches a statement's parsing only up to 50 parameters
        # (MAX_CACHED_STATEMENT_PARAMS); with every value bound twice (70) it parsed the statement again on every
        # booking, a seventh of the booking's Python CPU (round 3's profile).
        booking_columns = {f.attname: f.column for f in booking_fields} | {"id": Booking._meta.pk.column}
        selected = ", ".join(
            "%s" if f.attname in HISTORY_VALUES else f"b.{qn(booking_columns[f.attname])}" for f in history_fields
        )
        insert_sql = (
            f"WITH b AS ({insert_sql[: insert_sql.rindex(' RETURNING ')]} RETURNING *) "
            f"INSERT INTO {h_table} ({history_columns}) SELECT {selected} FROM b RETURNING {qn('id')}"
        )
        history_sql = ""
    else:
        history_sql = f"INSERT INTO {h_table} ({history_columns}) VALUES ({', '.join(['%s'] * len(history_fields))})"
    return _Statements(
        doctor,
        user,
        doctor_sql,
        slot,
        site,
        zone,
        slot_sql,
        load_sql,
        booking_fields,
        insert_sql,
        history_fields,
        history_sql,
    )


def _sql() -> _Statements:
    found = _statements.get(connection.vendor)
    if found is None:
        found = _statements[connection.vendor] = _compose(connection)
    return found


def lock_doctor(doctor_id: int) -> tuple[Doctor, str | None]:
    """The doctor (their user cached on them), locked; and the SIREN of their practice's EPCI (R10's flag).
    Doctor.DoesNotExist if there is none."""
    st = _sql()
    with connection.cursor() as cursor:
        cursor.execute(st.doctor_sql, [doctor_id])
        row = cursor.fetchone()
    if row is None:
        raise Doctor.DoesNotExist
    n = len(st.doctor)
    doctor = st.doctor.load(row[:n], connection)
    doctor._state.fields_cache["user"] = st.user.load(row[n : n + len(st.user)], connection)
    return doctor, row[-1]


def lock_slot(slot_id: int, doctor_id: int) -> tuple[Slot, bool, list[str] | None]:
    """The slot (its site and zone cached on it), locked; whether the doctor declared its zone; and the e-mail
    addresses of the site's active members (None where the database cannot say them in this statement: SQLite).
    Slot.DoesNotExist if there is none."""
    st = _sql()
    with connection.cursor() as cursor:
        cursor.execute(st.slot_sql, [doctor_id, slot_id])
        row = cursor.fetchone()
    if row is None:
        raise Slot.DoesNotExist("Slot matching query does not exist.")
    a, b = len(st.slot), len(st.slot) + len(st.site)
    slot = st.slot.load(row[:a], connection)
    slot._state.fields_cache["site"] = st.site.load(row[a:b], connection)
    slot._state.fields_cache["zone"] = st.zone.load(row[b : b + len(st.zone)], connection)
    members = row[-2]
    return slot, bool(row[-1]), None if members is None else list(members)


def booking_load(doctor_id: int, slot_id: int, day: date, month: tuple[date, date]) -> tuple[bool, Decimal, int]:
    """Has the doctor an active booking on `day` (R3), how many days in `month` (R1), how many places of the
    slot are taken (R2). Read under the doctor and slot locks."""
    first, last = month
    with connection.cursor() as cursor:
        cursor.execute(
            _sql().load_sql, [doctor_id, day, doctor_id, first, last, slot_id, doctor_id, first, last, slot_id]
        )
        that_day, month_days, taken = cursor.fetchone()
    return bool(that_day), Decimal(str(month_days)) if month_days is not None else Decimal("0"), int(taken)


def insert_booking(booking: Booking, by_id: int | None) -> None:
    """INSERT the new booking and its history row (« + », by `by_id`, now); sets `booking.pk`. The partial unique
    index (one active booking per doctor and date) raises IntegrityError as `save()` did."""
    st = _sql()
    values = []
    for f in st.booking_fields:
        value = f.pre_save(booking, add=True)  # auto_now_add (requested_at) is stamped on the instance here
        values.append(f.get_db_prep_save(value, connection))
    history = {
        "history_date": timezone.now(),
        "history_change_reason": None,
        "history_type": "+",
        "history_user_id": by_id,
    }
    with connection.cursor() as cursor:
        if st.history_sql:  # two statements (SQLite)
            cursor.execute(st.insert_sql, values)
            booking.pk = cursor.fetchone()[0]
            history_values = [
                f.get_db_prep_save(
                    history[f.attname] if f.attname in history else getattr(booking, f.attname), connection
                )
                for f in st.history_fields
            ]
            cursor.execute(st.history_sql, history_values)
        else:  # one statement: the booking's values, then the history's own (in the history model's field order)
            history_values = [
                f.get_db_prep_save(history[f.attname], connection) for f in st.history_fields if f.attname in history
            ]
            cursor.execute(st.insert_sql, values + history_values)
            booking.pk = cursor.fetchone()[0]
    booking._state.adding = False
    booking._state.db = connection.alias
