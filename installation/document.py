"""The doctor's year in figures, as a PDF (reportlab's platypus, standard fonts: as the CPAM statements)."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.exports.document import BLUE, days, euros
from installation.queries import DoctorYear, YearRow
from missions.models import Doctor

NOT_A_JUDGEMENT = (
    "Ce document récapitule des faits enregistrés par la mission de solidarité territoriale (journées attestées "
    "par les lieux d'accueil, forfaits déclarés et payés par les CPAM). Il ne dit pas si vous remplissez les "
    "conditions d'un contrat ou d'une aide : seule la CPAM ou l'ARS en juge."
)


def _table(title: str, rows: list[YearRow], styles) -> list:
    data = [[title, "Journées"]] + [[escape(r.label), days(r.days)] for r in rows]
    table = Table(data, colWidths=[110 * mm, 40 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), BLUE),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    return [table, Spacer(1, 5 * mm)]


def year_pdf(doctor: Doctor, figures: DoctorYear) -> bytes:
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"Mon année {figures.year}", leftMargin=18 * mm, rightMargin=18 * mm
    )
    story = [
        Paragraph(f"Mission de solidarité territoriale — mon année {figures.year} en chiffres", styles["Title"]),
        Paragraph(escape(f"Dr {doctor.full_name} — RPPS {doctor.rpps}"), styles["Normal"]),
        Paragraph(f"Édité le {timezone.localdate():%d/%m/%Y}", styles["Normal"]),
        Spacer(1, 5 * mm),
        Paragraph(f"Journées effectuées (attestées) : {days(figures.total_days)}", styles["Heading3"]),
        *_table("Mois", figures.months, styles),
        *_table("Zone", figures.zones, styles),
        *_table("Zonage de la commune du lieu, à la date de la journée", figures.zonage, styles),
        Paragraph(f"Forfaits déclarés aux CPAM (relevés) : {euros(figures.stated)}", styles["Normal"]),
        Paragraph(f"Dont payés : {euros(figures.paid)}", styles["Normal"]),
        Spacer(1, 5 * mm),
        Paragraph(NOT_A_JUDGEMENT, styles["Italic"]),
    ]
    document.build(story)
    return buffer.getvalue()
