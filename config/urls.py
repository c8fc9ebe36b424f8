from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Un médecin près de chez vous — console ARS"
admin.site.site_title = "Console ARS"
admin.site.index_title = "Administration de la mission"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("compte/", include("accounts.urls")),
    path("compte/", include("accounts.security_urls")),
    path("cpam/", include("billing.urls")),
    path("", include("missions.urls")),
    path("", include("sites.urls")),
]
