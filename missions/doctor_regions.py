"""The regions each doctor is « of », kept in `DoctorRegion` (issue #20): what ARS staff see of doctors.

The rule (accounts.authority): a doctor is of a region when their main practice, a zone they cover or a zone they
booked in lies in it. Every query that lists or counts a region's doctors (the /ars/ dashboard, the admin's
changelist, the API) used to rebuild it as a UNION of three id sets, the bookings' one reading 94,000 index
entries in the largest region; it now reads this table. A stale row is a visibility bug (a doctor hidden from the
ARS of their region, or shown to another region's), so the table is exactly the rule's result, kept as follows.

- `refresh_doctor_regions(doctor_ids)` recomputes the rule for those doctors from the three sources and syncs
  their rows. It first locks the doctors' rows (`SELECT … FOR UPDATE`) and only then reads the sources, in later
  statements: two transactions refreshing the same doctor run one after the other, and the second one (read
  committed: each statement sees what was committed before it) sees the first one's zones and bookings. A zone
  withdrawn while a booking in it is made therefore ends with the region kept (tests/missions/
  test_doctor_regions.py races it on PostgreSQL).
- Who calls it: the receivers below, on the ORM's signals, for every door that goes through the ORM — the
  services (registration, the doctor's file, Démarches Simplifiées' sync, the account's closure), the admin, the
  demo seed, the factories:
    * a doctor created, or saved with another practice department (`Doctor.from_db` remembers the loaded one:
      no read on the lifecycle acts' saves);
    * the zones a doctor covers added, removed, set or cleared (`m2m_changed`, from either side);
    * a booking written by the ORM (`post_save`: its zone's region added under the doctor's lock), its doctor or
      zone changed, a booking deleted;
    * a zone moved to another department, a department to another region (`post_save`, and `sites.signals.
      territory_moved` sent by the reference loads' bulk upserts, which send no `post_save`).
  Doors that bypass the ORM's signals call it (or write the rule in SQL) themselves: the bench's seed (COPY) and
  scenarios (raw zone declarations). The booking service's raw INSERT (missions.locks) adds nothing and calls
  nothing: it books only in a zone the doctor declared, checked under the doctor's lock (#15), so the booking's
  region is already the zone's row; and a zone withdrawn waits for that lock, then sees the booking.
- The net: `check_doctor_regions(repair=True)` compares the whole table with the rule recomputed from scratch,
  logs every drift and repairs it (the nightly `doctor_regions` job, operations.jobs).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from missions.models import Booking, Doctor, DoctorRegion
from sites.models import Department, Zone
from sites.signals import territory_moved

logger = logging.getLogger(__name__)

DoctorZone = Doctor.zones.through


def rule_pairs(doctor_ids: Iterable[int] | None = None) -> QuerySet:
    """(doctor_id, region_id) of the rule, from its three sources: all doctors, or those of `doctor_ids`."""
    practice = Doctor.objects.order_by()
    zones = DoctorZone.objects.order_by()
    booked = Booking.objects.order_by()
    if doctor_ids is not None:
        ids = list(doctor_ids)
        practice, zones, booked = (
            practice.filter(pk__in=ids),
            zones.filter(doctor_id__in=ids),
            booked.filter(doctor_id__in=ids),
        )
    return practice.values_list("pk", "practice_department__region_id").union(
        zones.values_list("doctor_id", "zone__department__region_id"),
        booked.values_list("doctor_id", "zone__department__region_id"),
    )


def refresh_doctor_regions(doctor_ids: Iterable[int]) -> tuple[int, int]:
    """Make the rows of these doctors the rule's result: lock the doctors, recompute, delete the rows the rule no
    longer gives, add those it gives. Four statements whatever the number of doctors. Returns (added, removed)."""
    ids = sorted({int(i) for i in doctor_ids if i is not None})
    if not ids:
        return 0, 0
    with transaction.atomic():
        # The lock first, the reads after (see the module's docstring): never one statement for both.
        list(Doctor.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",)).values_list("pk"))
        wanted = set(rule_pairs(ids))
        have = {
            (d, r): pk
            for pk, d, r in DoctorRegion.objects.filter(doctor_id__in=ids).values_list("pk", "doctor_id", "region_id")
        }
        stale = [pk for pair, pk in have.items() if pair not in wanted]
        missing = [DoctorRegion(doctor_id=d, region_id=r) for d, r in wanted - have.keys() if r is not None]
        if stale:
            DoctorRegion.objects.filter(pk__in=stale).delete()
        if missing:
            DoctorRegion.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing), len(stale)


def add_booking_region(doctor_id: int, zone_id: int) -> None:
    """A booking only adds its zone's region: under the doctor's lock (as `refresh_doctor_regions`, so that a
    concurrent refresh of that doctor sees the booking or is seen by it), one `INSERT … ON CONFLICT DO NOTHING`."""
    with transaction.atomic():
        list(Doctor.objects.filter(pk=doctor_id).select_for_update(of=("self",)).values_list("pk"))
        region_id = Zone.objects.filter(pk=zone_id).values_list("department__region_id", flat=True).first()
        if region_id is not None:
            DoctorRegion.objects.bulk_create(
                [DoctorRegion(doctor_id=doctor_id, region_id=region_id)], ignore_conflicts=True
            )


def _rule_sql() -> str:
    """The rule as one SELECT of (doctor_id, region_id) over every doctor, for the bulk doors (the bench's seed)."""
    q = connection.ops.quote_name
    doctor, zones, booking = Doctor._meta.db_table, DoctorZone._meta.db_table, Booking._meta.db_table
    zone, department = Zone._meta.db_table, Department._meta.db_table
    return (
        f"SELECT d.id, dep.region_id FROM {q(doctor)} d JOIN {q(department)} dep ON dep.id = d.practice_department_id "
        f"UNION SELECT dz.doctor_id, dep.region_id FROM {q(zones)} dz JOIN {q(zone)} z ON z.id = dz.zone_id "
        f"JOIN {q(department)} dep ON dep.id = z.department_id "
        f"UNION SELECT b.doctor_id, dep.region_id FROM (SELECT DISTINCT zone_id, doctor_id FROM {q(booking)}) b "
        f"JOIN {q(zone)} z ON z.id = b.zone_id JOIN {q(department)} dep ON dep.id = z.department_id"
    )


def rebuild_doctor_regions() -> int:
    """Empty the table and fill it from the rule, in one INSERT … SELECT: for doors that write doctors, zones or
    bookings in bulk without the ORM (the bench's seed, by COPY). Returns the number of rows."""
    table = connection.ops.quote_name(DoctorRegion._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} (doctor_id, region_id) {_rule_sql()}")
        return cursor.rowcount


@dataclass
class Drift:
    missing: list[tuple[int, int]] = field(default_factory=list)  # the rule gives them, the table lacks them
    extra: list[tuple[int, int]] = field(default_factory=list)  # the table holds them, the rule does not

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def check_doctor_regions(*, repair: bool = False) -> Drift:
    """Compare the whole table with the rule recomputed from scratch (two set differences in the database); with
    `repair`, refresh every doctor found drifting and log each pair (a drift means a door this module missed)."""
    table = DoctorRegion.objects.order_by().values_list("doctor_id", "region_id")
    rule = rule_pairs()
    drift = Drift(
        missing=sorted(p for p in rule.difference(table) if p[1] is not None),
        extra=sorted(table.difference(rule_pairs())),
    )
    if drift:
        logger.error("Doctors' regions drifted from the rule: missing %s, extra %s", drift.missing, drift.extra)
        if repair:
            refresh_doctor_regions({d for d, _ in [*drift.missing, *drift.extra]})
    return drift


# --- the receivers: every door that writes through the ORM ---------------------------------------------------------


@receiver(post_save, sender=Doctor, dispatch_uid="doctor_regions_doctor_saved")
def _doctor_saved(sender, instance: Doctor, created: bool, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw:
        return  # loaddata: the fixture's rows come with the table's own (or the nightly check repairs them)
    if (
        not created
        and update_fields is not None
        and not {"practice_department", "practice_department_id"} & set(update_fields)
    ):
        return
    loaded = getattr(instance, "_loaded_practice_department_id", None)
    if created or loaded is None or loaded != instance.practice_department_id:
        refresh_doctor_regions([instance.pk])
        instance._loaded_practice_department_id = instance.practice_department_id  # type: ignore[attr-defined]


@receiver(m2m_changed, sender=DoctorZone, dispatch_uid="doctor_regions_zones_changed")
def _zones_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse:
        # zone.doctors.clear(): the doctors are gone by post_clear; remember them.
        instance._doctor_regions_cleared = list(
            DoctorZone.objects.filter(zone_id=instance.pk).values_list("doctor_id", flat=True)
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        if action != "post_add" or pk_set:
            refresh_doctor_regions([instance.pk])
    elif action == "post_clear":
        refresh_doctor_regions(getattr(instance, "_doctor_regions_cleared", []))
    else:
        refresh_doctor_regions(pk_set or [])


@receiver(post_save, sender=Booking, dispatch_uid="doctor_regions_booking_saved")
def _booking_saved(sender, instance: Booking, created: bool, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if created:
        add_booking_region(instance.doctor_id, instance.zone_id)
        instance._loaded_doctor_zone = (instance.doctor_id, instance.zone_id)  # type: ignore[attr-defined]
        return
    if update_fields is not None and not {"doctor", "doctor_id", "zone", "zone_id"} & set(update_fields):
        return
    loaded = getattr(instance, "_loaded_doctor_zone", None)
    if loaded != (instance.doctor_id, instance.zone_id):
        refresh_doctor_regions([instance.doctor_id, *(loaded[:1] if loaded else ())])
        instance._loaded_doctor_zone = (instance.doctor_id, instance.zone_id)  # type: ignore[attr-defined]


@receiver(post_delete, sender=Booking, dispatch_uid="doctor_regions_booking_deleted")
def _booking_deleted(sender, instance: Booking, **kwargs) -> None:
    refresh_doctor_regions([instance.doctor_id])


def doctors_of_territory(zone_ids: Iterable[int] = (), department_ids: Iterable[int] = ()) -> set[int]:
    """The doctors whose regions may change when these zones or departments move."""
    zone_ids = set(zone_ids) | set(
        Zone.objects.filter(department_id__in=list(department_ids)).values_list("pk", flat=True)
    )
    doctors = set(Doctor.objects.filter(practice_department_id__in=list(department_ids)).values_list("pk", flat=True))
    doctors |= set(DoctorZone.objects.filter(zone_id__in=zone_ids).values_list("doctor_id", flat=True))
    doctors |= set(Booking.objects.filter(zone_id__in=zone_ids).values_list("doctor_id", flat=True).distinct())
    return doctors


@receiver(pre_delete, sender=Zone, dispatch_uid="doctor_regions_zone_deleting")
def _zone_deleting(sender, instance: Zone, **kwargs) -> None:
    # Deleting a zone cascades to the doctors' zones without m2m_changed: remember who covered it.
    instance._doctor_regions_covering = doctors_of_territory(zone_ids=[instance.pk])  # type: ignore[attr-defined]


@receiver(post_delete, sender=Zone, dispatch_uid="doctor_regions_zone_deleted")
def _zone_deleted(sender, instance: Zone, **kwargs) -> None:
    refresh_doctor_regions(getattr(instance, "_doctor_regions_covering", ()))


@receiver(post_save, sender=Zone, dispatch_uid="doctor_regions_zone_saved")
def _zone_saved(sender, instance: Zone, created: bool, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw or created or (update_fields is not None and not {"department", "department_id"} & set(update_fields)):
        return
    refresh_doctor_regions(doctors_of_territory(zone_ids=[instance.pk]))


@receiver(post_save, sender=Department, dispatch_uid="doctor_regions_department_saved")
def _department_saved(
    sender, instance: Department, created: bool, update_fields=None, raw: bool = False, **kwargs
) -> None:
    if raw or created or (update_fields is not None and not {"region", "region_id"} & set(update_fields)):
        return
    refresh_doctor_regions(doctors_of_territory(department_ids=[instance.pk]))


@receiver(territory_moved, dispatch_uid="doctor_regions_territory_moved")
def _territory_moved(sender, zone_ids=(), department_ids=(), **kwargs) -> None:
    refresh_doctor_regions(doctors_of_territory(zone_ids, department_ids))
