"""Search ignores accents, case, hyphens and apostrophes, on SQLite and PostgreSQL alike (the suite runs on
either): one folding (core/search.py) behind the admin's search, the commune suggestions and the registration
form's commune name."""

import pytest
from django.urls import reverse

from core.search import fold, fold_term
from missions.models import Doctor
from sites.models import Commune
from tests import factories as f


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Guerin", "Guérin"),
        ("Montlucon", "Montluçon"),
        ("Saint-Etienne", "Saint-Étienne"),
        ("saint etienne", "Saint-Étienne"),
        ("clermont ferrand", "Clermont-Ferrand"),
        ("CLERMONT-FERRAND", "Clermont-Ferrand"),
        ("Saint Jean d Angely", "Saint-Jean-d’Angély"),
        ("Loeuilly", "Lœuilly"),
    ],
)
def test_fold_makes_both_sides_meet(typed, stored):
    assert fold_term(typed) in fold(stored)


def test_fold_keeps_what_is_not_a_separator():
    assert fold("10003456789") == "10003456789"
    assert fold(None) is None
    assert fold_term("  Le  Puy-en-Velay ") == "le puy en velay"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "found"),
    [("Montlucon", "Montluçon"), ("Saint-Etienne", "Saint-Étienne"), ("clermont ferrand", "Clermont-Ferrand")],
)
def test_the_database_folds_as_python_does(typed, found):
    for name in ("Montluçon", "Saint-Étienne", "Clermont-Ferrand", "Ambert"):
        f.CommuneFactory(name=name)
    names = Commune.objects.filter(name__fold__contains=fold_term(typed)).values_list("name", flat=True)
    assert list(names) == [found]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Montlucon", "montluçon", "MONTLUCON"])
def test_the_commune_suggestions_find_a_name_typed_without_accents_and_offer_the_name(client, typed):
    montlucon = f.CommuneFactory(name="Montluçon", postcodes="03100")
    f.CommuneFactory(name="Moulins", postcodes="03000")
    results = client.get("/communes/recherche/", {"q": typed}).json()["results"]
    assert results == [{"code": montlucon.insee_code, "value": "Montluçon (03100)", "label": "Montluçon (03100)"}]


@pytest.mark.django_db
def test_the_chosen_suggestion_is_read_back_as_its_commune(client, zone):
    from missions.forms import RegistrationForm

    twin = f.CommuneFactory(name="Saint-Étienne", postcodes="42000 42100", department=zone.department)
    f.CommuneFactory(name="Saint-Étienne", postcodes="")  # same name, elsewhere
    form = RegistrationForm(data={"practice_commune": twin.choice})
    form.is_valid()
    assert "practice_commune" not in form.errors
    assert form.cleaned_data["practice_commune"] == twin
    assert twin.choice == "Saint-Étienne (42000)"
    bare = RegistrationForm(data={"practice_commune": "saint etienne (42100)"})
    bare.is_valid()
    assert bare.cleaned_data["practice_commune"] == twin


@pytest.mark.django_db
def test_the_admin_search_ignores_accents_and_hyphens(client, ars_staff, zone):
    guerin = f.DoctorFactory(last_name="Guérin", first_name="Marie-Hélène", zones=[zone])
    f.DoctorFactory(last_name="Gueret", zones=[zone])
    client.force_login(ars_staff)
    url = reverse("admin:missions_doctor_changelist")
    for query in ["Guerin", "guérin", "GUERIN", "marie helene", "Marie-Helene Guerin"]:
        found = client.get(url, {"q": query}).context["cl"].result_list
        assert list(found) == [guerin], query
    site = f.HostSiteFactory(zone=zone, name="Maison de santé de Saint-Éloy-les-Mines")
    sites = client.get(reverse("admin:sites_hostsite_changelist"), {"q": "saint eloy les mines"})
    assert list(sites.context["cl"].result_list) == [site]
    assert Doctor.objects.count() == 2
