"""URLs of the security pages, under /compte/ beside the account pages (namespace `security`)."""

from django.urls import path

from accounts import security_views

app_name = "security"

urlpatterns = [
    path("double-authentification/", security_views.otp_verify, name="otp_verify"),
    path("double-authentification/activer/", security_views.otp_setup, name="otp_setup"),
    path("mes-donnees.json", security_views.my_data, name="my_data"),
    path("fermer/", security_views.close_my_account, name="close_account"),
]
