"""« Proposer un planning » in a real browser: an ARS agent proposes next month's plan, reviews it (zones × days),
sends it; the doctor opens the link of the one message they got and accepts in one click."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from missions.models import Booking
from notifications.models import Message
from planning.models import Plan, PlanLine
from tests import factories as f
from tests.browser.test_journey import log_in, log_out

pytestmark = [pytest.mark.browser]


def test_an_ars_agent_proposes_reviews_and_sends_a_plan_and_a_doctor_accepts(page: Page, live_server, world, shoot):
    base = live_server.url
    first = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)  # next month
    day = first + timedelta(days=14)
    slot = f.SlotFactory(site=world["site"], date=day)
    doctor = f.DoctorFactory(zones=[world["zone"]], last_name="Durand", user__email="paul.durand@exemple.fr")
    f.AvailabilityFactory(doctor=doctor, date=day)

    # The agent proposes next month's plan for their region.
    log_in(page, base, "agent@ars.sante.fr", f.PASSWORD)
    page.goto(f"{base}/ars/planning/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposer un planning")
    page.get_by_label("Mois").select_option(first.isoformat())
    shoot("planning-01-propose")
    page.get_by_role("button", name="Proposer un planning").click()

    # The review: zones × days, the doctor proposed for the slot.
    expect(page.get_by_role("heading", level=2, name="Zones × jours")).to_be_visible()
    table = page.locator("table", has_text="Encore manquant")
    expect(table.get_by_role("row", name=re.compile("CC du Livradois"))).to_contain_text("Dr Durand")
    expect(page.locator("table", has_text="Médecin").last).to_contain_text(f"Dr {doctor.full_name}")
    shoot("planning-02-review")
    page.get_by_role("link", name="Envoyer les propositions").click()

    # The confirmation page, then the sending.
    expect(page.get_by_text(f"Dr {doctor.full_name} : 1 proposition")).to_be_visible()
    shoot("planning-03-confirm")
    page.get_by_role("button", name="Confirmer l'envoi").click()
    expect(page.get_by_text("1 proposition envoyée à 1 médecin")).to_be_visible()
    assert Plan.objects.get().status == Plan.Status.SENT
    log_out(page)

    # The doctor got one message (its body, a secret, is erased from the outbox once sent: read the e-mail);
    # its link books the slot in one click.
    assert Message.objects.filter(kind="plan_offers", recipient=doctor.user.email).count() == 1
    (email,) = [m for m in mail.outbox if m.to == [doctor.user.email]]
    accept_url = re.search(r"(http\S+/invitation/\S+/)", email.body).group(1)
    log_in(page, base, doctor.user.email, f.PASSWORD)
    page.goto(accept_url)
    shoot("planning-04-offer")
    page.get_by_role("button", name="Réserver ce créneau").click()
    expect(page.get_by_text("est envoyée")).to_be_visible()
    booking = Booking.objects.get(slot=slot)
    assert booking.doctor == doctor and booking.status == Booking.Status.REQUESTED

    # The ARS sees the line accepted.
    log_out(page)
    log_in(page, base, "agent@ars.sante.fr", f.PASSWORD)
    page.goto(f"{base}/ars/planning/{Plan.objects.get().pk}/")
    expect(page.locator("table", has_text="Médecin").last).to_contain_text("Acceptée")
    assert PlanLine.objects.get().status == PlanLine.Status.ACCEPTED
