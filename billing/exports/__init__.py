"""Exports of a statement: CSV (streamed), XLSX and PDF, all built from the one column list in columns.py."""

from billing.exports.columns import COLUMNS, Column, neutralise
from billing.exports.document import statement_pdf
from billing.exports.spreadsheet import csv_rows, statement_xlsx

__all__ = ["COLUMNS", "Column", "csv_rows", "neutralise", "statement_pdf", "statement_xlsx"]
