"""A host site edits an open slot to come: its note, its capacity upward only, through sites.services.edit_slot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot(site):
    return f.SlotFactory(site=site, capacity=2, date=timezone.localdate() + timedelta(days=9))


def edit(client, slot, capacity, note=""):
    return client.post(
        f"/lieu/creneaux/{slot.pk}/modifier/", {"modifier-capacity": capacity, "modifier-note": note}, follow=True
    )


def test_the_site_raises_the_capacity_and_writes_a_note(client, site_member, slot):
    client.force_login(site_member)
    page = text_of(client.get(f"/lieu/creneaux/{slot.pk}/"))
    assert "Modifier ce créneau" in page
    response = edit(client, slot, 3, "Parking derrière la mairie")
    assert "Créneau modifié" in text_of(response)
    slot.refresh_from_db()
    assert (slot.capacity, slot.note) == (3, "Parking derrière la mairie")


def test_fewer_places_are_refused_next_to_the_field(client, site_member, slot):
    client.force_login(site_member)
    response = edit(client, slot, 1)
    assert response.status_code == 400
    assert "ne peut qu'augmenter (il est de 2)" in text_of(response)
    slot.refresh_from_db()
    assert slot.capacity == 2


def test_a_past_or_closed_slot_is_not_edited(client, site_member, site):
    client.force_login(site_member)
    past = f.SlotFactory(site=site, capacity=1, date=timezone.localdate() - timedelta(days=1))
    assert "fermé ou passé" in text_of(edit(client, past, 2))
    past.refresh_from_db()
    assert past.capacity == 1


def test_another_sites_slot_is_a_404(client, other_site_member, slot):
    client.force_login(other_site_member)
    assert edit(client, slot, 5).status_code == 404
    slot.refresh_from_db()
    assert slot.capacity == 2
