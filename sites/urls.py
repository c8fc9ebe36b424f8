from django.urls import include, path

from sites import views

site_patterns = [
    path("lieu/creneaux/publier/", views.publish, name="publish"),
    path("lieu/accueil/<int:site_id>/", views.practical_pack, name="practical_pack"),
    path("communes/recherche/", views.commune_search, name="commune_search"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.legal_page, {"page": "accessibility"}, name="accessibility"),
    path("mentions-legales/", views.legal_page, {"page": "legal_notice"}, name="legal_notice"),
    path("donnees-personnelles/", views.legal_page, {"page": "privacy"}, name="privacy"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include((site_patterns, "sites"))),
]
