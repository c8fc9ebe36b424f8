"""The CSV of a statement as a streamed HTTP response, shared by the CPAM web space and the API (the XLSX and PDF are
prepared in the background: billing.exports.background)."""

from django.http import StreamingHttpResponse

from billing.exports.spreadsheet import csv_rows
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
