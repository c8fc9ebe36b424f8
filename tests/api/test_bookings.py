"""Bookings through the API: the service's refusals as 409 codes, what each party sees, the actions, and the
Idempotency-Key of POST /api/v1/bookings/."""

import threading

import pytest
from django.db import connections

from api.models import IdempotentRequest
from missions.models import Booking, Doctor
from tests import factories as f
from tests.api.conftest import client_for, in_days, results

URL = "/api/v1/bookings/"


@pytest.mark.django_db
def test_a_validated_doctor_books_a_slot(doctor, slot):
    response = client_for(doctor.user).post(URL, {"slot": slot.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get(pk=body["id"])
    assert body["slot"] == slot.pk
    assert body["date"] == slot.date.isoformat()
    assert body["period"] == "full_day"
    assert body["status"] == "requested"
    assert body["doctor"] == doctor.pk
    assert booking.doctor == doctor


def month_ahead_first_day(n: int):
    first = in_days(0).replace(day=1)
    year, month = divmod(first.month - 1 + n, 12)
    return first.replace(year=first.year + year, month=month + 1)


@pytest.mark.parametrize(
    ("situation", "code", "message"),
    [
        ("slot_full", "slot_full", "Ce créneau est complet"),
        ("third_day", "monthly_cap_reached", "la mission est limitée à 2 jours par mois"),
        ("same_day", "already_booked_that_day", "Vous avez déjà une mission le"),
        ("not_validated", "doctor_not_validated", "Votre dossier n'est pas (ou plus) validé"),
        ("past", "date_in_past", "Ce créneau est passé"),
        ("far", "beyond_horizon", "On ne peut réserver que jusqu'à"),
    ],
)
@pytest.mark.django_db
def test_business_refusals_are_409_with_a_stable_code_and_a_french_message(situation, code, message, doctor, site):
    slot = f.SlotFactory(site=site, date=in_days(20))
    if situation == "slot_full":
        f.BookingFactory(slot=slot)
    elif situation == "third_day":
        first = month_ahead_first_day(2)
        for day in (first, first.replace(day=2)):
            f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=day))
        slot = f.SlotFactory(site=site, date=first.replace(day=3))
    elif situation == "same_day":
        f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=f.HostSiteFactory(zone=site.zone), date=slot.date))
    elif situation == "not_validated":
        Doctor.objects.filter(pk=doctor.pk).update(status=Doctor.Status.SUBMITTED)
    elif situation == "past":
        slot = f.SlotFactory(site=site, date=in_days(-1))
    elif situation == "far":
        slot = f.SlotFactory(site=site, date=in_days(400))

    response = client_for(doctor.user).post(URL, {"slot": slot.pk})

    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code
    assert message in body["detail"]
    assert not Booking.objects.filter(slot=slot, doctor=doctor).exists()


@pytest.mark.django_db
def test_an_unknown_slot_is_a_field_error(doctor):
    response = client_for(doctor.user).post(URL, {"slot": 987654})
    assert response.status_code == 400
    assert list(response.json()) == ["slot"]


@pytest.mark.django_db
def test_each_party_lists_only_what_it_may_see(doctor, other_doctor, site, other_site, site_member, cpam_agent):
    mine = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    theirs_here = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=site, date=in_days(15)))
    theirs_elsewhere = f.BookingFactory(doctor=other_doctor, slot=f.SlotFactory(site=other_site))

    def ids(user):
        return {row["id"] for row in results(client_for(user).get(URL))}

    assert ids(doctor.user) == {mine.pk}
    assert ids(other_doctor.user) == {theirs_here.pk, theirs_elsewhere.pk}
    assert ids(site_member) == {mine.pk, theirs_here.pk}
    assert ids(cpam_agent) == {mine.pk}  # the CPAM of doctor's main practice, not other_doctor's


@pytest.mark.django_db
def test_filters_status_and_dates(doctor, site):
    early = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(5)))
    late = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(40)), status=Booking.Status.CONFIRMED
    )
    client = client_for(doctor.user)
    assert [b["id"] for b in results(client.get(URL, {"status": "confirmed"}))] == [late.pk]
    in_range = client.get(URL, {"date_after": in_days(1).isoformat(), "date_before": in_days(10).isoformat()})
    assert [b["id"] for b in results(in_range)] == [early.pk]
    assert client.get(URL, {"date_after": "demain"}).status_code == 400


@pytest.mark.django_db
def test_the_site_confirms_then_attests_after_the_day(site_member, doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(0)))
    client = client_for(site_member)

    confirmed = client.post(f"{URL}{booking.pk}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    again = client.post(f"{URL}{booking.pk}/confirm/")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"

    missing = client.post(f"{URL}{booking.pk}/attest/", {"attended": True})
    assert missing.status_code == 400
    assert list(missing.json()) == ["consultations"]
    attested = client.post(f"{URL}{booking.pk}/attest/", {"attended": True, "consultations": 14})
    assert attested.status_code == 200
    assert attested.json()["status"] == "completed"
    assert attested.json()["consultations"] == 14


@pytest.mark.django_db
def test_attesting_before_the_day_is_refused(site_member, doctor, site):
    booking = f.BookingFactory(
        doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(3)), status=Booking.Status.CONFIRMED
    )
    response = client_for(site_member).post(f"{URL}{booking.pk}/attest/", {"attended": False})
    assert response.status_code == 409
    assert response.json()["code"] == "attestation_too_early"


@pytest.mark.django_db
def test_decline_and_cancel_need_a_reason(site_member, doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    declined = client_for(site_member).post(f"{URL}{booking.pk}/decline/", {})
    assert declined.status_code == 400
    assert declined.json() == {"reason": ["Indiquez le motif du refus : il est communiqué au médecin."]}
    cancelled = client_for(doctor.user).post(f"{URL}{booking.pk}/cancel/", {"reason": "Malade"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["reason"] == "Malade"


@pytest.mark.django_db
def test_a_doctor_cancelling_at_the_last_minute_is_flagged_late(doctor, site):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=in_days(1)))
    response = client_for(doctor.user).post(f"{URL}{booking.pk}/cancel/", {"reason": "Empêchement"})
    assert response.status_code == 200
    assert response.json()["late_cancellation"] is True


@pytest.mark.django_db
def test_a_site_member_of_both_sides_may_still_only_act_as_what_they_are(doctor, site, other_site):
    """A doctor who is also a member of another site sees their own booking but may not confirm it."""
    f.SiteMembershipFactory(user=doctor.user, site=other_site)
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site))
    response = client_for(doctor.user).post(f"{URL}{booking.pk}/confirm/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


# --- Idempotency-Key -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_response_and_create_nothing(doctor, slot):
    client = client_for(doctor.user)
    first = client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-1")
    replay = client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-1")

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(doctor, slot, site):
    other_slot = f.SlotFactory(site=site, date=in_days(30))
    client = client_for(doctor.user)
    assert client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-2").status_code == 201
    reused = client.post(URL, {"slot": other_slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-2")
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_caller(doctor, other_doctor, slot):
    slot.capacity = 2
    slot.save()
    assert client_for(doctor.user).post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-3").status_code == 201
    theirs = client_for(other_doctor.user).post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-3")
    assert theirs.status_code == 201
    assert theirs.json()["doctor"] == other_doctor.pk
    assert Booking.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_not_recorded_and_the_key_can_be_retried(doctor, site):
    slot = f.SlotFactory(site=site, date=in_days(20))
    blocker = f.BookingFactory(slot=slot)
    client = client_for(doctor.user)
    assert client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-4").status_code == 409
    assert not IdempotentRequest.objects.exists()
    blocker.status = Booking.Status.CANCELLED
    blocker.save()
    assert client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="cle-4").status_code == 201


@pytest.mark.django_db
def test_an_overlong_key_is_a_400(doctor, slot):
    response = client_for(doctor.user).post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_create_one_booking(doctor, slot):
    """Real threads, each with its own connection, released together: one booking, the same answer twice."""
    slot.capacity = 5
    slot.save()
    barrier = threading.Barrier(4)
    responses = [None] * 4

    def post(index):
        try:
            client = client_for(doctor.user)
            barrier.wait(timeout=30)
            responses[index] = client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="course")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in responses] == [201] * 4, [r.content for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 3
    assert Booking.objects.filter(doctor=doctor).count() == 1


@pytest.mark.django_db
def test_booking_is_a_fixed_short_list_of_statements(doctor, slot, site_member, on_postgres, django_assert_num_queries):
    """One booking with its Idempotency-Key: the token, the doctor, the claim (one INSERT … ON CONFLICT, no
    savepoint of its own since #20; nor one for the service inside the claim since #20's round 3), the two locks, one count of the three rules, the booking and its history (one
    statement on PostgreSQL since #20), the site's recipients (on PostgreSQL read with the slot since #20's round
    3), the message, the recorded response, and the savepoints (here the request's own transaction is a savepoint
    too, inside the test's)."""
    client = client_for(doctor.user)
    # A new read or write shows here before it shows in the benchmark.
    with django_assert_num_queries(11 if on_postgres else 13) as captured:
        response = client.post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="budget-1")

    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    if on_postgres:  # SQLite locks the whole database instead
        assert sum("FOR UPDATE" in s for s in sql) == 2
    assert sum('FROM "missions_booking"' in s for s in sql) == 1
    assert not any('"notifications_message"."dedup_key"' in s and s.startswith("SELECT") for s in sql)
    assert sum('"sites_sitemembership"' in s and '"email"' in s for s in sql) == 1  # the site's recipients, once
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1  # the request's own (a savepoint inside the test's)


@pytest.mark.django_db
def test_every_statement_of_a_booking_is_parsed_once_by_psycopg(doctor, slot, site_member):
    """psycopg keeps a statement's parsed form (the placeholders split out) only up to a length and a number of
    parameters; past them it parses the statement again on every call. The booking's INSERT and history row once
    bound every value twice (70 parameters): a seventh of the booking's Python CPU (#20, round 3)."""
    from django.db import connection
    from psycopg import _queries

    seen: list[tuple[str, int]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, len(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client_for(doctor.user).post(URL, {"slot": slot.pk}, HTTP_IDEMPOTENCY_KEY="parsed-once")

    assert response.status_code == 201, response.content
    assert any("INSERT INTO" in sql and "missions_booking" in sql for sql, _ in seen)
    too_long = [
        sql[:80]
        for sql, count in seen
        if len(sql) > _queries.MAX_CACHED_STATEMENT_LENGTH or count > _queries.MAX_CACHED_STATEMENT_PARAMS
    ]
    assert too_long == []


@pytest.mark.django_db
def test_an_unknown_slot_leaves_no_idempotency_record(doctor):
    response = client_for(doctor.user).post(URL, {"slot": 987654}, HTTP_IDEMPOTENCY_KEY="unknown-1")

    assert response.status_code == 400
    assert "987654" in response.json()["slot"][0]
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reader", ["doctor", "site_member", "ars_staff"])
def test_the_created_booking_written_out_says_what_the_serializer_says(reader, doctor, slot, request):
    """POST answers with missions.api.bookings.created_booking_data instead of building BookingSerializer (#20):
    both must say the same, to each reader (a site member reads the remplaçant's fields empty)."""
    from datetime import timedelta

    from rest_framework.test import APIRequestFactory, force_authenticate

    from missions.api.bookings import BookingSerializer, created_booking_data

    booking = f.BookingFactory(
        doctor=doctor,
        slot=slot,
        status=Booking.Status.CANCELLED,
        reason="Empêchement",
        late_cancellation=True,
        replacement_name="Dr Remplaçante",
        replacement_rpps="10003456789",
        derogation_requested_on=slot.date - timedelta(days=20),
    )
    booking = Booking.objects.select_related("slot__site", "doctor").get(pk=booking.pk)
    user = request.getfixturevalue(reader)
    http = APIRequestFactory().get("/")
    force_authenticate(http, user=user)
    http.user = user

    assert created_booking_data(booking, user) == dict(BookingSerializer(booking, context={"request": http}).data)
