"""Messages that carry a personal secret link: declared once (their Notice says `secret = True`), erased once sent."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from notifications import relay
from notifications.kinds import secret_kinds
from notifications.models import Message

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications"
# Template variables that make a link personal: a token, a uid, a signed « accept » link.
SECRET_VARIABLES = re.compile(r"\{[{%][^}]*\b(token|uid|uidb64|accept_url|signed\w*|setup_url)\b")


def test_every_template_with_a_personal_link_is_a_secret_kind():
    carrying = {body.parent.name for body in TEMPLATES.glob("*/body.*") if SECRET_VARIABLES.search(body.read_text())}
    assert carrying == secret_kinds()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(secret_kinds()))
def test_a_secret_body_is_erased_once_sent_and_the_trail_kept(kind, mailoutbox):
    message = Message.objects.create(
        kind=kind,
        recipient="dr@exemple.fr",
        subject="Votre lien",
        body_text="https://x/jeton",
        body_html="<a>x</a>",
        dedup_key=f"{kind}:1",
    )
    ordinary = Message.objects.create(
        kind="booking_confirmed", recipient="dr@exemple.fr", subject="Confirmé", body_text="Bonjour", dedup_key="b:1"
    )
    assert relay.relay() == 2
    assert "https://x/jeton" in mailoutbox[0].body or "https://x/jeton" in mailoutbox[1].body
    message.refresh_from_db()
    ordinary.refresh_from_db()
    assert (message.status, message.body_text, message.body_html, message.subject) == ("sent", "", "", "Votre lien")
    assert ordinary.body_text == "Bonjour"
