"""The national data set's seeder, at a tiny scale: every count, key and rule it promises holds.

One seed for the whole check (a few seconds): the seeder writes with COPY, so this needs PostgreSQL.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from rest_framework.authtoken.models import Token

from bench.seed import Sizes, check_invariants, load_meta, seed
from billing.models import Cpam, Statement
from billing.services import generate_statement
from missions.models import Booking, Doctor
from sites.identifiers import validate_finess, validate_rpps, validate_siren
from sites.models import HostSite, Region, Slot, Zone

TODAY = date(2026, 11, 23)
SCALE = 0.001
ACTIVE = ["requested", "confirmed", "completed"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_seeder_writes_a_consistent_national_data_set():
    report = seed(SCALE, today=TODAY, log=lambda line: None, vacuum=False)
    sizes = Sizes.for_scale(SCALE)

    # Counts: what the scale asks (slots: at least that many, the bookings may need a few more).
    assert Region.objects.count() == 18
    assert Zone.objects.count() == sizes.zones
    assert HostSite.objects.count() == sizes.sites
    assert Doctor.objects.count() == sizes.doctors
    assert Booking.objects.count() == report.counts["bookings"] == sizes.bookings
    assert Slot.objects.count() == report.counts["slots"] >= sizes.slots

    # The rules hold on the seeded rows (R1, R2, R3).
    with connection.cursor() as cursor:
        assert check_invariants(cursor) == {
            "slot over capacity": 0,
            "doctor over the monthly cap": 0,
            "doctor twice on a date": 0,
        }

    # Bookings copy their slot: date, zone, fraction.
    assert not Booking.objects.exclude(date=F("slot__date")).exists()
    assert not Booking.objects.exclude(zone_id=F("slot__zone_id")).exists()
    assert not Booking.objects.filter(period="full_day").exclude(day_fraction=Decimal("1")).exists()
    assert not Booking.objects.exclude(period="full_day").exclude(day_fraction=Decimal("0.5")).exists()

    # Statuses follow time: nothing pending in the past, nothing attested ahead, nothing beyond the horizon.
    assert not Booking.objects.filter(date__lt=TODAY, status__in=["requested", "confirmed"]).exists()
    assert not Booking.objects.filter(date__gte=TODAY, status__in=["completed", "no_show"]).exists()
    assert not Booking.objects.filter(date__gt=date(2027, 5, 22)).exists()
    ahead = Booking.objects.filter(date__gte=TODAY, status__in=ACTIVE)
    assert ahead.exists()
    assert not ahead.exclude(doctor__status="validated").exists()
    assert not ahead.filter(slot__status="closed").exists()
    assert not ahead.filter(slot__site__active=False).exists()

    # Identifiers carry valid keys.
    for rpps in Doctor.objects.values_list("rpps", flat=True):
        validate_rpps(rpps)
    for siren in Zone.objects.values_list("siren", flat=True):
        validate_siren(siren)
    finess = list(HostSite.objects.exclude(finess=None).values_list("finess", flat=True))
    assert finess
    for value in finess:
        validate_finess(value)

    # The stress CPAM-month: four attested half-days per Paris doctor, last month.
    meta = report.meta
    cpam = Cpam.objects.get(pk=meta["stress_cpam_id"])
    assert cpam.department.code == "75"
    assert meta["stress_month"] == "2026-10-01"
    stated = Booking.objects.filter(
        status="completed", date__year=2026, date__month=10, doctor__practice_department=cpam.department
    )
    assert stated.count() == 4 * sizes.paris_doctors

    # Earlier months are stated already (issued or paid), as the monthly job would have left them: generating
    # the stress month states that month's days only.
    assert Statement.objects.filter(cpam=cpam).exclude(status__in=["issued", "paid"]).count() == 0
    assert Statement.objects.filter(cpam=cpam, month=date(2026, 9, 1), status="issued").exists()
    generated = generate_statement(cpam, date(2026, 10, 1))
    assert generated.line_count == 4 * sizes.paris_doctors

    # Load clients: bookers and racers have no booking from today on, and a token each.
    reserved = dict(meta["bookers"] + meta["racers"])
    assert len(reserved) == sizes.bookers + sizes.racers
    assert not Booking.objects.filter(doctor_id__in=reserved, date__gte=TODAY).exists()
    doctor = Doctor.objects.get(pk=next(iter(reserved)))
    assert Token.objects.get(user_id=doctor.user_id).key == reserved[doctor.pk]
    with connection.cursor() as cursor:
        assert load_meta(cursor)["scale"] == SCALE

    # Sequences moved past the copied ids: the application's next insert does not collide.
    last = Slot.objects.order_by("-pk").first()
    new = Slot.objects.create(site=last.site, zone=last.zone, date=date(2027, 6, 30), period="full_day")
    assert new.pk > last.pk
