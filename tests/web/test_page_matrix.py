"""Who may open which web page: ten personas × every page (URL name), in one table of expected status codes.

302 to the login page without a session, 403 for a space the person has no role in, 404 for an object of that
space the person may not see (another doctor's booking, another site's slot, region A's statement or doctor for
region B's agent — `ars_other_region`). Every object lies in region A. `staff_without_region` gets the page that
tells them why they see nothing (403) on /ars/ and is refused /cpam/; `superuser` is national.

Every URL of config/urls.py (outside admin/, api/ and static) must have a row: `test_every_page_has_a_row` walks
the URL resolver, so a new page without one fails. To add a row: its request `(world, client) -> response` in
PAGES, its statuses in MATRIX (columns in the order of PERSONAS).
"""

from functools import cached_property
from urllib.parse import urlparse

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from missions.doctor_file import cdom_token
from missions.views.invitations import offer_token
from planning.services import decline_url, send_plan
from tests import factories as f
from tests.api.test_permission_matrix import PERSONAS, World

SKIPPED_PREFIXES = ("admin/", "api/", "static/")


class Pages(World):
    """The API matrix's world, plus what the pages act on."""

    @cached_property
    def offered(self):
        """`doctor` declared themselves available on the day of `slot`: the site may offer it to them."""
        f.AvailabilityFactory(doctor=self.doctor, date=self.slot.date)
        return self.slot

    @cached_property
    def plan_line(self):
        """`doctor` proposed for a slot of `site` next month."""
        return self.plan.lines.get()

    @cached_property
    def decline_path(self):
        """The « je ne peux pas » link of `doctor`'s offer, once the plan is sent."""
        line = self.plan_line
        send_plan(self.plan, by=self.users["ars_staff"])
        return urlparse(decline_url(line)).path


@pytest.fixture
def pages(zone, site, other_site, doctor, other_doctor, personas):
    return Pages(zone=zone, site=site, other_site=other_site, doctor=doctor, other_doctor=other_doctor, users=personas)


def _statement(w, suffix=""):
    return f"/cpam/releves/{w.issued_statement.pk}/{suffix}"


PAGES = {
    # accounts
    "accounts:home": lambda w, c: c.get("/compte/"),
    "accounts:login": lambda w, c: c.get("/compte/connexion/"),
    "accounts:logout": lambda w, c: c.post("/compte/deconnexion/"),
    "accounts:password_reset": lambda w, c: c.get("/compte/mot-de-passe/oublie/"),
    "accounts:password_reset_done": lambda w, c: c.get("/compte/mot-de-passe/oublie/envoye/"),
    "accounts:password_reset_confirm": lambda w, c: c.get("/compte/mot-de-passe/nouveau/MQ/pas-un-jeton/"),
    "accounts:password_reset_complete": lambda w, c: c.get("/compte/mot-de-passe/nouveau/termine/"),
    "security:otp_verify": lambda w, c: c.get("/compte/double-authentification/"),
    "security:otp_setup": lambda w, c: c.get("/compte/double-authentification/activer/"),
    "security:my_data": lambda w, c: c.get("/compte/mes-donnees.json"),
    "security:close_account": lambda w, c: c.get("/compte/fermer/"),
    # CPAM space
    "billing:home": lambda w, c: c.get("/cpam/"),
    "billing:statement_detail": lambda w, c: c.get(_statement(w)),
    "billing:statement_csv": lambda w, c: c.get(_statement(w, "csv/")),
    "billing:statement_xlsx": lambda w, c: c.get(_statement(w, "xlsx/")),
    "billing:statement_pdf": lambda w, c: c.get(_statement(w, "pdf/")),
    "billing:statement_export": lambda w, c: c.get(_statement(w, "pdf/")),
    "billing:statement_export_prepare": lambda w, c: c.post(_statement(w, "pdf/preparer/")),
    "billing:statement_export_state": lambda w, c: c.get(_statement(w, "pdf/etat/")),
    "billing:statement_export_file": lambda w, c: c.get(
        f"/cpam/releves/{w.statement_export.statement_id}/{w.statement_export.format}/fichier/"
    ),
    "billing:mark_paid": lambda w, c: c.post(_statement(w, "payer/")),
    "billing:billing_numbers": lambda w, c: c.get("/cpam/numeros/"),
    "billing:record_billing_number": lambda w, c: c.post(
        f"/cpam/numeros/{w.doctor.pk}/", {f"medecin-{w.doctor.pk}-billing_number": "123456789"}
    ),
    # public
    "home": lambda w, c: c.get("/"),
    "accessibility": lambda w, c: c.get("/accessibilite/"),
    "legal_notice": lambda w, c: c.get("/mentions-legales/"),
    "privacy": lambda w, c: c.get("/donnees-personnelles/"),
    "favicon": lambda w, c: c.get("/favicon.ico"),
    "missions:public_sites": lambda w, c: c.get("/lieux/"),
    "sites:commune_search": lambda w, c: c.get("/communes/recherche/", {"q": "Sai"}),
    "missions:register": lambda w, c: c.get("/medecin/inscription/"),
    "missions:ical_feed": lambda w, c: c.get(f"/calendrier/{w.doctor.ical_token}.ics"),
    # doctor space
    "missions:registered": lambda w, c: c.get("/medecin/inscription/dossier-recu/"),
    "missions:doctor_home": lambda w, c: c.get("/medecin/"),
    "missions:doctor_file": lambda w, c: c.get("/medecin/mon-dossier/"),
    "missions:doctor_slots": lambda w, c: c.get("/medecin/creneaux/"),
    "missions:doctor_book": lambda w, c: c.post(f"/medecin/creneaux/{w.slot.pk}/reserver/"),
    "missions:doctor_missions": lambda w, c: c.get("/medecin/missions/"),
    "missions:doctor_cancel": lambda w, c: c.get(f"/medecin/missions/{w.booking.pk}/annuler/"),
    "missions:doctor_mission": lambda w, c: c.get(f"/medecin/missions/{w.booking.pk}/"),
    "missions:doctor_earnings": lambda w, c: c.get("/medecin/gains/"),
    "missions:doctor_availability": lambda w, c: c.get("/medecin/disponibilites/"),
    "missions:doctor_remove_availability": lambda w, c: c.post(f"/medecin/disponibilites/{w.availability.pk}/retirer/"),
    "missions:doctor_calendar": lambda w, c: c.get("/medecin/calendrier/"),
    "missions:doctor_revoke_calendar": lambda w, c: c.post("/medecin/calendrier/renouveler/"),
    "missions:accept_offer": lambda w, c: c.get(f"/invitation/{offer_token(w.slot, w.doctor)}/"),
    "missions:cdom_decision": lambda w, c: c.get(f"/cdom/avis/{cdom_token(w.doctor)}/"),
    # host-site space
    "missions:host_home": lambda w, c: c.get("/lieu/"),
    "missions:host_slot": lambda w, c: c.get(f"/lieu/creneaux/{w.slot.pk}/"),
    "missions:host_offer": lambda w, c: c.post(f"/lieu/creneaux/{w.offered.pk}/proposer/{w.doctor.pk}/"),
    "missions:host_close_slot": lambda w, c: c.post(f"/lieu/creneaux/{w.slot.pk}/fermer/", {"reason": "Travaux"}),
    "missions:host_edit_slot": lambda w, c: c.post(
        f"/lieu/creneaux/{w.slot.pk}/modifier/", {"modifier-capacity": w.slot.capacity + 1, "modifier-note": "Parking"}
    ),
    "missions:host_bookings": lambda w, c: c.get("/lieu/reservations/"),
    "missions:host_confirm": lambda w, c: c.post(f"/lieu/reservations/{w.booking.pk}/confirmer/"),
    "missions:host_decline": lambda w, c: c.get(f"/lieu/reservations/{w.booking.pk}/refuser/"),
    "missions:host_attestations": lambda w, c: c.get("/lieu/attestations/"),
    "missions:host_attest": lambda w, c: c.post(
        f"/lieu/attestations/{w.past_booking.pk}/",
        {f"b{w.past_booking.pk}-attended": "yes", f"b{w.past_booking.pk}-consultations": "9"},
    ),
    "missions:host_correct_attestation": lambda w, c: c.post(
        f"/lieu/attestations/{w.attested_booking.pk}/corriger/",
        {"attended": "yes", "consultations": "9", "reason": "Erreur de saisie"},
    ),
    "sites:publish": lambda w, c: c.get("/lieu/creneaux/publier/"),
    "sites:practical_pack": lambda w, c: c.get(f"/lieu/accueil/{w.site.pk}/"),
    # ARS
    "missions:ars_dashboard": lambda w, c: c.get("/ars/"),
    # Pro Santé Connect: absent (404) unless configured, as in these tests (tests/prosante/ configure it)
    "prosante:start": lambda w, c: c.get("/compte/pro-sante-connect/"),
    "prosante:callback": lambda w, c: c.get("/compte/pro-sante-connect/retour/"),
    "prosante:register": lambda w, c: c.get("/medecin/inscription/pro-sante-connect/"),
    # planning (ARS staff of the region; the doctor declines an offer made to them)
    "planning:index": lambda w, c: c.get("/ars/planning/"),
    "planning:plan": lambda w, c: c.get(f"/ars/planning/{w.plan.pk}/"),
    "planning:send": lambda w, c: c.get(f"/ars/planning/{w.plan.pk}/envoyer/"),
    "planning:remove_line": lambda w, c: c.post(f"/ars/planning/{w.plan.pk}/lignes/{w.plan_line.pk}/retirer/"),
    "planning:swap_line": lambda w, c: c.get(f"/ars/planning/{w.plan.pk}/lignes/{w.plan_line.pk}/remplacer/"),
    "planning:decline": lambda w, c: c.get(w.decline_path),
    # Démarches Simplifiées' webhook: a secret URL, a 404 to anyone without the secret (none is set here)
    "demarches:webhook": lambda w, c: c.post("/webhooks/demarches-simplifiees/devine/", {"dossier_id": "1"}),
    # installation
    "installation:index": lambda w, c: c.get("/s-installer/", {"q": "Sai"}),
    "installation:zone": lambda w, c: c.get(f"/s-installer/zone/{w.zone.pk}/"),
    "installation:commune": lambda w, c: c.get(f"/s-installer/commune/{w.site.commune.insee_code}/"),
    "installation:ask": lambda w, c: c.post("/s-installer/en-savoir-plus/", {"zone": w.zone.pk, "message": "Bonjour"}),
    "installation:my_year": lambda w, c: c.get("/medecin/mon-annee/"),
    "installation:my_year_pdf": lambda w, c: c.get("/medecin/mon-annee/pdf/"),
}

# fmt: off
MATRIX = [
    # page                                    anon  doc   odoc  site  osite cpam  ars   arsB  norg  super
    ("accounts:home",                          302,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    ("accounts:login",                         200,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    ("accounts:logout",                        302,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    ("accounts:password_reset",                200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("accounts:password_reset_done",           200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("accounts:password_reset_confirm",        200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("accounts:password_reset_complete",       200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("security:otp_verify",                    302,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    ("security:otp_setup",                     302,  200,  200,  200,  200,  200,  302,  302,  302,  302),
    ("security:my_data",                       302,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("security:close_account",                 302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("billing:home",                           302,  403,  403,  403,  403,  200,  200,  200,  403,  200),
    ("billing:statement_detail",               302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_csv",                  302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_xlsx",                 302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_pdf",                  302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_export",               302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_export_prepare",       302,  403,  403,  403,  403,  302,  302,  404,  403,  302),
    ("billing:statement_export_state",         302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:statement_export_file",          302,  403,  403,  403,  403,  200,  200,  404,  403,  200),
    ("billing:mark_paid",                      302,  403,  403,  403,  403,  302,  302,  404,  403,  302),
    ("billing:billing_numbers",                302,  403,  403,  403,  403,  200,  200,  200,  403,  200),
    ("billing:record_billing_number",          302,  403,  403,  403,  403,  302,  302,  404,  403,  302),
    ("home",                                   200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("accessibility",                          200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("legal_notice",                           200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("privacy",                                200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("favicon",                                301,  301,  301,  301,  301,  301,  301,  301,  301,  301),
    ("missions:public_sites",                  200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("sites:commune_search",                   200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("missions:register",                      200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("missions:ical_feed",                     200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("missions:registered",                    302,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    ("missions:doctor_home",                   302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_file",                   302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_slots",                  302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_book",                   302,  302,  302,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_missions",               302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_cancel",                 302,  200,  404,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_mission",                302,  200,  404,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_earnings",               302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_availability",           302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_remove_availability",    302,  302,  404,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_calendar",               302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("missions:doctor_revoke_calendar",        302,  302,  302,  403,  403,  403,  403,  403,  403,  403),
    ("missions:accept_offer",                  302,  200,  404,  403,  403,  403,  403,  403,  403,  403),
    # the signed link is the permission (the CDOM has no account): the same page for whoever holds it
    ("missions:cdom_decision",                 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("missions:host_home",                     302,  403,  403,  200,  200,  403,  403,  403,  403,  403),
    ("missions:host_slot",                     302,  403,  403,  200,  404,  403,  403,  403,  403,  403),
    ("missions:host_offer",                    302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("missions:host_close_slot",               302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("missions:host_edit_slot",                302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("missions:host_bookings",                 302,  403,  403,  200,  200,  403,  403,  403,  403,  403),
    ("missions:host_confirm",                  302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("missions:host_decline",                  302,  403,  403,  200,  404,  403,  403,  403,  403,  403),
    ("missions:host_attestations",             302,  403,  403,  200,  200,  403,  403,  403,  403,  403),
    ("missions:host_attest",                   302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("missions:host_correct_attestation",      302,  403,  403,  302,  404,  403,  403,  403,  403,  403),
    ("sites:publish",                          302,  403,  403,  200,  200,  403,  403,  403,  403,  403),
    ("sites:practical_pack",                   302,  403,  403,  200,  403,  403,  200,  404,  404,  200),
    ("missions:ars_dashboard",                 302,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("prosante:start",                         404,  404,  404,  404,  404,  404,  404,  404,  404,  404),
    ("prosante:callback",                      404,  404,  404,  404,  404,  404,  404,  404,  404,  404),
    ("prosante:register",                      404,  404,  404,  404,  404,  404,  404,  404,  404,  404),
    ("planning:index",                         302,  403,  403,  403,  403,  403,  200,  200,  403,  200),
    ("planning:plan",                          302,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("planning:send",                          302,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("planning:remove_line",                   302,  403,  403,  403,  403,  403,  302,  404,  403,  302),
    ("planning:swap_line",                     302,  403,  403,  403,  403,  403,  200,  404,  403,  200),
    ("planning:decline",                       302,  200,  404,  403,  403,  403,  403,  403,  403,  403),
    ("demarches:webhook",                      404,  404,  404,  404,  404,  404,  404,  404,  404,  404),
    ("installation:index",                     200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("installation:zone",                      200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("installation:commune",                   200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    ("installation:ask",                       302,  302,  302,  403,  403,  403,  403,  403,  403,  403),
    ("installation:my_year",                   302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
    ("installation:my_year_pdf",               302,  200,  200,  403,  403,  403,  403,  403,  403,  403),
]
# fmt: on

CELLS = [
    pytest.param(page, persona, expected, id=f"{page} | {persona}")
    for page, *statuses in MATRIX
    for persona, expected in zip(PERSONAS, statuses, strict=True)
]


def url_names(patterns=None, prefix: str = "", namespace: str = "") -> set[str]:
    """Every named page of the site, as the URL resolver holds them (admin, API and static files aside)."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"the page {route!r} has no name: name it, then give it a row"
            names.add(namespace + pattern.name)
    return names


def test_the_matrix_covers_every_page_once():
    assert [row[0] for row in MATRIX] == list(PAGES)


def test_every_page_has_a_row():
    """A new page without a row in MATRIX fails here."""
    assert url_names() == set(PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "persona", "expected"), CELLS)
def test_page_matrix(client, pages, page, persona, expected, settings):
    user = pages.users[persona]
    if user is not None:
        client.force_login(user)
    response = PAGES[page](pages, client)
    assert response.status_code == expected, (page, persona, response.content[:300])
