from django.urls import path

from demarches import views

app_name = "demarches"

urlpatterns = [path("<str:secret>/", views.webhook, name="webhook")]
