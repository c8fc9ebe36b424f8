"""The booking engine's services: who may act, who and when is recorded (fields and history), who is told,
registration input errors, closing a slot, withdrawing a doctor, attestations, and query budgets."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import NotAllowed, RuleViolation
from missions import services
from missions.models import Booking, BookingStatus, Doctor, DoctorStatus
from missions.registration import Registration
from notifications.models import Message
from notifications.outbox import enqueue
from sites.models import Slot
from tests import factories as f
from tests.missions.conftest import book, in_days, month_ahead, today

pytestmark = pytest.mark.django_db

S = BookingStatus


def messages(kind: str) -> list[Message]:
    return list(Message.objects.filter(kind=kind).order_by("recipient"))


def recipients(kind: str) -> set[str]:
    return {m.recipient for m in messages(kind)}


def last_history(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


@pytest.fixture
def booking(doctor, site):
    return book(doctor, f.SlotFactory(site=site, date=in_days(10)))


@pytest.fixture
def confirmed(booking, site_member):
    return services.confirm_booking(booking, by=site_member)


# --- registration ----------------------------------------------------------------------------------------------


@pytest.fixture
def commune(zone):
    return f.CommuneFactory(department=zone.department)


def registration(commune, zone, **overrides):
    """The arguments of a Registration (missions.registration): building one checks what was typed."""
    data = {
        "email": "Claire.Martin@Exemple.fr",
        "password": "un-long-mot-de-passe-2025",
        "first_name": "Claire",
        "last_name": "Martin",
        "rpps": f.with_luhn_key("1000000777"),
        "specialty": "Médecine générale",
        "sector": Doctor.Sector.SECTOR_1,
        "mode": Doctor.Mode.RETIRED,
        "practice_commune": commune,
        "zones": [zone],
    }
    data.update(overrides)
    return data


def test_register_doctor(commune, zone, ars_staff):
    doctor = services.register_doctor(Registration(**registration(commune, zone)))
    doctor.refresh_from_db()
    assert doctor.status == DoctorStatus.SUBMITTED
    assert doctor.user.email == "claire.martin@exemple.fr"
    assert doctor.user.check_password("un-long-mot-de-passe-2025")
    assert doctor.practice_department == commune.department == doctor.cdom_department
    assert list(doctor.zones.all()) == [zone]
    assert last_history(doctor).history_user == doctor.user
    assert recipients("doctor_registered") == {"claire.martin@exemple.fr"}
    assert recipients("doctor_registered_ars") == {ars_staff.email}
    received = messages("doctor_registered")[0]
    assert "dossier" in received.subject and "bien été reçu" in received.subject
    assert doctor.rpps in received.body_text
    assert "Claire Martin" in messages("doctor_registered_ars")[0].subject


def test_registration_without_ars_staff_goes_to_the_ars_contact(commune, zone, settings):
    services.register_doctor(Registration(**registration(commune, zone)))
    assert recipients("doctor_registered_ars") == {settings.ARS_CONTACT_EMAIL.lower()}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rpps": "10000007771"}, "rpps"),  # the Luhn key is wrong
        ({"rpps": "1234"}, "rpps"),
        ({"password": "azerty"}, "password"),
        ({"password": "12345678901234"}, "password"),
        ({"password": "claire.martin"}, "password"),
        ({"email": "pas-une-adresse"}, "email"),
        ({"email": ""}, "email"),
        ({"first_name": "  "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"sector": "3"}, "sector"),
        ({"mode": "benevole"}, "mode"),
    ],
)
def test_registration_refuses_invalid_input_with_field_keys(overrides, field, commune, zone):
    with pytest.raises(ValidationError) as caught:
        services.register_doctor(Registration(**registration(commune, zone, **overrides)))
    assert field in caught.value.message_dict
    assert all(caught.value.message_dict[field])
    assert not Doctor.objects.exists()
    assert not Message.objects.exists()


def test_registration_refuses_an_inactive_zone(commune):
    closed = f.ZoneFactory(active=False)
    with pytest.raises(ValidationError) as caught:
        services.register_doctor(Registration(**registration(commune, closed)))
    assert "zones" in caught.value.message_dict


def test_registration_refuses_duplicates(commune, zone, doctor):
    with pytest.raises(ValidationError) as caught:
        services.register_doctor(Registration(**registration(commune, zone, email=doctor.user.email.upper())))
    assert set(caught.value.message_dict) == {"email"}
    with pytest.raises(ValidationError) as caught:
        services.register_doctor(Registration(**registration(commune, zone, rpps=doctor.rpps)))
    assert set(caught.value.message_dict) == {"rpps"}
    assert Doctor.objects.count() == 1


# --- who and when, in the fields and in the history ---------------------------------------------------------------


def test_booking_records_who_and_when(doctor, site, site_member, ars_staff):
    before = timezone.now()
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(10)))
    assert (booking.requested_by, booking.status) == (doctor.user, S.REQUESTED)
    assert booking.requested_at >= before
    assert (booking.date, booking.zone, booking.period) == (booking.slot.date, site.zone, booking.slot.period)
    assert last_history(booking).history_user == doctor.user

    booking = services.confirm_booking(booking, by=site_member)
    booking.refresh_from_db()
    assert booking.confirmed_by == site_member and booking.confirmed_at >= before
    assert last_history(booking).history_user == site_member
    assert last_history(booking).status == S.CONFIRMED

    booking = services.cancel_booking(booking, by=ars_staff, reason="Réorganisation")
    booking.refresh_from_db()
    assert (booking.cancelled_by, booking.reason, booking.status) == (ars_staff, "Réorganisation", S.CANCELLED)
    assert booking.cancelled_at >= booking.confirmed_at
    assert last_history(booking).history_user == ars_staff
    assert [h.status for h in booking.history.order_by("history_date", "history_id")] == [
        S.REQUESTED,
        S.CONFIRMED,
        S.CANCELLED,
    ]


def test_the_booking_history_row_is_the_one_simple_history_writes(doctor, site):
    """book_slot writes the booking and its history row by SQL composed once (missions.locks, #20): the row holds
    every field of the booking as stored, « + », the person acting, and no change reason, as `save()` wrote it."""
    before = timezone.now()
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(10)))
    stored = Booking.objects.get(pk=booking.pk)
    row = stored.history.get()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("+", doctor.user, None)
    assert before <= row.history_date <= timezone.now()
    for field in Booking._meta.concrete_fields:
        assert getattr(row, field.attname) == getattr(stored, field.attname), field.name
        assert getattr(booking, field.attname) == getattr(stored, field.attname), field.name


def test_ars_staff_may_book_for_a_doctor(doctor, site, ars_staff):
    booking = services.book_slot(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(10)), by=ars_staff)
    assert booking.doctor == doctor and booking.requested_by == ars_staff
    assert last_history(booking).history_user == ars_staff


def test_decline_records_who_when_and_why(booking, site_member):
    services.decline_booking(booking, by=site_member, reason="  Médecin déjà présent ce jour-là ")
    booking.refresh_from_db()
    assert (booking.status, booking.declined_by, booking.reason) == (
        S.DECLINED,
        site_member,
        "Médecin déjà présent ce jour-là",
    )
    assert booking.declined_at is not None
    assert last_history(booking).history_user == site_member


@pytest.mark.parametrize("call", ["decline", "cancel"])
def test_a_reason_is_required(call, booking, site_member):
    service = services.decline_booking if call == "decline" else services.cancel_booking
    with pytest.raises(ValidationError) as caught:
        service(booking, by=site_member, reason="   ")
    assert "reason" in caught.value.message_dict
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_attestation_records_who_when_and_consultations(doctor, site, site_member):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-2)), status=S.CONFIRMED)
    services.attest_booking(booking, by=site_member, attended=True, consultations=17)
    booking.refresh_from_db()
    assert (booking.status, booking.consultations, booking.attested_by) == (S.COMPLETED, 17, site_member)
    assert booking.attested_at is not None
    assert last_history(booking).history_user == site_member


def test_attestation_of_a_no_show(doctor, site, site_member):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=today()), status=S.CONFIRMED)
    services.attest_booking(booking, by=site_member, attended=False, consultations=5)
    booking.refresh_from_db()
    assert (booking.status, booking.consultations) == (S.NO_SHOW, None)


def test_attestation_before_the_day_is_refused(confirmed, site_member):
    with pytest.raises(RuleViolation) as caught:
        services.attest_booking(confirmed, by=site_member, attended=True, consultations=3)
    assert caught.value.code == "attestation_too_early"
    confirmed.refresh_from_db()
    assert confirmed.status == S.CONFIRMED


@pytest.mark.parametrize("consultations", [None, -1, 201, "12"])
def test_attestation_needs_a_plausible_consultations_count(consultations, doctor, site, site_member):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=today()), status=S.CONFIRMED)
    with pytest.raises(ValidationError) as caught:
        services.attest_booking(booking, by=site_member, attended=True, consultations=consultations)
    assert "consultations" in caught.value.message_dict


def test_correction_completed_to_no_show_and_back(doctor, site, site_member, ars_staff):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-3)), status=S.CONFIRMED)
    services.attest_booking(booking, by=site_member, attended=True, consultations=12)

    services.correct_attestation(booking, by=ars_staff, attended=False, consultations=None, reason="Médecin absent")
    booking.refresh_from_db()
    assert (booking.status, booking.consultations) == (S.NO_SHOW, None)
    assert (booking.corrected_by, booking.correction_reason) == (ars_staff, "Médecin absent")
    assert booking.attested_by == site_member  # the original attestation is kept
    assert last_history(booking).history_user == ars_staff
    assert last_history(booking).history_change_reason == "Médecin absent"

    services.correct_attestation(booking, by=ars_staff, attended=True, consultations=8, reason="Feuille retrouvée")
    booking.refresh_from_db()
    assert (booking.status, booking.consultations, booking.correction_reason) == (S.COMPLETED, 8, "Feuille retrouvée")
    assert [h.status for h in booking.history.order_by("history_date", "history_id")][-3:] == [
        S.COMPLETED,
        S.NO_SHOW,
        S.COMPLETED,
    ]


def test_correction_needs_a_reason(doctor, site, ars_staff):
    booking = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-3)), status=S.COMPLETED, consultations=4
    )
    with pytest.raises(ValidationError) as caught:
        services.correct_attestation(booking, by=ars_staff, attended=False, consultations=None, reason="")
    assert "reason" in caught.value.message_dict


def test_doctor_transitions_record_who_when_and_why(zone, ars_staff):
    doctor = f.DoctorFactory(status=DoctorStatus.SUBMITTED, validated_at=None, zones=[zone])
    steps = [
        (services.validate_doctor, {}, DoctorStatus.VALIDATED, ""),
        (services.suspend_doctor, {"reason": "Contrôle"}, DoctorStatus.SUSPENDED, "Contrôle"),
        (services.reinstate_doctor, {}, DoctorStatus.VALIDATED, ""),
        (services.withdraw_doctor, {"reason": "Fin de mission"}, DoctorStatus.WITHDRAWN, "Fin de mission"),
    ]
    for service, kwargs, status, reason in steps:
        before = timezone.now()
        service(doctor, by=ars_staff, **kwargs)
        doctor.refresh_from_db()
        assert (doctor.status, doctor.status_changed_by, doctor.status_reason) == (status, ars_staff, reason)
        assert doctor.status_changed_at >= before
        assert last_history(doctor).history_user == ars_staff
        assert last_history(doctor).status == status
    assert doctor.validated_at is not None
    # The creation, its zones (Doctor.history keeps them since issue #15), then one version per act.
    assert doctor.history.count() == 2 + len(steps)


def test_rejection_records_the_reason(zone, ars_staff):
    doctor = f.DoctorFactory(status=DoctorStatus.SUBMITTED, validated_at=None, zones=[zone])
    services.reject_doctor(doctor, by=ars_staff, reason="Inscription à l'Ordre non vérifiable")
    doctor.refresh_from_db()
    assert (doctor.status, doctor.status_reason, doctor.validated_at) == (
        DoctorStatus.REJECTED,
        "Inscription à l'Ordre non vérifiable",
        None,
    )
    with pytest.raises(ValidationError):
        services.reject_doctor(f.DoctorFactory(status=DoctorStatus.SUBMITTED), by=ars_staff, reason=" ")


def test_a_doctor_may_withdraw_themselves(doctor):
    services.withdraw_doctor(doctor, by=doctor.user)
    doctor.refresh_from_db()
    assert (doctor.status, doctor.status_changed_by) == (DoctorStatus.WITHDRAWN, doctor.user)
    assert last_history(doctor).history_user == doctor.user


# --- the wrong person ------------------------------------------------------------------------------------------------


NOT_ALLOWED = {
    "another doctor books for someone else": lambda p: services.book_slot(
        doctor=p.doctor, slot=p.future_slot, by=p.other_doctor.user
    ),
    "a site member books for a doctor": lambda p: services.book_slot(
        doctor=p.doctor, slot=p.future_slot, by=p.site_member
    ),
    "anonymous books": lambda p: services.book_slot(doctor=p.doctor, slot=p.future_slot, by=AnonymousUser()),
    "another site's member confirms": lambda p: services.confirm_booking(p.booking, by=p.other_site_member),
    "the doctor confirms their own booking": lambda p: services.confirm_booking(p.booking, by=p.doctor.user),
    "another site's member declines": lambda p: services.decline_booking(
        p.booking, by=p.other_site_member, reason="Non"
    ),
    "another doctor cancels": lambda p: services.cancel_booking(p.booking, by=p.other_doctor.user, reason="Non"),
    "a CPAM agent cancels": lambda p: services.cancel_booking(p.booking, by=p.cpam_agent, reason="Non"),
    "another site's member cancels": lambda p: services.cancel_booking(p.booking, by=p.other_site_member, reason="Non"),
    "the doctor attests their own day": lambda p: services.attest_booking(
        p.past, by=p.doctor.user, attended=True, consultations=10
    ),
    "another site's member attests": lambda p: services.attest_booking(
        p.past, by=p.other_site_member, attended=True, consultations=10
    ),
    "a doctor corrects an attestation": lambda p: services.correct_attestation(
        p.attested, by=p.doctor.user, attended=True, consultations=30, reason="Plus"
    ),
    "another site's member corrects an attestation": lambda p: services.correct_attestation(
        p.attested, by=p.other_site_member, attended=True, consultations=30, reason="Plus"
    ),
    "another site's member closes a slot": lambda p: services.close_slot(
        p.booking.slot, by=p.other_site_member, reason="Non"
    ),
    "a site member validates a doctor": lambda p: services.validate_doctor(p.applicant, by=p.site_member),
    "a doctor validates an application": lambda p: services.validate_doctor(p.applicant, by=p.doctor.user),
    "a CPAM agent rejects an application": lambda p: services.reject_doctor(p.applicant, by=p.cpam_agent, reason="x"),
    "a site member suspends a doctor": lambda p: services.suspend_doctor(p.doctor, by=p.site_member),
    "a doctor suspends another": lambda p: services.suspend_doctor(p.other_doctor, by=p.doctor.user),
    "a doctor reinstates themselves": lambda p: services.reinstate_doctor(p.suspended, by=p.suspended.user),
    "another doctor withdraws a doctor": lambda p: services.withdraw_doctor(p.doctor, by=p.other_doctor.user),
    "a site member withdraws a doctor": lambda p: services.withdraw_doctor(p.doctor, by=p.site_member),
    "a doctor declares another's availability": lambda p: services.declare_availability(
        doctor=p.doctor, date=in_days(5), period="full_day", by=p.other_doctor.user
    ),
}


class People:
    def __init__(self, request):
        for name in ("doctor", "other_doctor", "site_member", "other_site_member", "cpam_agent", "ars_staff", "site"):
            setattr(self, name, request.getfixturevalue(name))
        self.future_slot = f.SlotFactory(site=self.site, date=in_days(12))
        self.booking = book(self.doctor, f.SlotFactory(site=self.site, date=in_days(10)))
        self.past = f.BookingFactory(
            doctor=self.doctor, slot=f.SlotFactory(site=self.site, date=in_days(-1)), status=S.CONFIRMED
        )
        self.attested = f.BookingFactory(
            doctor=self.doctor,
            slot=f.SlotFactory(site=self.site, date=in_days(-2)),
            status=S.COMPLETED,
            consultations=11,
        )
        self.applicant = f.DoctorFactory(status=DoctorStatus.SUBMITTED)
        self.suspended = f.DoctorFactory(status=DoctorStatus.SUSPENDED)


@pytest.mark.parametrize("case", list(NOT_ALLOWED))
def test_not_allowed(case, request):
    people = People(request)
    snapshot = sorted(Booking.objects.values_list("pk", "status", "doctor_id"))
    doctors = sorted(Doctor.objects.values_list("pk", "status"))
    history = (Booking.history.count(), Doctor.history.count(), Slot.history.count())
    with pytest.raises(NotAllowed) as caught:
        NOT_ALLOWED[case](people)
    assert caught.value.code == "not_allowed"
    assert sorted(Booking.objects.values_list("pk", "status", "doctor_id")) == snapshot
    assert sorted(Doctor.objects.values_list("pk", "status")) == doctors
    assert (Booking.history.count(), Doctor.history.count(), Slot.history.count()) == history
    assert not Message.objects.exclude(kind="booking_requested").exists()


@pytest.mark.parametrize("who", ["doctor", "site_member", "ars_staff"])
def test_who_may_cancel(who, request, booking):
    by = request.getfixturevalue(who)
    by = by.user if who == "doctor" else by
    assert services.cancel_booking(booking, by=by, reason="Empêchement").cancelled_by == by


# --- who is told --------------------------------------------------------------------------------------------------


def test_a_refused_booking_leaves_the_callers_transaction_usable_unless_it_gives_up_the_savepoint(doctor, site):
    """book_slot keeps a savepoint of its own by default: a caller that goes on after a refusal (the demo data) keeps
    its transaction. The API inside an Idempotency-Key's claim gives it up (`savepoint=False`, two round trips
    less, #20 round 3): there a refusal ends the whole transaction, which the claim rolls back anyway."""
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    slot = f.SlotFactory(site=site, date=in_days(10))
    book(doctor, slot)
    with transaction.atomic():
        with pytest.raises(RuleViolation):
            services.book_slot(
                doctor=doctor,
                slot=f.SlotFactory(site=f.HostSiteFactory(zone=site.zone), date=slot.date),
                by=doctor.user,
            )
        assert Booking.objects.filter(doctor=doctor).count() == 1  # usable
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(RuleViolation):
            services.book_slot(
                doctor=doctor,
                slot=f.SlotFactory(site=f.HostSiteFactory(zone=site.zone), date=slot.date),
                by=doctor.user,
                savepoint=False,
            )
        Booking.objects.count()  # the transaction is spent: only its rollback remains
    assert Booking.objects.filter(doctor=doctor).count() == 1


def test_booking_request_tells_the_site(doctor, site, site_member):
    colleague = f.SiteMembershipFactory(site=site).user
    f.SiteMembershipFactory(site=site, user=f.UserFactory(is_active=False))
    f.SiteMembershipFactory(site=f.HostSiteFactory(zone=site.zone))  # another site's staff hear nothing
    book(doctor, f.SlotFactory(site=site, date=in_days(10)))
    assert recipients("booking_requested") == {site_member.email, colleague.email, site.contact_email}
    message = messages("booking_requested")[0]
    assert message.subject.startswith("Demande de réservation à confirmer")
    assert doctor.last_name in message.body_text and site.name in message.body_text
    assert doctor.last_name in message.body_html


def test_confirmation_and_decline_tell_the_doctor(doctor, site, site_member):
    first = book(doctor, f.SlotFactory(site=site, date=in_days(10)))
    second = book(doctor, f.SlotFactory(site=site, date=in_days(40)))
    services.confirm_booking(first, by=site_member)
    services.decline_booking(second, by=site_member, reason="Cabinet en travaux")
    assert recipients("booking_confirmed") == {doctor.user.email}
    assert "est confirmée" in messages("booking_confirmed")[0].subject
    assert recipients("booking_declined") == {doctor.user.email}
    declined = messages("booking_declined")[0]
    assert "n'a pas pu être acceptée" in declined.subject
    assert "Cabinet en travaux" in declined.body_text and "Cabinet en travaux" in declined.body_html


@pytest.mark.parametrize(
    ("who", "told"),
    [("doctor", {"site"}), ("site_member", {"doctor"}), ("ars_staff", {"doctor", "site"})],
)
def test_cancellation_tells_the_other_parties(who, told, request, booking, site, site_member):
    by = request.getfixturevalue(who)
    services.cancel_booking(booking, by=by.user if who == "doctor" else by, reason="Imprévu familial")
    expected = set()
    if "doctor" in told:
        expected.add(booking.doctor.user.email)
    if "site" in told:
        expected |= {site_member.email, site.contact_email}
    assert recipients("booking_cancelled") == expected
    message = messages("booking_cancelled")[0]
    assert message.subject.startswith("Annulation")
    assert "Imprévu familial" in message.body_text
    assert not messages("booking_late_cancellation")


def test_late_cancellation_tells_the_site_and_the_ars(doctor, site, site_member, ars_staff):
    booking = book(doctor, f.SlotFactory(site=site, date=in_days(1)))
    services.cancel_booking(booking, by=doctor.user, reason="Malade")
    assert recipients("booking_late_cancellation") == {ars_staff.email, site_member.email, site.contact_email}
    assert messages("booking_late_cancellation")[0].subject.startswith("Annulation tardive")
    assert recipients("booking_cancelled") == {site_member.email, site.contact_email}


@pytest.mark.parametrize(
    ("service", "kwargs", "start", "kind", "subject"),
    [
        (services.validate_doctor, {}, DoctorStatus.SUBMITTED, "doctor_validated", "Votre dossier est validé"),
        (services.reject_doctor, {"reason": "RPPS inconnu"}, DoctorStatus.SUBMITTED, "doctor_rejected", "pas été"),
        (services.suspend_doctor, {"reason": "Contrôle"}, DoctorStatus.VALIDATED, "doctor_suspended", "suspendue"),
        (services.reinstate_doctor, {}, DoctorStatus.SUSPENDED, "doctor_reinstated", "rétablie"),
    ],
)
def test_doctor_decisions_tell_the_doctor(service, kwargs, start, kind, subject, zone, ars_staff):
    doctor = f.DoctorFactory(status=start, zones=[zone])
    service(doctor, by=ars_staff, **kwargs)
    assert recipients(kind) == {doctor.user.email}
    message = messages(kind)[0]
    assert subject in message.subject
    assert doctor.last_name in message.body_text
    for value in kwargs.values():
        assert value in message.body_text


def test_each_suspension_is_told(doctor, ars_staff):
    services.suspend_doctor(doctor, by=ars_staff, reason="Premier contrôle")
    services.reinstate_doctor(doctor, by=ars_staff)
    services.suspend_doctor(doctor, by=ars_staff, reason="Second contrôle")
    assert len(messages("doctor_suspended")) == 2
    assert len(messages("doctor_reinstated")) == 1


def test_a_retried_enqueue_adds_nothing(confirmed):
    assert len(messages("booking_confirmed")) == 1
    key = f"booking:{confirmed.pk}:confirmed"
    assert (
        enqueue("booking_confirmed", to=confirmed.doctor.user.email, context={"booking": confirmed}, dedup_key=key) == 0
    )
    assert Message.objects.filter(kind="booking_confirmed").count() == 1


def test_a_refused_transition_enqueues_nothing(confirmed, site_member):
    before = Message.objects.count()
    with pytest.raises(RuleViolation):
        services.confirm_booking(confirmed, by=site_member)
    assert Message.objects.count() == before


# --- closing a slot ---------------------------------------------------------------------------------------------------


def test_close_slot_cancels_active_bookings_and_tells_each_doctor(site, zone, site_member):
    slot = f.SlotFactory(site=site, date=in_days(9), capacity=4)
    requested_doctor, confirmed_doctor, declined_doctor, cancelled_doctor = (
        f.DoctorFactory(zones=[zone]) for _ in range(4)
    )
    requested = book(requested_doctor, slot)
    confirmed = services.confirm_booking(book(confirmed_doctor, slot), by=site_member)
    declined = services.decline_booking(book(declined_doctor, slot), by=site_member, reason="Complet")
    cancelled = services.cancel_booking(book(cancelled_doctor, slot), by=cancelled_doctor.user, reason="Empêché")

    assert services.close_slot(slot, by=site_member, reason="Dégât des eaux") == 2

    slot.refresh_from_db()
    assert (slot.status, slot.closed_by, slot.closed_reason) == (Slot.Status.CLOSED, site_member, "Dégât des eaux")
    assert slot.closed_at is not None
    assert last_history(slot).history_user == site_member
    for active in (requested, confirmed):
        active.refresh_from_db()
        assert (active.status, active.cancelled_by, active.cancelled_at) == (S.CANCELLED, site_member, slot.closed_at)
        assert "Dégât des eaux" in active.reason
        assert active.late_cancellation is False
        assert last_history(active).history_user == site_member
    for untouched, status in ((declined, S.DECLINED), (cancelled, S.CANCELLED)):
        untouched.refresh_from_db()
        assert untouched.status == status and untouched.cancelled_by != site_member
    assert recipients("slot_closed") == {requested_doctor.user.email, confirmed_doctor.user.email}
    for message in messages("slot_closed"):
        assert message.subject.startswith("Journée annulée par le lieu d'accueil")
        assert "Dégât des eaux" in message.body_text and "Dégât des eaux" in message.body_html


def test_close_slot_without_bookings(slot, ars_staff):
    assert services.close_slot(slot, by=ars_staff, reason="Plus de médecin référent") == 0
    assert not messages("slot_closed")
    slot.refresh_from_db()
    assert slot.closed_by == ars_staff


def test_close_slot_needs_a_reason_and_a_future_date(site, site_member):
    with pytest.raises(ValidationError) as caught:
        services.close_slot(f.SlotFactory(site=site), by=site_member, reason="")
    assert "reason" in caught.value.message_dict
    with pytest.raises(RuleViolation) as refused:
        services.close_slot(f.SlotFactory(site=site, date=in_days(-1)), by=site_member, reason="Trop tard")
    assert refused.value.code == "date_in_past"


# --- withdrawal ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["doctor", "ars_staff"])
def test_withdrawal_cancels_future_bookings_only(who, request, doctor, site, site_member):
    by = doctor.user if who == "doctor" else request.getfixturevalue("ars_staff")
    upcoming = book(doctor, f.SlotFactory(site=site, date=in_days(1)))
    later = services.confirm_booking(book(doctor, f.SlotFactory(site=site, date=month_ahead(2))), by=site_member)
    done = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(-5)), status=S.COMPLETED, consultations=10
    )
    services.withdraw_doctor(doctor, by=by, reason="Déménagement")
    for cancelled in (upcoming, later):
        cancelled.refresh_from_db()
        assert (cancelled.status, cancelled.cancelled_by, cancelled.reason) == (S.CANCELLED, by, "Déménagement")
        assert cancelled.late_cancellation is False
        assert last_history(cancelled).history_user == by
    done.refresh_from_db()
    assert done.status == S.COMPLETED
    assert {site_member.email, site.contact_email} <= recipients("booking_cancelled")
    assert Message.objects.filter(kind="booking_cancelled", recipient=site_member.email).count() == 2


# --- availability ---------------------------------------------------------------------------------------------------------


def test_declare_and_remove_availability(doctor):
    first = services.declare_availability(doctor=doctor, date=in_days(5), period="morning", by=doctor.user)
    again = services.declare_availability(doctor=doctor, date=in_days(5), period="morning", by=doctor.user)
    assert first.pk == again.pk
    with pytest.raises(RuleViolation) as caught:
        services.declare_availability(doctor=doctor, date=in_days(-1), period="morning", by=doctor.user)
    assert caught.value.code == "date_in_past"
    with pytest.raises(ValidationError):
        services.declare_availability(doctor=doctor, date=in_days(5), period="soir", by=doctor.user)
    services.remove_availability(first, by=doctor.user)
    assert not doctor.availabilities.exists()


# --- slot offers ---------------------------------------------------------------------------------------------------------


def test_a_slot_offer_is_sent_once(doctor, site, site_member):
    slot = f.SlotFactory(site=site, date=in_days(6))
    assert services.offer_slot(slot=slot, doctor=doctor, by=site_member, accept_url="https://x.test/a") is True
    assert services.offer_slot(slot=slot, doctor=doctor, by=site_member, accept_url="https://x.test/a") is False
    assert recipients("slot_offer") == {doctor.user.email}


# --- query budgets: the same number of queries whatever the data size -------------------------------------------------


def fill_month(site, zone, month, count: int) -> None:
    """`count` active bookings of other doctors in `month`, on other slots of the same zone."""
    periods = ["full_day", "morning", "afternoon"]
    for i in range(count):
        slot = f.SlotFactory(site=site, date=month + timedelta(days=i % 27), period=periods[(i // 27) % 3])
        f.BookingFactory(slot=slot, status=[S.REQUESTED, S.CONFIRMED][i % 2])


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


BOOK_BUDGET = 14
TRANSITION_BUDGET = 17  # confirm_booking: billing's receiver (first booking at a site → CPAM), the pack's site CPAM


def measure_services(site, zone, month, existing: int, ars_staff, days_ago: int) -> dict[str, int]:
    """Queries run by each booking service for a fresh doctor, with `existing` other bookings in the month."""
    fill_month(site, zone, month, existing)
    doctor = f.DoctorFactory(zones=[zone])
    member = f.SiteMembershipFactory(site=site).user
    slot = f.SlotFactory(site=site, date=month + timedelta(days=27))
    counts = {"book_slot": count_queries(lambda: book(doctor, slot))}
    booking = Booking.objects.get(doctor=doctor, slot=slot)
    counts["confirm_booking"] = count_queries(lambda: services.confirm_booking(booking, by=member))
    counts["cancel_booking"] = count_queries(lambda: services.cancel_booking(booking, by=doctor.user, reason="x"))
    other = book(doctor, f.SlotFactory(site=site, date=month + timedelta(days=26), period="morning"))
    counts["decline_booking"] = count_queries(lambda: services.decline_booking(other, by=member, reason="x"))
    past_slot = f.SlotFactory(site=site, date=in_days(-days_ago))
    past = f.BookingFactory(doctor=doctor, slot=past_slot, status=S.CONFIRMED)
    counts["attest_booking"] = count_queries(
        lambda: services.attest_booking(past, by=member, attended=True, consultations=3)
    )
    counts["correct_attestation"] = count_queries(
        lambda: services.correct_attestation(past, by=ars_staff, attended=False, consultations=None, reason="x")
    )
    return counts


def test_booking_services_run_a_bounded_number_of_queries(site, zone, ars_staff):
    """With 1 or 50 other bookings in the slot's month: the same counts, within a fixed budget."""
    few = measure_services(site, zone, month_ahead(2), 1, ars_staff, days_ago=1)
    many = measure_services(site, zone, month_ahead(3), 50, ars_staff, days_ago=2)
    assert few == many, (few, many)
    assert few["book_slot"] <= BOOK_BUDGET, few
    assert all(n <= TRANSITION_BUDGET for name, n in few.items() if name != "book_slot"), few


def test_close_slot_queries_grow_with_its_bookings_only(site, zone, site_member):
    """close_slot writes each booking it cancels (at most the slot's capacity), nothing else grows."""
    counts = []
    for places in (1, 5):
        slot = f.SlotFactory(site=site, date=in_days(20 + places), capacity=places)
        for _ in range(places):
            book(f.DoctorFactory(zones=[zone]), slot)
        counts.append(count_queries(lambda slot=slot: services.close_slot(slot, by=site_member, reason="x")))
    per_booking = (counts[1] - counts[0]) / 4
    assert per_booking <= 2  # one UPDATE and one history row per cancelled booking


def test_late_cancellation_message_names_the_configured_delay(doctor, site, settings):
    """The late-cancellation e-mail quotes LATE_CANCEL_HOURS, not a hard-coded 48 hours."""
    settings.LATE_CANCEL_HOURS = 96
    slot = f.SlotFactory(site=site, date=timezone.localdate() + timedelta(days=3))
    booking = services.book_slot(doctor=doctor, slot=slot, by=doctor.user)
    services.cancel_booking(booking, by=doctor.user, reason="Empêchement")
    message = Message.objects.filter(kind="booking_late_cancellation").first()
    assert message is not None
    assert "moins de 96 heures" in message.body_text
