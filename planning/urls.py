from django.urls import path

from planning import views

app_name = "planning"

urlpatterns = [
    path("ars/planning/", views.index, name="index"),
    path("ars/planning/<int:pk>/", views.plan_detail, name="plan"),
    path("ars/planning/<int:pk>/envoyer/", views.send, name="send"),
    path("ars/planning/<int:pk>/lignes/<int:line_id>/retirer/", views.remove_line, name="remove_line"),
    path("ars/planning/<int:pk>/lignes/<int:line_id>/remplacer/", views.swap_line, name="swap_line"),
    path("medecin/propositions/<str:token>/decliner/", views.decline, name="decline"),
]
