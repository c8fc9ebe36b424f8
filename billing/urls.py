from django.urls import path, register_converter

from billing import views

app_name = "billing"


class ExportFormat:
    """The formats prepared in the background (billing.exports.background)."""

    regex = "xlsx|pdf"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(ExportFormat, "export_format")

urlpatterns = [
    path("", views.home, name="home"),
    path("releves/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("releves/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    # The XLSX and PDF are prepared in the background: each format's page, its « Préparer » button, the progress
    # its bar polls, and the file. The first two names are the addresses the admin and older links know.
    path("releves/<int:pk>/xlsx/", views.statement_export, {"fmt": "xlsx"}, name="statement_xlsx"),
    path("releves/<int:pk>/pdf/", views.statement_export, {"fmt": "pdf"}, name="statement_pdf"),
    path("releves/<int:pk>/<export_format:fmt>/", views.statement_export, name="statement_export"),
    path(
        "releves/<int:pk>/<export_format:fmt>/preparer/",
        views.statement_export_prepare,
        name="statement_export_prepare",
    ),
    path("releves/<int:pk>/<export_format:fmt>/etat/", views.statement_export_state, name="statement_export_state"),
    path("releves/<int:pk>/<export_format:fmt>/fichier/", views.statement_export_file, name="statement_export_file"),
    path("releves/<int:pk>/payer/", views.mark_paid, name="mark_paid"),
    path("numeros/", views.billing_numbers, name="billing_numbers"),
    path("numeros/<int:doctor_id>/", views.record_billing_number, name="record_billing_number"),
]
