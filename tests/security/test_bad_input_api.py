"""The bad-input catalogue, API surface: every refusal is a 4xx with a French message, never a 500, and nothing
is half-written. Table-driven: each row is one kind of bad input."""

import datetime
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from config.security_input import INVALID_TEXT, MALFORMED_JSON
from missions.models import Availability, Booking, Doctor
from sites.identifiers import with_luhn_key
from sites.models import Slot
from tests import factories as f

pytestmark = pytest.mark.django_db

ENGLISH = ("This field", "Invalid", "Expected", "must be", "Not a valid", "is required", "Unsupported", "parse error")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Registration is throttled per address (5 an hour): each test starts with a fresh count."""
    from django.core.cache import cache

    cache.clear()


def registration(zone, **overrides) -> dict:
    body = {
        "email": "nouvelle.medecin@exemple.fr",
        "password": "un-long-mot-de-passe-42",
        "first_name": "Inès",
        "last_name": "Lefèvre",
        "rpps": with_luhn_key("1098765432"),
        "sector": "1",
        "zones": [zone.pk],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def commune(zone):
    return f.CommuneFactory(department=zone.department)


@pytest.fixture
def register(client, zone, commune):
    def post(raw=None, **overrides):
        body = registration(zone, practice_commune=commune.insee_code, **overrides)
        data = raw if raw is not None else json.dumps(body)
        return client.post("/api/v1/doctors/", data, content_type="application/json")

    return post


def assert_french_refusal(response, status=400):
    assert response.status_code == status, response.content[:500]
    text = json.dumps(response.json(), ensure_ascii=False)
    assert not any(word in text for word in ENGLISH), text
    return response.json()


def rows() -> tuple[int, int, int, int]:
    return User.objects.count(), Doctor.objects.count(), Booking.objects.count(), Slot.objects.count()


# --- malformed JSON, wrong types, missing and extra fields -----------------------------------------------------------

MALFORMED = ["{", "{'email': 'a@b.fr'}", "\x00", "[1, 2", '{"a": NaN}', '{"a": 1} {"b": 2}', "\ufeff{}", "nul"]


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_json_is_refused_in_french_and_writes_nothing(register, raw):
    before = rows()
    assert assert_french_refusal(register(raw=raw)) == {"non_field_errors": [MALFORMED_JSON]}
    assert rows() == before


def test_an_empty_body_is_a_form_with_every_field_missing(register):
    body = assert_french_refusal(register(raw=""))
    assert body["email"] == ["Ce champ est obligatoire."]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("url", "persona", "raw"),
    [
        ("/api/v1/bookings/", "doctor", "{"),
        ("/api/v1/slots/", "site_member", "{"),
        ("/api/v1/availability/", "doctor", '{"date": '),
        ("/api/v1/statements/generate/", "ars_staff", "month=2025-10"),
    ],
)
def test_every_write_endpoint_refuses_malformed_json(client, request, url, persona, raw):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    before = rows()
    assert assert_french_refusal(client.post(url, raw, content_type="application/json")) == {
        "non_field_errors": [MALFORMED_JSON]
    }
    assert rows() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"zones": "toutes"}, "zones"),
        ({"zones": ["abc"]}, "zones"),
        ({"zones": [10**30]}, "zones"),
        ({"zones": [-1]}, "zones"),
        ({"replacement_declared": "peut-être"}, "replacement_declared"),
        ({"email": ["a@b.fr"]}, "email"),
        ({"first_name": {"nom": "x"}}, "first_name"),
        ({"sector": "3"}, "sector"),
        ({"mode": None, "sector": 1.5}, "sector"),
        ({"email": "pas-une-adresse"}, "email"),
    ],
)
def test_wrong_types_are_refused_field_by_field(register, overrides, field):
    before = rows()
    body = assert_french_refusal(register(**overrides))
    assert field in body
    assert rows() == before


def test_a_body_that_is_not_an_object_is_refused(register):
    before = rows()
    body = assert_french_refusal(register(raw="[1, 2, 3]"))
    assert "non_field_errors" in body
    assert rows() == before


def test_missing_fields_are_each_named(client):
    body = assert_french_refusal(client.post("/api/v1/doctors/", "{}", content_type="application/json"))
    for field in ("email", "password", "first_name", "last_name", "rpps", "sector", "practice_commune"):
        assert body[field] == ["Ce champ est obligatoire."]
    assert not User.objects.exists()


def test_extra_fields_never_write_what_they_name(register):
    response = register(status="validated", is_staff=True, is_superuser=True, billing_number="999", id=4242)
    assert response.status_code == 201, response.content
    doctor = Doctor.objects.get()
    assert doctor.status == Doctor.Status.SUBMITTED
    assert doctor.billing_number == ""
    assert doctor.pk != 4242
    assert not doctor.user.is_staff and not doctor.user.is_superuser


def test_a_doctor_cannot_book_for_someone_else_by_adding_a_field(client, doctor, other_doctor, slot):
    client.force_login(doctor.user)
    response = client.post(
        "/api/v1/bookings/", {"slot": slot.pk, "doctor": other_doctor.pk}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().doctor == doctor


# --- oversized bodies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/doctors/", "/api/v1/auth/token/"])
def test_an_oversized_body_is_refused_before_it_is_read(client, zone, url):
    huge = json.dumps({"email": "a@b.fr", "password": "x" * (2 * 1024 * 1024)})
    response = client.post(url, huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "Requête trop volumineuse : 1 Mo au plus" in response.json()["detail"]
    assert not User.objects.exists()


def test_many_small_values_are_bounded_too(register):
    response = register(zones=list(range(1, 5001)))
    body = assert_french_refusal(response)
    assert "zones" in body


# --- control characters and every Unicode plane ------------------------------------------------------------------

PLANES = {
    "plan 0 (multilingue de base)": "Zoé Nguyễn-Ølsen 中文 Ελένη",
    "plan 1 (supplémentaire multilingue)": "Jean 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀",
    "plan 2 (idéogrammes supplémentaire)": "𠀋𠂢 Li",
    "plan 3 (idéogrammes tertiaire)": "𰀀 Wu",
    "plan 14 (complémentaire spécialisé)": "Tag\U000e0041\U000e007f",
    "plans 15-16 (usage privé)": "Priv\U000f0000\U0010fffd",
    "combinants et bidi": "Zalgo z̷̢͔ e\u202eevil\u202c",
}


@pytest.mark.parametrize("plane", PLANES)
def test_text_from_every_unicode_plane_is_stored_as_sent(register, plane):
    name = PLANES[plane]
    response = register(last_name=name)
    assert response.status_code == 201, response.content
    doctor = Doctor.objects.get()
    assert doctor.last_name == name
    assert doctor.user.last_name == name


@pytest.mark.parametrize(
    ("raw_name", "message"),
    [
        ('"Jean\\u0000ne"', "Le caractère nul n’est pas autorisé."),
        ('"Jean\\ud800ne"', INVALID_TEXT),
        ('"\\udfff"', INVALID_TEXT),
    ],
)
def test_text_no_database_can_store_is_refused(register, raw_name, message):
    body = (
        json.dumps({"email": "x@exemple.fr", "password": "un-long-mot-de-passe-42"})[:-1]
        + f', "first_name": {raw_name}}}'
    )
    response = register(raw=body)
    refusal = assert_french_refusal(response)
    assert message in json.dumps(refusal, ensure_ascii=False)
    assert not User.objects.exists()


@pytest.mark.parametrize("control", ["\x07", "\x1b[31m", "\x7f", "\u0085", "\t", "\r\n"])
def test_control_characters_in_free_text_never_cause_an_error(client, site_member, site, control):
    """A note is free text: it may carry anything printable or not; it is stored as sent and escaped on output."""
    client.force_login(site_member)
    day = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    note = f"Parking{control}derrière la mairie"
    response = client.post(
        "/api/v1/slots/", {"site": site.pk, "date": day, "note": note}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Slot.objects.get(pk=response.json()["id"]).note == note


# --- identifiers, dates, months ------------------------------------------------------------------------------------


WRONG_KEY = with_luhn_key("1098765432")[:-1] + str((int(with_luhn_key("1098765432")[-1]) + 1) % 10)


@pytest.mark.parametrize("rpps", [WRONG_KEY, "1098765432", "109876543210", "1O98765432l", "١٠٩٨٧٦٥٤٣٢١"])
def test_an_identifier_with_a_wrong_key_or_shape_names_the_field(register, rpps):
    body = assert_french_refusal(register(rpps=rpps))
    assert "rpps" in body
    assert "RPPS" in " ".join(body["rpps"])
    assert not Doctor.objects.exists()


@pytest.fixture
def publish(client, site_member, site):
    client.force_login(site_member)

    def post(day: str):
        return client.post("/api/v1/slots/", {"site": site.pk, "date": day}, content_type="application/json")

    return post


@pytest.mark.parametrize(
    "day",
    [
        "2026-13-01",
        "2026-02-30",
        "2027-02-29",
        "10000-01-01",
        "0000-01-01",
        "31/12/2026",
        "",
        "demain",
        "2026-12-01T25:00",
    ],
)
def test_impossible_dates_are_refused_in_french(publish, day):
    body = assert_french_refusal(publish(day))
    assert "date" in body
    assert not Slot.objects.exists()


@pytest.mark.parametrize(("day", "code"), [("1899-12-31", "date_in_past"), ("9999-12-31", "beyond_horizon")])
def test_dates_out_of_range_are_business_refusals(publish, day, code):
    body = assert_french_refusal(publish(day), status=409)
    assert body["code"] == code
    assert not Slot.objects.exists()


@override_settings(BOOKING_HORIZON_DAYS=5 * 366)
@pytest.mark.parametrize("day", ["2028-02-29"])
def test_29_february_of_a_leap_year_is_an_ordinary_day(publish, doctor, client, day):
    response = publish(day)
    assert response.status_code == 201, response.content
    client.force_login(doctor.user)
    booked = client.post("/api/v1/bookings/", {"slot": response.json()["id"]}, content_type="application/json")
    assert booked.status_code == 201, booked.content
    assert booked.json()["date"] == day


@override_settings(BOOKING_HORIZON_DAYS=5 * 366)
@pytest.mark.parametrize("day", ["2027-03-28", "2027-10-31", "2028-03-26", "2028-10-29"])
def test_the_two_daylight_saving_days_are_ordinary_days(publish, doctor, client, day):
    response = publish(day)
    assert response.status_code == 201, response.content
    client.force_login(doctor.user)
    booked = client.post("/api/v1/bookings/", {"slot": response.json()["id"]}, content_type="application/json")
    assert booked.status_code == 201, booked.content
    cancelled = client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel/", {"reason": "Empêchement"}, content_type="application/json"
    )
    assert cancelled.status_code == 200, cancelled.content
    feed = client.get(f"/calendrier/{doctor.ical_token}.ics")
    assert feed.status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-01", "0000-05", "2026-13-01", "décembre"])
def test_a_month_that_does_not_exist_is_refused(client, ars_staff, month):
    client.force_login(ars_staff)
    for response in (
        client.get("/api/v1/coverage/", {"month": month}),
        client.get("/api/v1/statements/", {"month": month}),
        client.post("/api/v1/statements/generate/", {"month": month}, content_type="application/json"),
    ):
        body = assert_french_refusal(response)
        assert "month" in body


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_after": "2026-13-01"}, "date"),
        ({"date_before": "2026-02-30"}, "date"),
        ({"zone": "abc"}, "zone"),
        ({"period": "nuit"}, "period"),
    ],
)
def test_bad_filters_are_refused_not_ignored(client, doctor, params, field):
    client.force_login(doctor.user)
    body = assert_french_refusal(client.get("/api/v1/slots/", params))
    assert field in body


def test_availability_on_an_impossible_day_is_refused(client, doctor):
    client.force_login(doctor.user)
    body = assert_french_refusal(
        client.post("/api/v1/availability/", {"date": "2027-02-29"}, content_type="application/json")
    )
    assert "date" in body
    assert not Availability.objects.exists()


# --- JSON nested beyond reason: refused before the parser recurses (it raised RecursionError, a 500) --------------


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/doctors/"])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_fifty_thousand_deep_is_a_french_400_for_anonymous_callers(client, url, opening):
    from config.security_input import MAX_JSON_DEPTH, TOO_DEEP

    before = rows()
    response = client.post(url, opening * 50_000, content_type="application/json")
    assert assert_french_refusal(response) == {"non_field_errors": [TOO_DEEP.format(depth=MAX_JSON_DEPTH)]}
    assert rows() == before


def test_json_nested_too_deep_is_refused_for_a_signed_in_caller_too(client, doctor):
    client.force_login(doctor.user)
    response = client.post("/api/v1/bookings/", "[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert response.status_code == 400


def test_brackets_inside_strings_do_not_count_as_nesting(register):
    response = register(first_name="[" * 60 + '\\"{' * 20)
    assert response.status_code == 201, response.content[:300]
