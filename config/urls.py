from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("compte/", include("accounts.urls")),
    path("compte/", include("accounts.security_urls")),
    path("cpam/", include("billing.urls")),
    path("", include("prosante.urls")),
    path("webhooks/demarches-simplifiees/", include("demarches.urls")),
    path("", include("installation.urls")),
    path("", include("missions.urls")),
    path("", include("sites.urls")),
    path("", include("planning.urls")),
]
