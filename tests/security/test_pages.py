"""Every page of every space, rendered over hostile data: what people typed is escaped, and no page needs
`'unsafe-inline'` (no inline script, style attribute, `<style>` or event handler) — the CSP can stay strict.

The bad-input catalogue for web forms is here too: the forms refuse, in French, what the API refuses."""

import datetime
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from billing.services import generate_statement, issue_statement
from missions.models import Availability, Booking
from planning.services import propose_plan
from tests import factories as f

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
QUOTE = '" autofocus onfocus="alert(1)'
PAYLOADS = [SCRIPT, IMG, QUOTE]


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block: inline scripts, styles and event handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and "json" not in (attributes.get("type") or ""):
            self.found.append(f"inline <script> {self.getpos()}")
        if tag == "style":
            self.found.append(f"<style> element {self.getpos()}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…> {self.getpos()}")
            if name == "style":
                self.found.append(f'<{tag} style="{value}"> {self.getpos()}')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f'<{tag} {name}="{value}"> {self.getpos()}')


def inline_code(html: str, *, only_scripts: bool = False) -> list[str]:
    """What in `html` a policy without 'unsafe-inline' would block (`only_scripts`: scripts and handlers only)."""
    parser = InlineCode()
    parser.feed(html)
    if only_scripts:
        return [item for item in parser.found if "script" in item or " on" in item]
    return parser.found


@pytest.fixture
def hostile(zone, site_member, doctor, other_doctor, cpam_agent, ars_staff, flat_rate):
    """A small world in which every free-text field people fill holds markup."""
    site = site_member.site_memberships.get().site
    site.name, site.address, site.contact_name = f"Maison {IMG}", f"1 rue {SCRIPT}", QUOTE
    site.save()
    doctor.first_name, doctor.last_name, doctor.specialty = IMG, SCRIPT, QUOTE
    doctor.save()
    today = timezone.localdate()
    slot = f.SlotFactory(site=site, date=today + datetime.timedelta(days=10), note=SCRIPT, capacity=2)
    f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.REQUESTED)
    cancelled = f.SlotFactory(site=site, date=today + datetime.timedelta(days=11))
    f.BookingFactory(doctor=other_doctor, slot=cancelled, status=Booking.Status.CANCELLED, reason=SCRIPT)
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    past = f.SlotFactory(site=site, date=last_month + datetime.timedelta(days=3))
    f.BookingFactory(
        doctor=doctor, slot=past, status=Booking.Status.COMPLETED, consultations=4, attested_at=timezone.now()
    )
    unattested = f.SlotFactory(site=site, date=today - datetime.timedelta(days=1))
    f.BookingFactory(doctor=other_doctor, slot=unattested, status=Booking.Status.CONFIRMED)
    f.AvailabilityFactory(doctor=doctor, date=today + datetime.timedelta(days=12))
    cpam = f.CpamFactory(department=doctor.practice_department)
    statement = issue_statement(generate_statement(cpam, last_month, by=ars_staff), by=ars_staff)
    # A plan proposing `doctor` (markup in their name) for a slot of `site` (markup in its name).
    planned = today + datetime.timedelta(days=12)
    f.SlotFactory(site=site, date=planned)
    plan = propose_plan(region=site.zone.department.region, month=planned.replace(day=1), by=ars_staff)
    assert plan.lines.filter(doctor=doctor).exists()
    return {"site": site, "slot": slot, "statement": statement, "plan": plan}


def pages(hostile, doctor) -> dict[str, list[str]]:
    site, slot, statement = hostile["site"], hostile["slot"], hostile["statement"]
    return {
        "anonymous": ["/", "/lieux/", "/medecin/inscription/", "/compte/connexion/", "/compte/mot-de-passe/oublie/"],
        "doctor": [
            "/medecin/",
            "/medecin/creneaux/",
            "/medecin/missions/",
            "/medecin/gains/",
            "/medecin/disponibilites/",
            "/medecin/calendrier/",
            "/compte/fermer/",
        ],
        "site_member": [
            "/lieu/",
            f"/lieu/creneaux/{slot.pk}/",
            "/lieu/reservations/",
            "/lieu/attestations/",
            "/lieu/creneaux/publier/",
        ],
        "cpam_agent": ["/cpam/", f"/cpam/releves/{statement.pk}/", "/cpam/numeros/"],
        "ars_staff": [
            "/ars/",
            "/ars/planning/",
            f"/ars/planning/{hostile['plan'].pk}/",
            f"/ars/planning/{hostile['plan'].pk}/envoyer/",
            f"/ars/planning/{hostile['plan'].pk}/lignes/{hostile['plan'].lines.get().pk}/remplacer/",
        ],
        "ars_admin": [
            "/admin/",
            "/admin/missions/doctor/",
            f"/admin/missions/doctor/{doctor.pk}/change/",
            "/admin/missions/booking/",
            f"/admin/sites/hostsite/{site.pk}/change/",
            "/admin/sites/slot/",
            f"/admin/billing/statement/{statement.pk}/change/",
            "/admin/planning/plan/",
        ],
    }


def login_as(client, request, persona):
    if persona == "anonymous":
        return
    name = "ars_staff" if persona == "ars_admin" else persona
    user = request.getfixturevalue(name)
    client.force_login(getattr(user, "user", user))


@pytest.mark.parametrize("persona", ["anonymous", "doctor", "site_member", "cpam_agent", "ars_staff", "ars_admin"])
def test_every_page_escapes_what_people_typed_and_needs_no_inline_code(client, request, hostile, doctor, persona):
    login_as(client, request, persona)
    problems = []
    for url in pages(hostile, doctor)[persona]:
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        html = response.content.decode()
        for payload in PAYLOADS:
            if payload in html:
                problems.append(f"{url}: unescaped {payload!r}")
        problems += [f"{url}: {item}" for item in inline_code(html)]
    assert not problems, "\n".join(problems)


def test_only_the_api_documentation_relaxes_the_policy(client, doctor):
    """Swagger UI injects styles: its page alone allows inline styles (never inline scripts)."""
    client.force_login(doctor.user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "'unsafe-inline'" in docs["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in docs["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert not inline_code(docs.content.decode(), only_scripts=True)


# --- web forms -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2027-02-29", "Saisissez une date valide."),
        ("2026-13-01", "Saisissez une date valide."),
        ("31/02/2027", "Saisissez une date valide."),
        ("10000-01-01", "Saisissez une date valide."),
    ],
)
def test_the_availability_form_refuses_impossible_days_in_french(client, doctor, day, message):
    client.force_login(doctor.user)
    response = client.post("/medecin/disponibilites/", {"date": day, "period": "full_day"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Availability.objects.exists()


def test_the_registration_form_refuses_a_wrong_rpps_key_and_a_nul_character(client, zone):
    response = client.post(
        "/medecin/inscription/",
        {"first_name": "Jean\x00ne", "last_name": "Martin", "email": "jm@exemple.fr", "rpps": "10987654321"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "RPPS" in html
    assert "caractère nul" in html
    assert not Booking.objects.exists()


def test_an_oversized_form_is_refused_with_a_french_page(client, doctor):
    client.force_login(doctor.user)
    response = client.post("/medecin/disponibilites/", {"date": "2027-01-01", "note": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()
    assert not Availability.objects.exists()
