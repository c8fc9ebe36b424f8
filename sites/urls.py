from django.urls import include, path

from sites import views

site_patterns = [
    path("lieu/creneaux/publier/", views.publish, name="publish"),
    path("communes/recherche/", views.commune_search, name="commune_search"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include((site_patterns, "sites"))),
]
