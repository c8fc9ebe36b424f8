"""ARS staff and superusers pass a TOTP second factor before any page; other people are not asked for one."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories as f
from tests.security.otp import verify_otp_session

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def password_login(client, user) -> None:
    response = client.post(LOGIN, {"username": user.email, "password": f.PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


def test_staff_without_a_device_is_sent_to_enrol_one_then_gets_in(client, ars_staff):
    password_login(client, ars_staff)
    dashboard = reverse("missions:ars_dashboard")

    response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:otp_setup"))

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html  # the QR code, inline
    device = TOTPDevice.objects.get(user=ars_staff, confirmed=False)
    secret = re.search(r'<code class="otp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    assert len(secret.replace(" ", "")) == 32

    wrong = client.post(reverse("security:otp_setup"), {"otp_token": "000000", "next": dashboard})
    assert wrong.status_code == 200
    assert "Code incorrect ou expiré" in wrong.content.decode()

    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows down whoever guesses
    device.throttle_reset()
    done = client.post(reverse("security:otp_setup"), {"otp_token": current_code(device), "next": dashboard})
    assert done.status_code == 302
    assert done["Location"] == dashboard
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(dashboard).status_code == 200


def test_staff_with_a_device_must_type_a_valid_code(client, ars_staff):
    device = confirmed_device(ars_staff)
    password_login(client, ars_staff)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('security:otp_verify')}?next=%2Fadmin%2F"

    for bad in ["000000", "abcdef", "12345", "１２３４５６", ""]:
        refused = client.post(reverse("security:otp_verify"), {"otp_token": bad, "next": "/admin/"})
        assert refused.status_code == 200
        assert "fr-error-text" in refused.content.decode()
        assert client.get("/admin/").status_code == 302

    device.throttle_reset()
    accepted = client.post(reverse("security:otp_verify"), {"otp_token": current_code(device), "next": "/admin/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_with_spaces_as_people_type_it(client, ars_staff):
    device = confirmed_device(ars_staff)
    password_login(client, ars_staff)
    code = current_code(device)
    response = client.post(reverse("security:otp_verify"), {"otp_token": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302
    assert client.get(reverse("missions:ars_dashboard")).status_code == 200


def test_the_next_parameter_never_leaves_the_site(client, ars_staff):
    device = confirmed_device(ars_staff)
    password_login(client, ars_staff)
    response = client.post(
        reverse("security:otp_verify"), {"otp_token": current_code(device), "next": "https://pirate.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_an_unverified_staff_session_gets_a_json_refusal_from_the_api(client, ars_staff):
    password_login(client, ars_staff)
    response = client.get("/api/v1/zones/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert "double authentification" in response.json()["detail"]


def test_superusers_are_held_too(client):
    admin = f.UserFactory(is_superuser=True, is_staff=True)
    password_login(client, admin)
    assert client.get("/admin/")["Location"].startswith(reverse("security:otp_setup"))


def test_the_exits_stay_open_without_the_second_factor(client, ars_staff):
    password_login(client, ars_staff)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("persona", ["doctor", "site_member", "cpam_agent"])
def test_other_people_are_not_asked_for_a_second_factor(client, request, persona):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    password_login(client, user)
    response = client.get(reverse("accounts:home"))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "double-authentification" not in response["Location"]
        assert client.get(response["Location"]).status_code == 200


@override_settings(OTP_REQUIRED=False)
def test_it_can_be_switched_off_outside_production(client, ars_staff):
    password_login(client, ars_staff)
    assert client.get(reverse("missions:ars_dashboard")).status_code == 200


def test_force_login_in_other_tests_opens_a_verified_session(client, ars_staff):
    client.force_login(ars_staff)
    assert client.get(reverse("missions:ars_dashboard")).status_code == 200


def test_a_session_whose_device_was_removed_is_held_again(client, ars_staff):
    client.force_login(ars_staff)
    device = verify_otp_session(client, ars_staff)
    assert client.get("/admin/").status_code == 200
    device.delete()
    assert client.get("/admin/").status_code == 302


class TestTokenEndpoint:
    url = "/api/v1/auth/token/"

    @pytest.fixture(autouse=True)
    def _fresh_throttles(self):
        from django.core.cache import cache

        cache.clear()

    def test_staff_need_the_code_to_get_a_token(self, client, ars_staff):
        device = confirmed_device(ars_staff)
        without = client.post(
            self.url, {"email": ars_staff.email, "password": f.PASSWORD}, content_type="application/json"
        )
        assert without.status_code == 400
        assert "double authentification" in str(without.json())
        with_code = client.post(
            self.url,
            {"email": ars_staff.email, "password": f.PASSWORD, "otp_token": current_code(device)},
            content_type="application/json",
        )
        assert with_code.status_code == 200
        assert with_code.json()["token"]

    def test_doctors_get_a_token_with_their_password_alone(self, client, doctor):
        response = client.post(
            self.url, {"email": doctor.user.email, "password": f.PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200
