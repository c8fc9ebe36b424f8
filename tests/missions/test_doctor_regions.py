"""The doctors × regions table (missions.doctor_regions) is exactly its rule's result after every door that changes
the rule's inputs: each test changes one input through one door, then compares the whole table with the rule
recomputed here, from the three sources, in plain Python (not with the module's own query), and checks the pair
that door must have added or removed."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demarches.services import _update as ds_update
from missions import doctor_file, services
from missions.doctor_regions import check_doctor_regions, refresh_doctor_regions
from missions.jobs import run_doctor_regions_check
from missions.models import Booking, Doctor, DoctorRegion
from missions.registration import Registration
from operations.jobs import JOBS
from sites import reference
from sites.models import Zone
from tests import factories as f
from tests.conftest import OTHER_REGION
from tests.pg_locks import sessions_waiting_on


def rule() -> set[tuple[int, int]]:
    """The rule, recomputed from its sources: main practice, zones covered, zones booked in."""
    pairs = {(d.pk, d.practice_department.region_id) for d in Doctor.objects.select_related("practice_department")}
    for doctor in Doctor.objects.prefetch_related("zones__department"):
        pairs |= {(doctor.pk, zone.department.region_id) for zone in doctor.zones.all()}
    for booking in Booking.objects.select_related("zone__department"):
        pairs.add((booking.doctor_id, booking.zone.department.region_id))
    return pairs


def table() -> set[tuple[int, int]]:
    return set(DoctorRegion.objects.values_list("doctor_id", "region_id"))


def regions_of(doctor: Doctor) -> set[int]:
    """What the table says, after checking it is the rule for everyone."""
    assert table() == rule()
    return set(DoctorRegion.objects.filter(doctor=doctor).values_list("region_id", flat=True))


@pytest.fixture
def third_zone(db) -> Zone:
    """A zone of a third region (its department code is one DepartmentFactory's sequence never makes)."""
    region = f.RegionFactory(code="94", name="Corse")
    return f.ZoneFactory(department=f.DepartmentFactory(code="971", region=region))


@pytest.fixture
def commune(zone):
    return f.CommuneFactory(department=zone.department)


@pytest.fixture
def region_a(zone) -> int:
    return zone.department.region_id


def booking_written_directly(doctor: Doctor, zone: Zone, days: int = 20) -> Booking:
    """A booking in a zone the doctor may not have declared, written by the ORM without the booking service."""
    slot = f.SlotFactory(site=f.HostSiteFactory(zone=zone), date=timezone.localdate() + timedelta(days=days))
    booking = f.BookingFactory.build(doctor=doctor, slot=slot)
    booking.save()
    return booking


# --- a doctor created, their practice moved --------------------------------------------------------------------------


def test_a_registered_doctor_is_of_their_practice_and_their_zones(commune, other_zone, region_a):
    from tests.missions.test_services import registration

    doctor = services.register_doctor(Registration(**registration(commune, other_zone)))
    assert regions_of(doctor) == {commune.department.region_id, other_zone.department.region_id}


def test_a_doctor_made_by_the_factory_is_of_their_practice_and_zones(other_zone, third_zone, region_a):
    doctor = f.DoctorFactory(zones=[other_zone, third_zone])
    assert regions_of(doctor) == {region_a, other_zone.department.region_id, third_zone.department.region_id}


def test_a_practice_moved_to_another_region_moves_the_doctor(other_zone, region_a):
    doctor = Doctor.objects.get(pk=f.DoctorFactory().pk)  # read back: a save that changes nothing reads nothing
    assert regions_of(doctor) == {region_a}
    with CaptureQueriesContext(connection) as queries:
        doctor.phone = "04 73 00 00 00"
        doctor.save()
    assert not [q for q in queries if "doctorregion" in q["sql"]]

    doctor.practice_commune = f.CommuneFactory(department=other_zone.department)
    doctor.practice_department = other_zone.department
    doctor.save()
    assert regions_of(doctor) == {other_zone.department.region_id}

    doctor.practice_department_id = f.ZoneFactory().department_id  # region A again, saved with update_fields
    doctor.save(update_fields=["practice_department"])
    assert regions_of(doctor) == {region_a}


def test_the_demarches_sync_moves_a_practice_and_its_zones(commune, other_zone, third_zone):
    from tests.missions.test_services import registration

    doctor = f.DoctorFactory(submitted=True)
    elsewhere = f.CommuneFactory(department=other_zone.department)
    ds_update(doctor, Registration(**registration(elsewhere, third_zone)))
    assert regions_of(doctor) == {other_zone.department.region_id, third_zone.department.region_id}


# --- the zones a doctor covers ----------------------------------------------------------------------------------------


def test_zones_added_removed_set_and_cleared(zone, other_zone, third_zone, region_a):
    doctor = f.DoctorFactory()
    b, c = other_zone.department.region_id, third_zone.department.region_id
    doctor.zones.add(other_zone)
    assert regions_of(doctor) == {region_a, b}
    doctor.zones.set([third_zone, zone])
    assert regions_of(doctor) == {region_a, c}
    doctor.zones.remove(third_zone)
    assert regions_of(doctor) == {region_a}
    doctor.zones.add(other_zone, third_zone)
    assert regions_of(doctor) == {region_a, b, c}
    doctor.zones.clear()
    assert regions_of(doctor) == {region_a}


def test_the_doctor_edits_their_zones(doctor, other_zone, region_a):
    doctor_file.update_file(doctor, {"zones": [*doctor.zones.all(), other_zone]}, by=doctor.user)
    assert regions_of(doctor) == {region_a, other_zone.department.region_id}
    doctor_file.update_file(doctor, {"zones": []}, by=doctor.user)
    assert regions_of(doctor) == {region_a}


def test_closing_the_account_clears_the_zones(other_zone, region_a):
    from missions.privacy import close_doctor

    doctor = f.DoctorFactory(zones=[other_zone])
    close_doctor(doctor.user, by=doctor.user)
    assert regions_of(doctor) == {region_a}


def test_a_zone_deleted_takes_its_region_from_those_who_covered_it(region_a):
    lone = f.ZoneFactory(department=f.DepartmentFactory(code="972", region=f.RegionFactory(code="93", name="PACA")))
    doctor = f.DoctorFactory(zones=[lone])
    assert regions_of(doctor) == {region_a, lone.department.region_id}
    lone.delete()
    assert regions_of(doctor) == {region_a}


# --- bookings ---------------------------------------------------------------------------------------------------------


def test_a_booking_in_an_undeclared_zone_adds_its_region_and_keeps_it_when_a_zone_is_withdrawn(other_zone, region_a):
    doctor = f.DoctorFactory()
    b = other_zone.department.region_id
    booking = booking_written_directly(doctor, other_zone)
    assert regions_of(doctor) == {region_a, b}
    doctor.zones.add(other_zone)
    doctor.zones.remove(other_zone)  # withdrawn: the booking keeps the region
    assert regions_of(doctor) == {region_a, b}
    booking.delete()
    assert regions_of(doctor) == {region_a}


def test_a_booking_moved_to_another_zone_moves_its_region(other_zone, third_zone, region_a):
    doctor = f.DoctorFactory()
    booking = Booking.objects.get(pk=booking_written_directly(doctor, other_zone).pk)
    booking.zone = third_zone
    booking.save()
    assert regions_of(doctor) == {region_a, third_zone.department.region_id}


def test_the_booking_service_writes_nothing_here_and_a_zone_withdrawn_after_keeps_the_region(other_zone, region_a):
    doctor = f.DoctorFactory(zones=[other_zone])
    slot = f.SlotFactory(site=f.HostSiteFactory(zone=other_zone), date=timezone.localdate() + timedelta(days=20))
    with CaptureQueriesContext(connection) as queries:
        services.book_slot(doctor=doctor, slot=slot, by=doctor.user)
    assert not [q for q in queries if "doctorregion" in q["sql"]]  # the zone is declared: its region is there
    doctor_file.update_file(doctor, {"zones": []}, by=doctor.user)
    assert regions_of(doctor) == {region_a, other_zone.department.region_id}


# --- the territory moved ---------------------------------------------------------------------------------------------


def test_a_zone_moved_to_another_region(zone, other_zone, region_a):
    doctor = f.DoctorFactory()
    booked = f.DoctorFactory()
    covering = f.DoctorFactory(zones=[zone])
    booking_written_directly(booked, zone)
    zone.department = other_zone.department
    zone.save()
    b = other_zone.department.region_id
    assert regions_of(covering) == regions_of(booked) == {region_a, b}
    assert regions_of(doctor) == {region_a}


def test_a_department_moved_to_another_region(other_zone):
    doctor = f.DoctorFactory()
    department = doctor.practice_department
    department.region = other_zone.department.region
    department.save()
    assert regions_of(doctor) == {other_zone.department.region_id}


def test_the_reference_load_moving_a_department_moves_its_doctors(other_zone, region_a):
    """The load's bulk upsert sends no post_save: it says what moved (sites.signals.territory_moved)."""
    department = other_zone.department  # region B, moved to region A by the file
    practising = f.DoctorFactory(practice_commune=f.CommuneFactory(department=department))
    covering = f.DoctorFactory(zones=[other_zone])
    assert regions_of(practising) == {department.region_id}
    reference.load_departments([{"code": department.code, "nom": department.name, "region": "84"}])
    assert regions_of(practising) == {region_a} and regions_of(covering) == {region_a}


# --- the net ----------------------------------------------------------------------------------------------------------


def test_the_check_finds_and_repairs_a_drift(zone, other_zone, region_a):
    doctor, other = f.DoctorFactory(zones=[zone]), f.DoctorFactory()
    assert not check_doctor_regions()
    # A door that bypasses the ORM's signals: a bulk insert of a booking, a row deleted by hand.
    slot = f.SlotFactory(site=f.HostSiteFactory(zone=other_zone))
    Booking.objects.bulk_create([f.BookingFactory.build(doctor=doctor, slot=slot)])
    DoctorRegion.objects.filter(doctor=other).delete()
    drift = check_doctor_regions()
    assert set(drift.missing) == {(doctor.pk, other_zone.department.region_id), (other.pk, region_a)}
    assert drift.extra == []
    assert table() != rule()

    report = JOBS["doctor_regions"].run()
    assert report.claimed == 2 and "2 rattachements médecin × région manquants" in report.lines[0]
    assert table() == rule()
    assert not check_doctor_regions()


def test_the_check_removes_a_row_the_rule_does_not_give(other_zone):
    doctor = f.DoctorFactory()
    DoctorRegion.objects.create(doctor=doctor, region=other_zone.department.region)
    assert run_doctor_regions_check(dry_run=True).claimed == 1
    assert table() != rule()  # a dry run repairs nothing
    assert check_doctor_regions(repair=True).extra == [(doctor.pk, other_zone.department.region_id)]
    assert table() == rule()


def test_refresh_of_many_doctors_is_a_fixed_number_of_statements(other_zone, django_assert_num_queries):
    doctors = [f.DoctorFactory(zones=[other_zone]) for _ in range(5)]
    DoctorRegion.objects.all().delete()
    with django_assert_num_queries(6):  # lock, rule, rows held, insert (nothing to delete), in a savepoint
        refresh_doctor_regions([d.pk for d in doctors])
    assert table() == rule()


# --- a zone withdrawn while a booking in it is made (PostgreSQL, real threads) ----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_zone_withdrawn_while_a_booking_in_it_is_written_keeps_the_region():
    """The booking's transaction writes first and commits late; the withdrawal's refresh runs in between. Without
    the doctor's lock the refresh would not see the uncommitted booking and delete the region the booking keeps."""
    region = f.RegionFactory(**OTHER_REGION)
    far = f.ZoneFactory(department=f.DepartmentFactory(code="2A", region=region))
    doctor = f.DoctorFactory(zones=[far])
    slot = f.SlotFactory(site=f.HostSiteFactory(zone=far), date=timezone.localdate() + timedelta(days=20))
    booked = threading.Event()
    withdrawn = threading.Event()
    errors: list[BaseException] = []

    def book() -> None:
        try:
            with transaction.atomic():
                f.BookingFactory.build(doctor=doctor, slot=slot).save()
                booked.set()
                # The withdrawal runs now, before this commits: it waits for the doctor's lock (or, without the
                # lock, it is over).
                deadline = time.monotonic() + 30
                while (
                    not (withdrawn.is_set() or sessions_waiting_on(connection.cursor())) and time.monotonic() < deadline
                ):
                    time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
            booked.set()
        finally:
            connection.close()

    def withdraw() -> None:
        try:
            booked.wait(timeout=30)
            with transaction.atomic():
                Doctor.objects.get(pk=doctor.pk).zones.remove(far)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            withdrawn.set()
            connection.close()

    threads = [threading.Thread(target=book), threading.Thread(target=withdraw)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not Doctor.objects.get(pk=doctor.pk).zones.exists() and Booking.objects.filter(doctor=doctor).exists()
    assert regions_of(doctor) == {doctor.practice_department.region_id, region.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_zone_withdrawn_while_the_doctor_books_in_it_ends_as_the_rule_says():
    """The real doors race: the doctor books through the service, the file's edit withdraws the zone. Either the
    booking wins (the region stays) or the withdrawal does (the booking is refused, the region goes)."""
    from tests.missions.race_scenarios import race

    outcomes_seen = set()
    for _ in range(3):
        region = f.RegionFactory(**OTHER_REGION)
        far = f.ZoneFactory(department=f.DepartmentFactory(code="2A", region=region))
        doctor = f.DoctorFactory(zones=[far])
        slot = f.SlotFactory(site=f.HostSiteFactory(zone=far), date=timezone.localdate() + timedelta(days=20))
        outcomes = race(
            [
                lambda d=doctor, s=slot: services.book_slot(doctor=d, slot=s, by=d.user),
                lambda d=doctor: doctor_file.update_file(d, {"zones": []}, by=d.user),
            ]
        )
        assert outcomes[1] == ["ok", ""] and outcomes[0][0] in ("ok", "refused"), outcomes
        outcomes_seen.add(outcomes[0][0])
        booked = Booking.objects.filter(doctor=doctor).exists()
        assert booked == (outcomes[0][0] == "ok")
        assert regions_of(doctor) == {doctor.practice_department.region_id, *([region.pk] if booked else [])}
