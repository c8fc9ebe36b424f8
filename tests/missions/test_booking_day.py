"""Issue 15, the mission day: one zone rule (book_slot and offer_slot), the replacement at the main practice named
per booking, R10's warning where it still means something."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from core.errors import Code, RuleViolation
from missions import services
from missions.models import Booking
from missions.rules import DOCTOR_FILE_PATH, Replacement
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.missions.conftest import book, today

pytestmark = pytest.mark.django_db

REMPLACANT_RPPS = with_luhn_key("1987654321")


def refused(code: str, call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def replacement(**changes) -> Replacement:
    values = {"name": "Claire Martin", "rpps": REMPLACANT_RPPS, "derogation_requested_on": today() - timedelta(days=3)}
    return Replacement(**{**values, **changes})


# --- one zone rule ---------------------------------------------------------------------------------------------


def test_a_doctor_cannot_book_in_a_zone_they_did_not_declare(doctor, month):
    elsewhere = f.HostSiteFactory(zone=f.ZoneFactory(name="CC des Monts du Forez"))
    error = refused(Code.ZONE_NOT_COVERED, book, doctor, f.SlotFactory(site=elsewhere, date=month))
    assert "« CC des Monts du Forez »" in error.message
    assert DOCTOR_FILE_PATH in error.message and "Ajoutez-la" in error.message
    assert not Booking.objects.exists()


def test_once_the_zone_is_declared_the_same_slot_books(doctor, month):
    elsewhere = f.HostSiteFactory()
    slot = f.SlotFactory(site=elsewhere, date=month)
    refused(Code.ZONE_NOT_COVERED, book, doctor, slot)
    doctor.zones.add(elsewhere.zone)
    assert book(doctor, slot).status == Booking.Status.REQUESTED


def test_ars_staff_booking_on_behalf_are_told_the_doctor_does_not_cover_the_zone(doctor, ars_staff, zone, month):
    other_zone = f.ZoneFactory(department=zone.department)
    slot = f.SlotFactory(site=f.HostSiteFactory(zone=other_zone), date=month)
    error = refused(Code.ZONE_NOT_COVERED, services.book_slot, doctor=doctor, slot=slot, by=ars_staff)
    assert "Ce médecin n'a pas déclaré la zone" in error.message


def test_booking_and_inviting_refuse_with_the_same_rule(doctor, month, monkeypatch):
    """book_slot and offer_slot ask one rule function (missions.rules.check_zone_covered)."""
    from missions import rules

    calls = []
    original = rules.check_zone_covered

    def spy(covered, zone, *, acting_doctor):
        calls.append((covered, zone.pk, acting_doctor))
        return original(covered, zone, acting_doctor=acting_doctor)

    monkeypatch.setattr(services, "check_zone_covered", spy)
    elsewhere = f.HostSiteFactory()
    slot = f.SlotFactory(site=elsewhere, date=month)
    member = f.SiteMembershipFactory(site=elsewhere).user
    refused(Code.ZONE_NOT_COVERED, book, doctor, slot)
    error = refused(
        Code.ZONE_NOT_COVERED, services.offer_slot, slot=slot, doctor=doctor, by=member, accept_url="http://x/"
    )
    assert calls == [(False, elsewhere.zone_id, True), (False, elsewhere.zone_id, False)]
    assert "Ce médecin n'a pas déclaré la zone" in error.message


def test_r10_a_doctor_who_declared_their_own_practice_zone_books_there_flagged(site, zone, month):
    local = f.DoctorFactory(practice_commune=f.CommuneFactory(epci=f.EpciFactory(siren=zone.siren)), zones=[zone])
    assert book(local, f.SlotFactory(site=site, date=month)).in_own_zone is True


def test_a_booking_factory_declares_its_zone():
    booking = f.BookingFactory()
    assert booking.doctor.zones.filter(pk=booking.zone_id).exists()


# --- replacement per mission day ---------------------------------------------------------------------------------


def test_a_doctor_who_declared_a_replacement_names_it_for_each_day(zone, site, month):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    slot = f.SlotFactory(site=site, date=month)
    error = refused(Code.REPLACEMENT_REQUIRED, book, doctor, slot)
    assert "remplaçant" in error.message and "dérogation" in error.message

    booking = services.book_slot(doctor=doctor, slot=slot, by=doctor.user, replacement=replacement())
    booking.refresh_from_db()
    assert (booking.replacement_name, booking.replacement_rpps) == ("Claire Martin", REMPLACANT_RPPS)
    assert booking.derogation_requested_on == today() - timedelta(days=3)
    assert booking.has_replacement


def test_a_replacement_is_refused_when_the_doctor_declared_none(doctor, site, month):
    slot = f.SlotFactory(site=site, date=month)
    error = refused(
        Code.REPLACEMENT_NOT_DECLARED,
        services.book_slot,
        doctor=doctor,
        slot=slot,
        by=doctor.user,
        replacement=replacement(),
    )
    assert DOCTOR_FILE_PATH in error.message
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("name", "rpps", "when", "field", "words"),
    [
        ("", REMPLACANT_RPPS, 3, "replacement_name", "nom et le prénom"),
        ("Claire Martin", "", 3, "replacement_rpps", "numéro RPPS"),
        ("Claire Martin", "1234", 3, "replacement_rpps", "11 chiffres"),
        ("Claire Martin", "19876543210", 3, "replacement_rpps", "clé de contrôle"),
        ("Claire Martin", REMPLACANT_RPPS, None, "derogation_requested_on", "dérogation"),
    ],
)
def test_each_replacement_field_is_checked_with_a_french_message(name, rpps, when, field, words):
    derogation = None if when is None else today() - timedelta(days=when)
    with pytest.raises(ValidationError) as caught:
        Replacement.parse(name, rpps, derogation)
    assert list(caught.value.message_dict) == [field]
    assert words in caught.value.message_dict[field][0]


def test_nothing_typed_is_no_replacement():
    assert Replacement.parse("  ", "", None) is None


def test_the_remplacant_is_not_the_doctor_and_the_request_is_not_in_the_future(zone, site, month):
    doctor = f.DoctorFactory(zones=[zone], replacement_declared=True)
    slot = f.SlotFactory(site=site, date=month)
    with pytest.raises(ValidationError) as caught:
        services.book_slot(doctor=doctor, slot=slot, by=doctor.user, replacement=replacement(rpps=doctor.rpps))
    assert "est le vôtre" in caught.value.message_dict["replacement_rpps"][0]
    future = replacement(derogation_requested_on=today() + timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        services.book_slot(doctor=doctor, slot=slot, by=doctor.user, replacement=future)
    assert "dans le futur" in caught.value.message_dict["derogation_requested_on"][0]
    assert not Booking.objects.exists()


def test_the_database_holds_all_three_replacement_fields_or_none(doctor, site, month):
    from django.db import IntegrityError, transaction

    booking = book(doctor, f.SlotFactory(site=site, date=month))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(replacement_name="Claire Martin")
