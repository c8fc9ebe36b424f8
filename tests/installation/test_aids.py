"""The aids catalogue: a versioned, sourced file; an aid whose period ends is shown as expired the day after."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from installation.models import Aid, Confidence
from installation.queries import aids_at, catalogue_file
from installation.services import load_catalogue
from tests import factories as f

pytestmark = pytest.mark.django_db


def _at(day: datetime.date):
    return time_machine.travel(timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))), tick=False)


def test_every_aid_of_the_file_has_its_source_date_and_confidence():
    data = catalogue_file()
    keys = [aid["key"] for aid in data["aids"]]
    assert len(keys) == len(set(keys))
    for aid in data["aids"]:
        assert aid["source_url"].startswith("https://"), aid["key"]
        assert isinstance(aid["source_consulted_on"], datetime.date), aid["key"]
        assert aid["confidence"] in Confidence.values, aid["key"]
        assert aid["zone_kinds"], aid["key"]
        if aid["confidence"] != "confirme":
            assert aid["confidence_note"].strip(), f"{aid['key']}: say why it is not confirmed"


def test_loading_twice_creates_nothing_twice_and_an_admin_edit_survives_the_same_version():
    created, updated = load_catalogue()
    assert (created, updated) == (len(catalogue_file()["aids"]), 0)
    Aid.objects.filter(key="caim").update(amount="Jusqu'à 50 000 € (modifié)")
    assert load_catalogue() == (0, 0)
    assert Aid.objects.get(key="caim").amount == "Jusqu'à 50 000 € (modifié)"
    newer = {**catalogue_file(), "version": "2099-01-01"}
    assert load_catalogue(newer) == (0, len(newer["aids"]))
    caim = Aid.objects.get(key="caim")
    assert caim.amount == "Jusqu'à 50 000 €" and caim.catalogue_version == "2099-01-01"
    assert caim.history.count() == 2  # created, then updated by the newer catalogue: both versions kept


def test_both_cstm_figures_are_kept_each_with_its_period():
    load_catalogue()
    old, new = Aid.objects.get(key="cstm-2017"), Aid.objects.get(key="cstm-2019")
    assert "20 000 €" in old.amount and old.valid_until == datetime.date(2019, 2, 9)
    assert "50 000 €" in new.amount and new.valid_from == datetime.date(2019, 2, 10)
    assert old.confidence == new.confidence == Confidence.DISAGREE


def test_an_aid_is_current_on_its_last_day_and_expired_the_day_after():
    aid = f.AidFactory(valid_from=None, valid_until=datetime.date(2025, 12, 31))
    on_last_day = aids_at(datetime.date(2025, 12, 31), {"zip"})
    day_after = aids_at(datetime.date(2026, 1, 1), {"zip"})
    assert on_last_day.current == [aid] and on_last_day.expired == []
    assert day_after.current == [] and day_after.expired == [aid]


def test_aids_follow_the_zonage_classes():
    zip_only, zac_only = f.AidFactory(zone_kinds=["zip"]), f.AidFactory(zone_kinds=["zac"])
    anywhere = f.AidFactory(zone_kinds=["any"])
    assert set(aids_at(datetime.date(2026, 6, 1), {"zac"}).current) == {zac_only, anywhere}
    assert set(aids_at(datetime.date(2026, 6, 1), set()).current) == {anywhere}
    assert zip_only in aids_at(datetime.date(2026, 6, 1), {"zip", "zac"}).current


def test_the_page_never_shows_an_expired_aid_as_current(client, zone, territory):
    decree = f.ZonageDecreeFactory(region=territory["region"], valid_from=datetime.date(2020, 1, 1))
    f.CommuneZonageFactory(decree=decree, commune=territory["upper"], kind="zip")
    f.AidFactory(name="Contrat qui se termine", valid_from=None, valid_until=datetime.date(2025, 12, 31))
    url = f"/s-installer/commune/{territory['upper'].insee_code}/"

    with _at(datetime.date(2025, 12, 31)):
        page = client.get(url).content.decode()
    current, _, expired = page.partition("Aides qui ne peuvent plus être obtenues")
    assert "en vigueur au 31 décembre 2025" in page
    assert "Contrat qui se termine" in current and "Contrat qui se termine" not in expired

    with _at(datetime.date(2026, 1, 1)):
        page = client.get(url).content.decode()
    current, _, expired = page.partition("Aides qui ne peuvent plus être obtenues")
    assert "en vigueur au 1 janvier 2026" in page or "en vigueur au 1er janvier 2026" in page
    assert "Contrat qui se termine" not in current
    assert "Contrat qui se termine" in expired and "Expirée" in expired
