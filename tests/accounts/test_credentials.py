"""A changed password, a suspension or a closed account ends every session and deletes every API token.

Before: API tokens survived a password change or reset, and a suspended doctor's open sessions went on.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from accounts.privacy import close_account
from missions import services
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Un-tout-nouveau-mot-de-passe-2026"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/").wsgi_request.user.is_authenticated
    return client


def still_logged_in(client: Client) -> bool:
    return client.get("/").wsgi_request.user.is_authenticated


def token_works(user) -> bool:
    """The token the person held before, used as a client would."""
    return client_for(user).get("/api/v1/zones/").status_code == 200


def test_a_password_reset_ends_every_session_and_token(doctor):
    user = doctor.user
    session = logged_in(user)
    api = client_for(user)
    assert api.get("/api/v1/zones/").status_code == 200

    anonymous = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    form_url = anonymous.get(url).url  # Django swaps the token for a session-held one
    response = anonymous.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content[:400]

    assert not Token.objects.filter(user=user).exists()
    assert api.get("/api/v1/zones/").status_code == 401
    assert not still_logged_in(session)


def test_a_password_set_by_hand_ends_sessions_and_tokens(doctor):
    user = doctor.user
    session = logged_in(user)
    Token.objects.create(user=user)
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])
    assert not Token.objects.filter(user=user).exists()
    assert not still_logged_in(session)


def test_saving_without_a_new_password_keeps_sessions_and_tokens(doctor):
    user = doctor.user
    session = logged_in(user)
    Token.objects.create(user=user)
    user.first_name = "Camille"
    user.save()
    assert Token.objects.filter(user=user).exists()
    assert still_logged_in(session)


def test_suspension_ends_the_doctors_sessions_and_tokens(doctor, ars_staff):
    session = logged_in(doctor.user)
    Token.objects.create(user=doctor.user)
    services.suspend_doctor(doctor, by=ars_staff, reason="Contrôle en cours")
    assert not Token.objects.filter(user=doctor.user).exists()
    assert not still_logged_in(session)


def test_closing_an_account_ends_its_sessions_and_tokens(doctor):
    session = logged_in(doctor.user)
    Token.objects.create(user=doctor.user)
    close_account(doctor.user, by=doctor.user)
    assert not Token.objects.filter(user=doctor.user).exists()
    assert not still_logged_in(session)


def test_another_persons_sessions_are_untouched(doctor, other_doctor, ars_staff):
    session = logged_in(other_doctor.user)
    Token.objects.create(user=other_doctor.user)
    services.suspend_doctor(doctor, by=ars_staff, reason="Contrôle en cours")
    assert Token.objects.filter(user=other_doctor.user).exists()
    assert still_logged_in(session)
