"""E-mail backends that really fail, for the relay's retry tests (real classes, loaded by EMAIL_BACKEND)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

BROKEN_DOMAIN = "@panne.exemple.fr"


class Backend(BaseEmailBackend):
    """The SMTP server refuses every connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("serveur SMTP injoignable")


class SelectiveBackend(LocmemBackend):
    """Delivers to the locmem outbox, except to addresses of BROKEN_DOMAIN, which the server refuses (as smtplib
    reports a refused recipient)."""

    def send_messages(self, messages):
        for message in messages:
            if any(address.endswith(BROKEN_DOMAIN) for address in message.to):
                raise smtplib.SMTPRecipientsRefused({address: (550, b"boite injoignable") for address in message.to})
        return super().send_messages(messages)
