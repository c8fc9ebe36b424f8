"""Second factor in tests: sessions opened with `client.force_login` for ARS staff count as verified.

Other tests open ARS sessions with `client.force_login(ars_staff)` to test what ARS staff can do; the second
factor is not their subject. The autouse fixture below (imported by tests/conftest.py) makes such sessions
verified, the way `django_otp.login` does after a valid code. The tests of the second factor itself log in
through the real login form, which this does not touch.
"""

import pytest
from django.test.client import ClientMixin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def verify_otp_session(client, user) -> TOTPDevice:
    """Marks the session of `client` as having passed the second factor of `user`."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="tests", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture(autouse=True)
def staff_force_login_passes_second_factor(monkeypatch):
    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff or user.is_superuser:
            verify_otp_session(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)
