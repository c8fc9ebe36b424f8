"""Login by e-mail, each person sent to their space, logout, password reset by e-mail (through the outbox)."""

import re

import pytest

from notifications.models import Message
from tests import factories as f
from tests.factories import PASSWORD
from tests.web.conftest import text_of

pytestmark = pytest.mark.django_db


def log_in(client, email, password=PASSWORD, follow=False):
    return client.post("/compte/connexion/", {"username": email, "password": password}, follow=follow)


@pytest.mark.parametrize(
    "persona, space",
    [("doctor", "/medecin/"), ("site_member", "/lieu/"), ("ars_staff", "/ars/"), ("cpam_agent", "/cpam/")],
)
def test_login_by_email_leads_each_person_to_their_space(client, request, persona, space):
    person = request.getfixturevalue(persona)
    user = getattr(person, "user", person)
    response = log_in(client, user.email.upper())  # e-mail addresses are case-insensitive
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    assert client.get("/compte/")["Location"].startswith(space)


def test_a_person_with_several_roles_chooses_a_space(client, doctor, site):
    f.SiteMembershipFactory(user=doctor.user, site=site)
    client.force_login(doctor.user)
    text = text_of(client.get("/compte/"))
    assert "Espace médecin" in text and "Espace lieu d'accueil" in text


def test_wrong_password_is_refused_in_french_and_keeps_the_email(client, doctor):
    response = log_in(client, doctor.user.email, "pas-le-bon")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Adresse e-mail ou mot de passe incorrect." in html
    assert 'role="alert"' in html
    assert f'value="{doctor.user.email}"' in html


def test_next_is_honoured_after_login(client, doctor):
    response = client.get("/medecin/missions/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/?next=")
    response = client.post(
        "/compte/connexion/?next=/medecin/missions/",
        {"username": doctor.user.email, "password": PASSWORD, "next": "/medecin/missions/"},
    )
    assert response["Location"] == "/medecin/missions/"


def test_logout_is_a_post_and_returns_home(doctor_client):
    response = doctor_client.post("/compte/deconnexion/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert doctor_client.get("/medecin/").status_code == 302


def test_password_reset_by_email_through_the_outbox(client, doctor):
    response = client.post("/compte/mot-de-passe/oublie/", {"email": doctor.user.email})
    assert response["Location"] == "/compte/mot-de-passe/oublie/envoye/"
    message = Message.objects.get(kind="password_reset", recipient=doctor.user.email)
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/)", message.body_text).group(1)
    assert link in message.body_html

    form_page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in text_of(form_page)
    new = "un-tout-nouveau-secret-2026"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/compte/mot-de-passe/nouveau/termine/"
    assert log_in(client, doctor.user.email, new)["Location"] == "/compte/"


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post("/compte/mot-de-passe/oublie/", {"email": "personne@nulle-part.fr"}, follow=True)
    assert "Vérifiez votre messagerie" in text_of(response)
    assert not Message.objects.filter(kind="password_reset").exists()


def test_a_person_without_a_space_is_told_so(client, db):
    client.force_login(f.UserFactory())
    assert "Aucun espace n'est encore ouvert" in text_of(client.get("/compte/"))


@pytest.mark.parametrize("url", ["/medecin/", "/lieu/", "/ars/", "/lieu/creneaux/publier/"])
def test_spaces_are_closed_to_other_roles(client, cpam_agent, url):
    client.force_login(cpam_agent)
    response = client.get(url)
    assert response.status_code == 403
    assert "Accès refusé" in text_of(response)
