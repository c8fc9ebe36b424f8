"""The bad-input catalogue, e-mail surface: what people typed reaches e-mails escaped in HTML, verbatim in text,
and never as an extra header."""

import pytest
from django.core import mail

from missions.models import Booking
from missions.services import cancel_booking
from notifications.models import Message
from notifications.relay import relay
from tests import factories as f

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("reason", "escaped"),
    [
        (SCRIPT, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
        (IMG, "&lt;img src=x onerror=alert(1)&gt;"),
        ('" onmouseover="alert(1)', "&quot; onmouseover=&quot;alert(1)"),
        ("<a href='javascript:alert(1)'>ici</a>", "&lt;a href=&#x27;javascript:alert(1)&#x27;&gt;ici&lt;/a&gt;"),
    ],
)
def test_free_text_is_escaped_in_html_e_mails_and_verbatim_in_text(doctor, site, site_member, reason, escaped):
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    cancel_booking(booking, by=doctor.user, reason=reason)
    message = Message.objects.get(kind="booking_cancelled", recipient=site_member.email)
    assert reason not in message.body_html
    assert escaped in message.body_html
    assert reason in message.body_text


def test_names_with_markup_are_escaped_everywhere_in_html_e_mails(site, site_member):
    doctor = f.DoctorFactory(first_name=IMG, last_name=SCRIPT, zones=[site.zone])
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    cancel_booking(booking, by=doctor.user, reason="Empêchement")
    for message in Message.objects.filter(kind="booking_cancelled"):
        assert SCRIPT not in message.body_html and IMG not in message.body_html
        assert "<script" not in message.body_html.lower()


@pytest.mark.parametrize("name", ["Maison\r\nBcc: pirate@exemple.org", "Maison\nSubject: faux", "Maison\x0bde santé"])
def test_a_line_break_in_a_name_never_becomes_a_header(doctor, site_member, name, mailoutbox):
    site = f.HostSiteFactory(name=name, zone=doctor.zones.first() or f.ZoneFactory())
    f.SiteMembershipFactory(site=site, user=site_member)
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    cancel_booking(booking, by=doctor.user, reason="Empêchement")
    for message in Message.objects.filter(kind="booking_cancelled"):
        assert "\n" not in message.subject and "\r" not in message.subject
    relay()
    assert mail.outbox, "the messages were sent"
    for sent in mail.outbox:
        assert sent.bcc == []
        assert "pirate@exemple.org" not in sent.to
        assert "\n" not in sent.subject
    assert not Message.objects.filter(status=Message.Status.FAILED).exists()


def test_every_unicode_plane_survives_an_e_mail(doctor, site, site_member, mailoutbox):
    reason = "Grève 😀 𠀋 \U000f0000 — rendez-vous reporté"
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site), status=Booking.Status.CONFIRMED)
    cancel_booking(booking, by=doctor.user, reason=reason)
    relay()
    [sent] = [m for m in mail.outbox if site_member.email in m.to]
    assert reason in sent.body
    assert sent.message().as_bytes()  # encodes without error
