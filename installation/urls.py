from django.urls import path

from installation import views

app_name = "installation"

urlpatterns = [
    path("s-installer/", views.index, name="index"),
    path("s-installer/zone/<int:zone_id>/", views.zone_page, name="zone"),
    path("s-installer/commune/<str:insee_code>/", views.commune_page, name="commune"),
    path("s-installer/en-savoir-plus/", views.ask, name="ask"),
    path("medecin/mon-annee/", views.my_year, name="my_year"),
    path("medecin/mon-annee/pdf/", views.my_year_pdf, name="my_year_pdf"),
]
