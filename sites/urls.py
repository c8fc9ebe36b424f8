from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from sites import views

site_patterns = [
    path("lieu/creneaux/publier/", views.publish, name="publish"),
    path("communes/recherche/", views.commune_search, name="commune_search"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.legal_page, {"page": "accessibility"}, name="accessibility"),
    path("mentions-legales/", views.legal_page, {"page": "legal_notice"}, name="legal_notice"),
    path("donnees-personnelles/", views.legal_page, {"page": "privacy"}, name="privacy"),
    path(
        "favicon.ico", RedirectView.as_view(url=static("dsfr/dist/favicon/favicon.ico"), permanent=True), name="favicon"
    ),
    path("", include((site_patterns, "sites"))),
]
