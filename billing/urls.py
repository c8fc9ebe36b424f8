from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.home, name="home"),
    path("releves/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("releves/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    path("releves/<int:pk>/xlsx/", views.statement_xlsx, name="statement_xlsx"),
    path("releves/<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("releves/<int:pk>/payer/", views.mark_paid, name="mark_paid"),
    path("numeros/", views.billing_numbers, name="billing_numbers"),
    path("numeros/<int:doctor_id>/", views.record_billing_number, name="record_billing_number"),
]
