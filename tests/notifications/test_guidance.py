"""What the messages tell a volunteer about starting (issue #15): the doctor may start before the new CPS card
arrives — with their current card and SESAM-Vitale software, or paper « feuilles de soins » — once their
professional insurance (RCP) covers the work; the host site's CPAM answers billing questions on site.

The CPS follow-up used to say the opposite (« sans cette carte, vous ne pourrez pas facturer »)."""

from pathlib import Path

import pytest
from django.conf import settings

from notifications.kinds import NOTICES

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications"
WRONG = ("ne pourrez pas facturer", "ne pourrez facturer", "impossible de facturer", "sans cette carte, vous ne")


def text_of(kind: str) -> str:
    return " ".join(" ".join(p.read_text().split()) for p in sorted((TEMPLATES / kind).glob("*"))).lower()


@pytest.mark.parametrize("kind", sorted(NOTICES))
def test_no_message_tells_a_doctor_they_cannot_bill_without_the_card(kind):
    text = text_of(kind)
    assert not [w for w in WRONG if w in text], kind


@pytest.mark.parametrize("kind", ["doctor_validated", "cps_followup", "billing_number_recorded", "cdom_decided"])
def test_the_messages_about_the_card_say_how_to_start_without_it(kind):
    text = text_of(kind)
    for fact in ("carte cps actuelle", "sesam-vitale", "feuilles de soins papier", "rcp", "cpam du lieu d'accueil"):
        assert fact in text, (kind, fact)


def test_the_follow_up_states_the_remplacants_constraint_and_tiers_payant():
    text = text_of("cps_followup")
    assert "remplaçant" in text and "ne peut pas télétransmettre" in text
    assert "tiers payant" in text
