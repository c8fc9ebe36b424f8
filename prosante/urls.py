from django.urls import path

from prosante import views

app_name = "prosante"

urlpatterns = [
    path("compte/pro-sante-connect/", views.start, name="start"),
    path("compte/pro-sante-connect/retour/", views.callback, name="callback"),
    path("medecin/inscription/pro-sante-connect/", views.register, name="register"),
]
