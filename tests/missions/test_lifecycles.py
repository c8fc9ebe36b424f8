"""The lifecycles as declared (missions.lifecycles, sites.lifecycles): each act's sources, target and permission, the
transition log each act writes, close_slot asking the booking lifecycle, and one Notice per message template."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from core.errors import RuleViolation
from core.models import TransitionLog
from missions import services
from missions.lifecycles import BOOKING, DOCTOR
from missions.models import BookingStatus as B
from missions.models import DoctorStatus as D
from notifications.kinds import NOTICES
from sites.lifecycles import SLOT
from sites.models import SlotStatus
from tests import factories as f
from tests.missions.conftest import book, in_days, today

pytestmark = pytest.mark.django_db

ATTESTED = {B.COMPLETED, B.NO_SHOW}

# lifecycle, act: (sources, target(s), the accounts.authority act that decides who may run it)
TABLE = [
    (DOCTOR, "validate", {D.SUBMITTED}, {D.VALIDATED}, "doctor.review"),
    (DOCTOR, "reject", {D.SUBMITTED}, {D.REJECTED}, "doctor.review"),
    (DOCTOR, "suspend", {D.VALIDATED}, {D.SUSPENDED}, "doctor.review"),
    (DOCTOR, "reinstate", {D.SUSPENDED}, {D.VALIDATED}, "doctor.review"),
    (DOCTOR, "withdraw", set(D.values) - {D.WITHDRAWN}, {D.WITHDRAWN}, "doctor.withdraw"),
    (BOOKING, "confirm", {B.REQUESTED}, {B.CONFIRMED}, "booking.respond"),
    (BOOKING, "decline", {B.REQUESTED}, {B.DECLINED}, "booking.respond"),
    (BOOKING, "cancel", {B.REQUESTED, B.CONFIRMED}, {B.CANCELLED}, "booking.cancel"),
    (BOOKING, "attest", {B.CONFIRMED}, ATTESTED, "booking.attest"),
    (BOOKING, "correct", ATTESTED, ATTESTED, "booking.correct"),
    (BOOKING, "site_correct", ATTESTED, ATTESTED, "booking.site_correct"),
    (SLOT, "close", {SlotStatus.OPEN}, {SlotStatus.CLOSED}, "site.manage"),
]


@pytest.mark.parametrize(
    ("lifecycle", "name", "sources", "targets", "authority"),
    [pytest.param(*row, id=f"{row[0].model.__name__}.{row[1]}") for row in TABLE],
)
def test_each_act_as_declared(lifecycle, name, sources, targets, authority):
    act = lifecycle.acts[name]
    assert act.sources == sources
    assert ({act.target} if act.target else act.targets) == targets
    assert act.permission.authority_act == authority


def test_the_table_lists_every_act():
    declared = {(lifecycle.model, name) for lifecycle in (DOCTOR, BOOKING, SLOT) for name in lifecycle.acts}
    assert declared == {(lifecycle.model, name) for lifecycle, name, *_ in TABLE}


# --- the transition log: who, from, to, why ---------------------------------------------------------------------


def only_log(obj) -> TransitionLog:
    (entry,) = TransitionLog.objects.of(obj)
    return entry


@pytest.mark.parametrize(
    ("name", "start", "target", "reason"),
    [
        ("validate", D.SUBMITTED, D.VALIDATED, ""),
        ("reject", D.SUBMITTED, D.REJECTED, "Pièces manquantes"),
        ("suspend", D.VALIDATED, D.SUSPENDED, "Vérification"),
        ("reinstate", D.SUSPENDED, D.VALIDATED, ""),
        ("withdraw", D.VALIDATED, D.WITHDRAWN, "Retraite"),
    ],
)
def test_doctor_acts_log_who_from_to_why(name, start, target, reason, ars_staff, zone):
    doctor = f.DoctorFactory(status=start, zones=[zone])
    call = {
        "validate": lambda: services.validate_doctor(doctor, by=ars_staff),
        "reject": lambda: services.reject_doctor(doctor, by=ars_staff, reason=reason),
        "suspend": lambda: services.suspend_doctor(doctor, by=ars_staff, reason=reason),
        "reinstate": lambda: services.reinstate_doctor(doctor, by=ars_staff),
        "withdraw": lambda: services.withdraw_doctor(doctor, by=ars_staff, reason=reason),
    }[name]
    call()
    entry = only_log(doctor)
    assert (entry.act, entry.by, entry.from_state, entry.to_state, entry.reason) == (
        name,
        ars_staff,
        start,
        target,
        reason,
    )
    doctor.refresh_from_db()
    assert (doctor.status_changed_at, doctor.status_changed_by) == (entry.at, ars_staff)


@pytest.mark.parametrize(
    ("name", "start", "target", "reason"),
    [
        ("confirm", B.REQUESTED, B.CONFIRMED, ""),
        ("decline", B.REQUESTED, B.DECLINED, "Locaux indisponibles"),
        ("cancel", B.CONFIRMED, B.CANCELLED, "Fermeture exceptionnelle"),
        ("attest", B.CONFIRMED, B.NO_SHOW, ""),
        ("correct", B.NO_SHOW, B.COMPLETED, "Erreur de saisie"),
    ],
)
def test_booking_acts_log_who_from_to_why(name, start, target, reason, site, site_member, ars_staff):
    booking = f.BookingFactory(slot=f.SlotFactory(site=site, date=today()), status=start)
    by = ars_staff if name == "correct" else site_member
    call = {
        "confirm": lambda: services.confirm_booking(booking, by=by),
        "decline": lambda: services.decline_booking(booking, by=by, reason=reason),
        "cancel": lambda: services.cancel_booking(booking, by=by, reason=reason),
        "attest": lambda: services.attest_booking(booking, by=by, attended=False),
        "correct": lambda: services.correct_attestation(booking, by=by, attended=True, consultations=4, reason=reason),
    }[name]
    call()
    entry = only_log(booking)
    assert (entry.act, entry.by, entry.from_state, entry.to_state, entry.reason) == (name, by, start, target, reason)


def test_closing_a_slot_logs_the_slot_and_each_booking(site, site_member, zone):
    slot = f.SlotFactory(site=site, date=in_days(20), capacity=2)
    first, second = (book(f.DoctorFactory(zones=[zone]), slot) for _ in range(2))
    services.close_slot(slot, by=site_member, reason="Travaux")
    entry = only_log(slot)
    assert (entry.act, entry.by, entry.from_state, entry.to_state, entry.reason) == (
        "close",
        site_member,
        SlotStatus.OPEN,
        SlotStatus.CLOSED,
        "Travaux",
    )
    for booking in (first, second):
        entry = only_log(booking)
        assert (entry.act, entry.by, entry.from_state, entry.to_state) == (
            "cancel",
            site_member,
            B.REQUESTED,
            B.CANCELLED,
        )
        assert entry.reason == "Créneau fermé par le lieu d'accueil : Travaux"


def test_a_refused_act_logs_nothing(site, site_member):
    booking = f.BookingFactory(slot=f.SlotFactory(site=site, date=today()), status=B.DECLINED)
    with pytest.raises(RuleViolation) as caught:
        services.confirm_booking(booking, by=site_member)
    assert caught.value.code == "invalid_transition"
    assert not TransitionLog.objects.of(booking).exists()


# --- close_slot asks the booking lifecycle ---------------------------------------------------------------------


def test_close_slot_leaves_alone_a_booking_the_lifecycle_may_not_cancel(site, site_member):
    """A day attested this morning is not cancelled by closing the rest of the slot: cancel starts only from
    requested or confirmed."""
    slot = f.SlotFactory(site=site, date=today(), capacity=2)
    attested = f.BookingFactory(slot=slot, status=B.COMPLETED, consultations=5)
    confirmed = f.BookingFactory(slot=slot, status=B.CONFIRMED)
    assert services.close_slot(slot, by=site_member, reason="Panne de chauffage") == 1
    attested.refresh_from_db()
    confirmed.refresh_from_db()
    assert (attested.status, confirmed.status) == (B.COMPLETED, B.CANCELLED)
    assert not TransitionLog.objects.of(attested).exists()


def test_the_cancel_act_refuses_what_close_slot_might_hand_it(site, site_member):
    """What close_slot runs on each booking refuses, and writes nothing, when the lifecycle forbids it."""
    slot = f.SlotFactory(site=site, date=today())
    attested = f.BookingFactory(slot=slot, status=B.COMPLETED, consultations=5)
    with pytest.raises(RuleViolation) as caught:
        BOOKING.run_many(
            [attested], "cancel", by=site_member, reason="x", at=timezone.now(), context={"slot_closed": True}
        )
    assert caught.value.code == "invalid_transition"
    attested.refresh_from_db()
    assert attested.status == B.COMPLETED
    assert not TransitionLog.objects.of(attested).exists()


def test_close_slot_refuses_a_slot_already_closed(site, site_member):
    slot = f.SlotFactory(site=site, date=in_days(5), status=SlotStatus.CLOSED)
    with pytest.raises(RuleViolation) as caught:
        services.close_slot(slot, by=site_member, reason="Encore")
    assert (caught.value.code, caught.value.message) == ("invalid_transition", "Ce créneau est déjà fermé.")


# --- one Notice per message -----------------------------------------------------------------------------------

# Kinds billing declares (its engineer moves them onto notices in billing/notices.py).
BILLING_KINDS = {"doctor_validated_cdom", "doctor_validated_cpam", "first_booking_cpam", "statement_issued",
                 "statement_ready", "billing_number_recorded"}  # fmt: skip


OURS = {"missions", "sites", "accounts"}


def test_one_notice_per_template_folder_of_missions_sites_and_accounts():
    folders = {p.name for p in (Path(settings.BASE_DIR) / "templates" / "notifications").iterdir() if p.is_dir()}
    ours = {
        kind for kind, notice in NOTICES.items() if notice.__module__.split(".")[0] in {"missions", "sites", "accounts"}
    }
    # Apps above billing declare their own kinds (installation/notices.py…) and hold their own folders.
    above = {kind for kind, notice in NOTICES.items() if notice.__module__.split(".")[0] not in {*OURS, "billing"}}
    assert ours == folders - BILLING_KINDS - above
    assert all(NOTICES[kind].__module__.split(".")[0] in {"missions", "sites", "accounts"} for kind in ours)


def test_secret_notices():
    assert {kind for kind in ("slot_offer", "password_reset") if NOTICES[kind].secret} == {
        "slot_offer",
        "password_reset",
    }
    assert not NOTICES["booking_confirmed"].secret
