"""Proposing, reviewing, sending and following a plan, through the services, the pages and the offer links."""

import pytest
import time_machine
from django.urls import reverse

from core.errors import NotAllowed, RuleViolation
from missions.models import Booking, SlotOffer
from missions.views.invitations import offer_token
from notifications.models import Message
from operations.jobs import JOBS
from planning import services
from planning.models import Plan, PlanLine, PlanSchedule
from tests import factories as f
from tests.planning.conftest import FEBRUARY, TODAY, feb

pytestmark = pytest.mark.django_db
L = PlanLine.Status


def lines(plan, *statuses):
    qs = plan.lines.all()
    if statuses:
        qs = qs.filter(status__in=statuses)
    return sorted((line.doctor_id, line.slot_id) for line in qs)


def test_a_plan_fills_the_zones_under_every_rule(world):
    """Zone 0 needs 2 days, zone 1 one. Dr a (zones 0 and 1) is free on the 3rd; Dr b (zone 0) on the 3rd and 4th.
    Every slot gets a doctor only if Dr a goes to zone 1 and Dr b does both days of zone 0."""
    s0_3, s0_4, s1_3 = world.slot(0, 3), world.slot(0, 4), world.slot(1, 3)
    a = world.doctor([0, 1], [3])
    b = world.doctor([0], [3, 4])
    world.doctor([0], [3], status="suspended")  # suspended: never proposed
    world.doctor([1], [5])  # free on a day without a slot
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    assert plan.status == Plan.Status.DRAFT
    assert lines(plan) == sorted([(a.pk, s1_3.pk), (b.pk, s0_3.pk), (b.pk, s0_4.pk)])
    assert plan.figures["proposed_units"] == 6 and plan.figures["zones_short_after"] == 0
    assert plan.figures["greedy"]["proposed_units"] <= 6


def test_existing_bookings_count_and_a_zone_at_target_gets_nobody(world):
    """Zone 1 (target 1 day) already has its day; Dr a already has 2 days this month elsewhere (the cap): only b."""
    world.slot(1, 3)
    other = world.slot(1, 5)
    f.BookingFactory(slot=other, doctor=f.DoctorFactory(zones=[world.zones[1]]))
    slot = world.slot(0, 6)
    a = world.doctor([0, 1], [3, 6])
    f.BookingFactory(doctor=a, slot=f.SlotFactory(date=feb(10)))  # in another zone, another region
    f.BookingFactory(doctor=a, slot=f.SlotFactory(date=feb(11)))
    b = world.doctor([0], [6])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    assert lines(plan) == [(b.pk, slot.pk)]


def test_only_the_region_s_ars_staff_propose(world, ars_other_region, doctor):
    with pytest.raises(NotAllowed):
        services.propose_plan(region=world.region, month=FEBRUARY, by=ars_other_region)
    with pytest.raises(NotAllowed):
        services.propose_plan(region=world.region, month=FEBRUARY, by=doctor.user)


def test_a_past_month_or_one_beyond_the_horizon_is_refused(world, client):
    with pytest.raises(RuleViolation) as refused:
        services.propose_plan(region=world.region, month=feb(1).replace(year=2026), by=world.ars)
    assert refused.value.code == "date_in_past"
    client.force_login(world.ars)
    for month in ("2027-08", "9999-12"):  # the horizon is 180 days; the last month there is must not overflow
        response = client.post("/api/v1/plans/", {"region": world.region.pk, "month": month}, "application/json")
        assert (response.status_code, response.json()["code"]) == (409, "beyond_horizon")


def test_sending_gives_each_doctor_one_message_with_all_their_offers(world):
    world.slot(0, 3), world.slot(0, 4), world.slot(1, 3)
    a = world.doctor([0, 1], [3])
    b = world.doctor([0], [3, 4])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    sent = services.send_plan(plan, by=world.ars)
    assert (sent.offers, sent.doctors, sent.dropped) == (3, 2, 0)
    messages = Message.objects.filter(kind="plan_offers")
    assert sorted(messages.values_list("recipient", flat=True)) == sorted([a.user.email, b.user.email])
    body = messages.get(recipient=b.user.email).body_text
    assert body.count("/invitation/") == 2 and body.count("/decliner/") == 2
    assert SlotOffer.objects.filter(doctor=b).count() == 2
    assert set(plan.lines.values_list("status", flat=True)) == {L.SENT}
    with pytest.raises(RuleViolation):
        services.send_plan(Plan.objects.get(pk=plan.pk), by=world.ars)  # sent once


def test_running_again_proposes_only_what_is_still_short_and_never_the_same_offer_twice(world, client):
    slot = world.slot(1, 3)
    a = world.doctor([1], [3])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    services.send_plan(plan, by=world.ars)
    b = world.doctor([1], [3])
    again = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    assert lines(again) == []  # a's offer holds the slot (and zone 1's only day)
    line = plan.lines.get()
    client.force_login(a.user)
    decline = services.decline_url(line).removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver")
    assert client.get(decline).status_code == 200
    assert client.post(decline).status_code == 302
    assert PlanLine.objects.get(pk=line.pk).status == L.DECLINED
    third = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    assert lines(third) == [(b.pk, slot.pk)]  # the slot is free again, and never offered to a twice


def test_a_doctor_accepts_in_one_click_and_the_line_follows(world, client):
    slot = world.slot(1, 3)
    a = world.doctor([1], [3])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    services.send_plan(plan, by=world.ars)
    client.force_login(a.user)
    response = client.post(reverse("missions:accept_offer", args=[offer_token(slot, a)]))
    assert response.status_code == 302
    assert Booking.objects.get(slot=slot).doctor == a
    assert services.reconcile(region=world.region) == {"accepted": 1, "expired": 0}
    assert plan.lines.get().status == L.ACCEPTED


def test_a_slot_taken_meanwhile_says_so_and_the_offer_expires(world, client):
    slot = world.slot(1, 3)
    a = world.doctor([1], [3])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    services.send_plan(plan, by=world.ars)
    other = f.DoctorFactory(zones=[world.zones[1]])
    services_book = __import__("missions.services", fromlist=["book_slot"]).book_slot
    services_book(doctor=other, slot=slot, by=other.user)
    client.force_login(a.user)
    response = client.post(reverse("missions:accept_offer", args=[offer_token(slot, a)]))
    assert response.status_code == 200
    assert "n'est plus disponible" in response.content.decode() or "complet" in response.content.decode()
    assert services.reconcile(region=world.region) == {"accepted": 0, "expired": 1}
    assert plan.lines.get().status == L.EXPIRED


def test_offers_expire_with_their_link(world):
    world.slot(1, 20)
    world.doctor([1], [20])
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    services.send_plan(plan, by=world.ars)
    with time_machine.travel(TODAY.replace(day=12), tick=False):
        assert services.reconcile() == {"accepted": 0, "expired": 0}
    with time_machine.travel(TODAY.replace(month=2, day=11), tick=False):  # 32 days later: the link expired
        assert services.reconcile() == {"accepted": 0, "expired": 1}
    assert "expiré" in plan.lines.get().reason


def test_review_removes_and_swaps_lines(world, client):
    slot = world.slot(1, 3)
    a = world.doctor([1], [3])
    b = world.doctor([1], [3])
    world.doctor([1], [4])  # not free that day: no alternative
    plan = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    line = plan.lines.get()
    other = b if line.doctor == a else a
    assert list(services.alternatives(line)) == [other]
    client.force_login(world.ars)
    page = client.get(reverse("planning:plan", args=[plan.pk]))
    assert page.status_code == 200 and "Encore manquant" in page.content.decode()
    response = client.post(reverse("planning:swap_line", args=[plan.pk, line.pk]), {"doctor": other.pk})
    assert response.status_code == 302
    assert lines(plan, L.PROPOSED) == [(other.pk, slot.pk)]
    new = plan.lines.get(status=L.PROPOSED)
    client.post(reverse("planning:remove_line", args=[plan.pk, new.pk]))
    assert lines(plan, L.PROPOSED) == []
    confirm = client.get(reverse("planning:send", args=[plan.pk]))
    assert "Aucune proposition à envoyer" in confirm.content.decode()


def test_the_pages_propose_and_send(world, client):
    world.slot(1, 3)
    a = world.doctor([1], [3])
    client.force_login(world.ars)
    response = client.post(reverse("planning:index"), {"region": world.region.pk, "month": "2027-02-01"})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == reverse("planning:plan", args=[plan.pk])
    confirm = client.get(reverse("planning:send", args=[plan.pk]))
    assert f"Dr {a.full_name} : 1 proposition" in confirm.content.decode()
    client.post(reverse("planning:send", args=[plan.pk]))
    assert Plan.objects.get().status == Plan.Status.SENT
    assert Message.objects.filter(kind="plan_offers", recipient=a.user.email).count() == 1


def test_the_api_proposes_and_reads_a_plan(world, client, ars_other_region):
    world.slot(1, 3)
    world.doctor([1], [3])
    client.force_login(world.ars)
    response = client.post(
        "/api/v1/plans/", {"region": world.region.pk, "month": "2027-02"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["month"] == "2027-02" and len(body["lines"]) == 1 and body["status"] == "draft"
    assert client.get(f"/api/v1/plans/{body['id']}/").status_code == 200
    client.force_login(ars_other_region)
    assert client.get(f"/api/v1/plans/{body['id']}/").status_code == 404
    refused = client.post(
        "/api/v1/plans/", {"region": world.region.pk, "month": "2027-02"}, content_type="application/json"
    )
    assert refused.status_code == 400


def test_the_job_proposes_on_the_scheduled_day_once(world):
    world.slot(1, 3)
    world.doctor([1], [3])
    PlanSchedule.objects.create(region=world.region, day_of_month=10)
    job = JOBS["planning"]
    first = job.run()
    second = job.run()
    assert (first.claimed, second.claimed, second.lost) == (1, 0, 1)
    plan = Plan.objects.get()
    assert plan.created_by is None and plan.lines.count() == 1
    assert Message.objects.filter(kind="plan_ready").count() == 1


def test_a_new_proposal_replaces_the_draft(world):
    world.slot(1, 3)
    world.doctor([1], [3])
    first = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    second = services.propose_plan(region=world.region, month=FEBRUARY, by=world.ars)
    first.refresh_from_db()
    assert (first.status, second.status) == (Plan.Status.DISCARDED, Plan.Status.DRAFT)
    assert first.discarded_by == world.ars and second.lines.count() == 1
    with pytest.raises(RuleViolation):
        services.remove_line(first.lines.get(), by=world.ars)
