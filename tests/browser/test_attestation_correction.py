"""The host site corrects an attestation in a real browser, on a laptop and on a phone: « Corriger » on screen
without sideways scrolling, the page passes axe-core and the CSP, a missing reason puts the focus on the error
summary, and the correction is saved."""

import re

import pytest
from playwright.sync_api import Page, expect

from missions.models import Booking
from tests import factories as f
from tests.api.conftest import in_days

from .conftest import SCREENSHOTS
from .test_personas import axe_violations, check_action_visible, horizontal_overflow, log_in, watch_console

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_site_corrects_its_attestation(browser, page: Page, live_server, world, width: int):
    doctor = f.DoctorFactory(zones=[world["zone"]], last_name="Guérin", first_name="Anne")
    slot = f.SlotFactory(site=world["site"], date=in_days(-2))
    booking = f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.COMPLETED, consultations=12)
    page.set_viewport_size({"width": width, "height": 900})
    problems = watch_console(page)
    log_in(page, live_server.url, world["secretary"].email)
    axe_context = browser.new_context(
        bypass_csp=True, storage_state=page.context.storage_state(), viewport={"width": width, "height": 900}
    )
    axe_page = axe_context.new_page()
    failures: list[str] = []
    correction = f"/lieu/attestations/{booking.pk}/corriger/"
    for path, action in (("/lieu/attestations/", r"^Corriger"), (correction, r"^Enregistrer la correction$")):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        if overflow := horizontal_overflow(page):
            failures.append(f"{path}: scrolls sideways by {overflow}")
        check_action_visible(page, action)
        axe_page.goto(live_server.url + path)
        failures += [f"{path}: axe {v}" for v in axe_violations(axe_page)]
        failures += [f"{path}: console {p}" for p in problems]
        problems.clear()
    axe_context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lieu-correction-{width}.png"), full_page=True)

    page.get_by_label(re.compile(r"^\s*Nombre de consultations")).fill("9")
    page.get_by_role("button", name="Enregistrer la correction").click()  # no reason given
    page.wait_for_load_state("load")
    expect(page.locator(".error-summary")).to_be_focused()

    page.get_by_label(re.compile(r"^\s*Motif de la correction")).fill("Erreur de saisie : 9, pas 12.")
    page.get_by_role("button", name="Enregistrer la correction").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text(re.compile(r"Attestation corrigée — Dr Anne Guérin, .* : venue attestée"))).to_be_visible()
    booking.refresh_from_db()
    assert (booking.consultations, booking.corrected_by) == (9, world["secretary"])
    assert failures == [], "\n".join(failures)
