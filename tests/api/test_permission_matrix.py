"""Who may call what: ten personas × every operation of the API, in one table of expected status codes.

401 without credentials, 403 for a role that may never do this, 404 for an object the caller may not see
(a doctor never sees another doctor's booking, a site never confirms another site's booking, an ARS agent of
region B — `ars_other_region` — never sees nor acts on region A's objects). Every object of the world lies in
region A. `staff_without_region` is a staff account no region was given: it is refused everything ARS staff do
(403) and sees nothing (404). `superuser` is national. Lists answer 200 to region B's agent: that they hold nothing
of region A is tests/api/test_tenancy.py.

Two rules changed with the region tenancy (issue #12), none of the seven original columns did: `POST slots` by
region B's agent names a site they may not see, which the body's `site` field answers as any unknown id (400,
« l'objet n'existe pas »); `GET availability?zone&date` looks the zone up among those the caller may see (404).

To add an operation: add its function `(world, client, persona) -> response` to OPERATIONS and its row to MATRIX
(columns in the order of PERSONAS). `World` builds, on first use, the objects rows act on: add a cached property
there for what a new row needs. An operation of the OpenAPI schema without a row fails
`test_every_operation_of_the_schema_has_a_row`.
"""

import datetime
from functools import cached_property

import pytest

from billing.services import generate_statement, issue_statement
from missions.models import Booking, Doctor
from planning.services import propose_plan
from sites.identifiers import with_luhn_key
from tests import factories as f
from tests.api.conftest import client_for, in_days, otp_code

PERSONAS = (
    "anonymous",
    "doctor",
    "other_doctor",
    "site_member",
    "other_site_member",
    "cpam_agent",
    "ars_staff",
    "ars_other_region",
    "staff_without_region",
    "superuser",
)
OCTOBER_2025, SEPTEMBER_2025 = datetime.date(2025, 10, 1), datetime.date(2025, 9, 1)


class World:
    """One zone with two host sites (`site`, `other_site`), the seven personas, and — built on first use — the
    objects each row acts on. `doctor`'s bookings are at `site`; `cpam_agent` is the CPAM of `doctor`."""

    def __init__(self, *, zone, site, other_site, doctor, other_doctor, users):
        self.zone, self.site, self.other_site = zone, site, other_site
        self.doctor, self.other_doctor, self.users = doctor, other_doctor, users

    @cached_property
    def slot(self):
        return f.SlotFactory(site=self.site, date=in_days(20), capacity=3)

    @cached_property
    def booking(self):
        return f.BookingFactory(doctor=self.doctor, slot=f.SlotFactory(site=self.site, date=in_days(10)))

    @cached_property
    def past_booking(self):
        slot = f.SlotFactory(site=self.site, date=in_days(-1))
        return f.BookingFactory(doctor=self.doctor, slot=slot, status=Booking.Status.CONFIRMED)

    @cached_property
    def attested_booking(self):
        slot = f.SlotFactory(site=self.site, date=in_days(-2))
        return f.BookingFactory(doctor=self.doctor, slot=slot, status=Booking.Status.COMPLETED, consultations=12)

    @cached_property
    def applicant(self):
        return f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[self.zone])

    @cached_property
    def suspended(self):
        return f.DoctorFactory(status=Doctor.Status.SUSPENDED, zones=[self.zone])

    @cached_property
    def availability(self):
        return f.AvailabilityFactory(doctor=self.doctor, date=in_days(12))

    # CPAM statements of `doctor`'s CPAM: October issued, September still a draft.
    @cached_property
    def flat_rate(self):
        return f.FlatRateFactory(valid_from=datetime.date(2025, 1, 1))

    def _attested_day(self, day: datetime.date) -> None:
        self.flat_rate  # noqa: B018 - the rate in force must exist before a statement is generated
        slot = f.SlotFactory(site=self.site, date=day)
        f.BookingFactory(doctor=self.doctor, slot=slot, status=Booking.Status.COMPLETED, consultations=10)

    def _statement(self, month: datetime.date):
        self._attested_day(month.replace(day=7))
        cpam = f.CpamFactory(department=self.doctor.practice_department)
        return generate_statement(cpam, month, by=self.users["ars_staff"])

    @cached_property
    def issued_statement(self):
        return issue_statement(self._statement(OCTOBER_2025), by=self.users["ars_staff"])

    @cached_property
    def draft_statement(self):
        return self._statement(SEPTEMBER_2025)

    @cached_property
    def statement_export(self):
        """The PDF of the issued statement, asked for by its ARS staff and prepared (the job run here)."""
        from billing.exports.background import request_export, run_export

        export = request_export(self.issued_statement, "pdf", by=self.users["ars_staff"])
        run_export(export.pk)
        return export

    @cached_property
    def plan(self):
        """Next month's plan of the zone's region, proposed by its ARS staff: `doctor` for a slot of `site`."""
        day = next_month() + datetime.timedelta(days=14)
        f.AvailabilityFactory(doctor=self.doctor, date=day)
        f.SlotFactory(site=self.site, date=day)
        region = self.zone.department.region
        return propose_plan(region=region, month=next_month(), by=self.users["ars_staff"])


def next_month() -> datetime.date:
    first = in_days(0).replace(day=1)
    return (first + datetime.timedelta(days=32)).replace(day=1)


@pytest.fixture
def world(zone, site, other_site, doctor, other_doctor, personas):
    return World(zone=zone, site=site, other_site=other_site, doctor=doctor, other_doctor=other_doctor, users=personas)


# --- operations: (world, client, persona) -> response ------------------------------------------------------


def token(w, c, persona):
    user = w.users[persona]
    if user is None:
        return c.post("/api/v1/auth/token/", {"email": "personne@exemple.fr", "password": "pas-le-bon"})
    body = {"email": user.email, "password": f.PASSWORD}
    if user.is_staff:
        body["otp_token"] = otp_code(user)
    return c.post("/api/v1/auth/token/", body)


def register(w, c, persona):
    n = PERSONAS.index(persona)
    return c.post(
        "/api/v1/doctors/",
        {
            "email": f"nouveau{n}@exemple.fr",
            "password": "Un-mot-de-passe-solide-2025",
            "first_name": "Camille",
            "last_name": "Martin",
            "rpps": with_luhn_key(f"81000000{n:02d}"),
            "specialty": "Médecine générale",
            "sector": "1",
            "practice_commune": w.site.commune.insee_code,
            "phone": "0600000000",
            "zones": [w.zone.pk],
        },
    )


OPERATIONS = {
    "POST auth/token": token,
    "GET schema": lambda w, c, p: c.get("/api/schema/"),
    "GET docs": lambda w, c, p: c.get("/api/docs/"),
    "GET zones": lambda w, c, p: c.get("/api/v1/zones/"),
    "GET zones/{id}": lambda w, c, p: c.get(f"/api/v1/zones/{w.zone.pk}/"),
    "GET sites": lambda w, c, p: c.get("/api/v1/sites/", {"zone": w.zone.pk}),
    "GET sites/{id}": lambda w, c, p: c.get(f"/api/v1/sites/{w.site.pk}/"),
    "GET slots": lambda w, c, p: c.get("/api/v1/slots/", {"available": "true"}),
    "GET slots/{id}": lambda w, c, p: c.get(f"/api/v1/slots/{w.slot.pk}/"),
    "POST slots": lambda w, c, p: c.post(
        "/api/v1/slots/", {"site": w.site.pk, "date": in_days(30).isoformat(), "period": "morning", "capacity": 1}
    ),
    "POST slots/{id}/close": lambda w, c, p: c.post(f"/api/v1/slots/{w.slot.pk}/close/", {"reason": "Travaux"}),
    "POST doctors (registration)": register,
    "GET doctors": lambda w, c, p: c.get("/api/v1/doctors/", {"status": "submitted"}),
    "GET doctors/{id}": lambda w, c, p: c.get(f"/api/v1/doctors/{w.doctor.pk}/"),
    "GET doctors/me": lambda w, c, p: c.get("/api/v1/doctors/me/"),
    "PATCH doctors/me": lambda w, c, p: c.patch("/api/v1/doctors/me/", {"phone": "04 73 00 00 00"}, format="json"),
    "POST doctors/{id}/validate": lambda w, c, p: c.post(f"/api/v1/doctors/{w.applicant.pk}/validate/"),
    "POST doctors/{id}/reject": lambda w, c, p: c.post(
        f"/api/v1/doctors/{w.applicant.pk}/reject/", {"reason": "Dossier incomplet"}
    ),
    "POST doctors/{id}/suspend": lambda w, c, p: c.post(f"/api/v1/doctors/{w.doctor.pk}/suspend/", {"reason": "x"}),
    "POST doctors/{id}/reinstate": lambda w, c, p: c.post(f"/api/v1/doctors/{w.suspended.pk}/reinstate/"),
    "POST bookings": lambda w, c, p: c.post("/api/v1/bookings/", {"slot": w.slot.pk}),
    "GET bookings": lambda w, c, p: c.get("/api/v1/bookings/", {"status": "requested"}),
    "GET bookings/{id}": lambda w, c, p: c.get(f"/api/v1/bookings/{w.booking.pk}/"),
    "POST bookings/{id}/confirm": lambda w, c, p: c.post(f"/api/v1/bookings/{w.booking.pk}/confirm/"),
    "POST bookings/{id}/decline": lambda w, c, p: c.post(
        f"/api/v1/bookings/{w.booking.pk}/decline/", {"reason": "Locaux indisponibles"}
    ),
    "POST bookings/{id}/cancel": lambda w, c, p: c.post(
        f"/api/v1/bookings/{w.booking.pk}/cancel/", {"reason": "Empêchement"}
    ),
    "POST bookings/{id}/attest": lambda w, c, p: c.post(
        f"/api/v1/bookings/{w.past_booking.pk}/attest/", {"attended": True, "consultations": 12}
    ),
    "POST bookings/{id}/correct": lambda w, c, p: c.post(
        f"/api/v1/bookings/{w.attested_booking.pk}/correct/",
        {"attended": True, "consultations": 9, "reason": "Erreur de saisie"},
    ),
    "GET availability (own)": lambda w, c, p: c.get("/api/v1/availability/"),
    "POST availability": lambda w, c, p: c.post(
        "/api/v1/availability/", {"date": in_days(15).isoformat(), "period": "full_day"}
    ),
    "DELETE availability/{id}": lambda w, c, p: c.delete(f"/api/v1/availability/{w.availability.pk}/"),
    "GET availability?zone&date": lambda w, c, p: c.get(
        "/api/v1/availability/", {"zone": w.zone.pk, "date": in_days(12).isoformat()}
    ),
    "GET coverage": lambda w, c, p: c.get("/api/v1/coverage/", {"month": f"{in_days(10):%Y-%m}"}),
    "GET statements": lambda w, c, p: c.get("/api/v1/statements/", {"month": "2025-10"}),
    "GET statements/{id}": lambda w, c, p: c.get(f"/api/v1/statements/{w.issued_statement.pk}/"),
    "GET statements/{id}/csv": lambda w, c, p: c.get(f"/api/v1/statements/{w.issued_statement.pk}/csv/"),
    "GET statements/{id}/xlsx": lambda w, c, p: c.get(f"/api/v1/statements/{w.issued_statement.pk}/xlsx/"),
    "GET statements/{id}/pdf": lambda w, c, p: c.get(f"/api/v1/statements/{w.issued_statement.pk}/pdf/"),
    "GET statement-exports/{id}": lambda w, c, p: c.get(f"/api/v1/statement-exports/{w.statement_export.pk}/"),
    "GET statement-exports/{id}/file": lambda w, c, p: c.get(
        f"/api/v1/statement-exports/{w.statement_export.pk}/file/"
    ),
    "POST statements/generate": lambda w, c, p: (
        w.flat_rate and c.post("/api/v1/statements/generate/", {"month": "2025-10"})
    ),
    "POST statements/{id}/issue": lambda w, c, p: c.post(f"/api/v1/statements/{w.draft_statement.pk}/issue/"),
    "POST statements/{id}/mark-paid": lambda w, c, p: c.post(f"/api/v1/statements/{w.issued_statement.pk}/mark-paid/"),
    "GET plans": lambda w, c, p: c.get("/api/v1/plans/"),
    "GET plans/{id}": lambda w, c, p: c.get(f"/api/v1/plans/{w.plan.pk}/"),
    "POST plans": lambda w, c, p: c.post(
        "/api/v1/plans/", {"region": w.zone.department.region_id, "month": f"{next_month():%Y-%m}"}
    ),
    "POST plans/{id}/send": lambda w, c, p: c.post(f"/api/v1/plans/{w.plan.pk}/send/"),
    "GET zonage": lambda w, c, p: c.get("/api/v1/zonage/", {"commune": w.site.commune.insee_code}),
}

# fmt: off
MATRIX = [
    # operation                        anon  doc   odoc  site  osite cpam  ars   arsB  norg  super
    ("POST auth/token",                 400,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET schema",                      200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET docs",                        200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET zones",                       401,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET zones/{id}",                  401,  200,  200,  200,  200,  200,  200,  404,  404,  200),
    ("GET sites",                       401,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET sites/{id}",                  401,  200,  200,  200,  200,  200,  200,  404,  404,  200),
    ("GET slots",                       401,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET slots/{id}",                  401,  200,  200,  200,  200,  200,  200,  404,  404,  200),
    ("POST slots",                      401,  403,  403,  201,  403,  403,  201,  400,  403,  201),
    ("POST slots/{id}/close",           401,  403,  403,  200,  403,  403,  200,  404,  403,  200),
    ("POST doctors (registration)",     201,  201,  201,  201,  201,  201,  201,  201,  201,  201),
    ("GET doctors",                     401,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("GET doctors/{id}",                401,  200,  404,  403,  403,  403,  200,  404,  403,  200),
    ("GET doctors/me",                  401,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("PATCH doctors/me",                401,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("POST doctors/{id}/validate",      401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST doctors/{id}/reject",        401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST doctors/{id}/suspend",       401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST doctors/{id}/reinstate",     401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST bookings",                   401,  201,  201,  403,  403,  403,  403,  403,  403,  403),
    ("GET bookings",                    401,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("GET bookings/{id}",               401,  200,  404,  200,  404,  200,  200,  404,  404,  200),
    ("POST bookings/{id}/confirm",      401,  403,  403,  200,  404,  403,  200,  404,  403,  200),
    ("POST bookings/{id}/decline",      401,  403,  403,  200,  404,  403,  200,  404,  403,  200),
    ("POST bookings/{id}/cancel",       401,  200,  404,  200,  404,  403,  200,  404,  403,  200),
    ("POST bookings/{id}/attest",       401,  403,  403,  200,  404,  403,  200,  404,  403,  200),
    ("POST bookings/{id}/correct",      401,  403,  403,  200,  404,  403,  200,  404,  403,  200),
    ("GET availability (own)",          401,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("POST availability",               401,  201,  201,  403,  403,  403,  403,  403,  403,  403),
    ("DELETE availability/{id}",        401,  204,  404,  403,  403,  403,  403,  403,  403,  403),
    ("GET availability?zone&date",      401,  403,  403,  200,  200,  403,  200,  404,  403,  200),
    ("GET coverage",                    401,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("GET statements",                  401,  403,  403,  403,  403,  200,  200,  200,  403,  200),
    ("GET statements/{id}",             401,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("GET statements/{id}/csv",         401,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    # XLSX and PDF: 202, the job started (or joined) and where to follow it (the job runs after the commit)
    ("GET statements/{id}/xlsx",        401,  403,  403,  403,  403,  202,  202,  404,  403,  202),
    ("GET statements/{id}/pdf",         401,  403,  403,  403,  403,  202,  202,  404,  403,  202),
    ("GET statement-exports/{id}",      401,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("GET statement-exports/{id}/file", 401,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("POST statements/generate",        401,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("POST statements/{id}/issue",      401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST statements/{id}/mark-paid",  401,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("GET plans",                       401,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("GET plans/{id}",                  401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("POST plans",                      401,  403,  403,  403,  403,  403,  201,  400,  403,  201),
    ("POST plans/{id}/send",            401,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("GET zonage",                      401,  200,  200,  200,  200,  200,  200,  200,  200,  200),
]
# fmt: on

CELLS = [
    pytest.param(operation, persona, expected, id=f"{operation} | {persona}")
    for operation, *statuses in MATRIX
    for persona, expected in zip(PERSONAS, statuses, strict=True)
]


def test_the_matrix_covers_every_operation_once():
    assert [row[0] for row in MATRIX] == list(OPERATIONS)


# Rows for pages of the API that the schema does not describe (itself and its documentation).
OUTSIDE_THE_SCHEMA = {("GET", "/api/schema/"), ("GET", "/api/docs/")}


def schema_operation(name: str) -> tuple[str, str]:
    """« GET doctors/{id} », « GET availability?zone&date », « POST doctors (registration) » → the schema's
    (method, path). A row's name is the method, the path under /api/v1/, then an optional variant."""
    method, _, rest = name.partition(" ")
    path = rest.split(" (")[0].split("?")[0]
    if path in {"schema", "docs"}:
        return method, f"/api/{path}/"
    return method, f"/api/v1/{path}/"


def test_every_operation_of_the_schema_has_a_row():
    """A new API operation without a row in MATRIX fails here: the matrix is the list of what the API offers."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    in_schema = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    in_matrix = {schema_operation(name) for name in OPERATIONS}
    assert in_schema - in_matrix == set(), "operations without a row in MATRIX"
    assert in_matrix - in_schema == OUTSIDE_THE_SCHEMA, "rows naming no operation of the schema"


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "persona", "expected"), CELLS)
def test_permission_matrix(world, operation, persona, expected):
    response = OPERATIONS[operation](world, client_for(world.users[persona]), persona)
    assert response.status_code == expected, (operation, persona, response.content[:300])
