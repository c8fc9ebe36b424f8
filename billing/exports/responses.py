"""HTTP responses carrying a statement's exports, shared by the CPAM web space and the API."""

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from billing.exports.document import statement_pdf
from billing.exports.spreadsheet import csv_rows, statement_xlsx
from billing.models import Statement

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(statement: Statement, extension: str) -> str:
    return f"releve-cpam-{statement.reference}.{extension}"


def csv_response(statement: Statement) -> StreamingHttpResponse:
    """Streamed: the lines are read and written 2,000 at a time, whatever the statement's size."""
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_rows(statement)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(statement, "csv")}"'
    return response


def xlsx_response(statement: Statement) -> FileResponse:
    return FileResponse(
        statement_xlsx(statement), as_attachment=True, filename=filename(statement, "xlsx"), content_type=XLSX_TYPE
    )


def pdf_response(statement: Statement) -> HttpResponse:
    response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(statement, "pdf")}"'
    return response
