"""The PDF of a statement: ARS and CPAM headers, period, lines (header repeated on each page), per-doctor totals,
the overall total, and « page x sur y ». Built with reportlab's platypus, standard fonts (nothing to install)."""

from collections.abc import Iterator
from functools import cache, partial
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.exports.columns import (
    COLUMNS,
    DATE,
    FIELD_INDEX,
    INTEGER,
    MONEY,
    NUMBER,
    french_number,
    line_values,
    row_texts,
)
from billing.models import Statement
from billing.queries import statement_doctor_totals
from missions.rules import MONTHS_FR, plural_s

FONT, BOLD, SIZE = "Helvetica", "Helvetica-Bold", 7.5
BLUE = colors.HexColor("#000091")
STRIPE = colors.HexColor("#f6f6f6")
# The height reportlab gives a row of one-line texts (1.2 × font size, plus paddings): given to it rather than
# measured, cell by cell, for 100,000 rows (and looked for with list.index, quadratic in a table's rows).
ROW_HEIGHT = 1.2 * SIZE + 1.5 + 1.5
ROWS_PER_TABLE = 500  # long statements are laid out as a run of tables, each repeating the header row
PDF_COLUMNS = tuple(c for c in COLUMNS if c.pdf_width)
NUMERIC = (DATE, MONEY, NUMBER, INTEGER)
NBSP = "\u00a0"


def euros(value) -> str:
    return french_number(value, 2, grouping=NBSP) + NBSP + "€"


def days(value) -> str:
    return french_number(value, None, grouping=NBSP)


def _fit(text: str, width: float, font: str = FONT, size: float = SIZE) -> str:
    """Clip a text to a column's width (with an ellipsis): plain strings keep 100,000 lines fast to lay out."""
    room = width - 4
    if stringWidth(text, font, size) <= room:
        return text
    while text and stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text + "…"


class _NumberedCanvas(canvas.Canvas):
    """Writes « page x sur y » on every page as it goes: the total is a form (XObject) drawn on each page and
    defined once at the end, so no page is held in memory waiting for it (a statement may run to 2,000 pages)."""

    TOTAL_FORM = "page_total"
    TOTAL_ROOM = 9 * mm  # room kept for the total, right of « sur »

    def __init__(self, *args, footer: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer

    def showPage(self):  # noqa: N802 - reportlab's name
        width, _ = self._pagesize
        right = width - 12 * mm - self.TOTAL_ROOM
        self.saveState()
        self.setFont(FONT, 7)
        self.setFillColor(colors.grey)
        self.drawString(12 * mm, 7 * mm, self._footer)
        self.drawRightString(right, 7 * mm, f"Page {self._pageNumber} sur ")
        self.translate(right, 7 * mm)
        self.doForm(self.TOTAL_FORM)
        self.restoreState()
        super().showPage()

    def save(self):
        self.beginForm(self.TOTAL_FORM)
        self.setFont(FONT, 7)
        self.setFillColor(colors.grey)
        self.drawString(0, 0, str(self._pageNumber - 1))
        self.endForm()
        super().save()


def _header(statement: Statement, styles) -> list:
    cpam = statement.cpam
    department = cpam.department
    region = department.region
    first, last = statement.month, statement.month_end
    left = [
        Paragraph(f"<b>Agence régionale de santé {escape(region.name)}</b>", styles["Normal"]),
        Paragraph("Mission de solidarité territoriale des médecins", styles["Normal"]),
        Paragraph("« Un médecin près de chez vous »", styles["Normal"]),
    ]
    right = [Paragraph(f"<b>{escape(cpam.name)}</b>", styles["Normal"])]
    if cpam.address:
        right.append(Paragraph(escape(cpam.address), styles["Normal"]))
    right.append(Paragraph(f"Département {department.code} – {escape(department.name)}", styles["Normal"]))
    if cpam.email:
        right.append(Paragraph(escape(cpam.email), styles["Normal"]))
    heading = Table([[left, right]], colWidths=[136 * mm, 137 * mm])
    heading.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    status = statement.get_status_display().lower()
    if statement.status == Statement.Status.DRAFT:
        status = "brouillon, non émis : ne pas payer sur ce document"
    elif statement.issued_at:
        status += f" le {timezone.localtime(statement.issued_at):%d/%m/%Y}"
        if statement.paid_at:
            status += f", payé le {timezone.localtime(statement.paid_at):%d/%m/%Y}"
    month = f"{MONTHS_FR[first.month - 1]} {first.year}"
    return [
        heading,
        Spacer(1, 6 * mm),
        Paragraph(f"Relevé des forfaits des médecins volontaires — {month}", styles["Title"]),
        Paragraph(
            f"Référence <b>{statement.reference}</b> — période du {first:%d/%m/%Y} au {last:%d/%m/%Y} — "
            f"statut : {status}",
            styles["Normal"],
        ),
        Paragraph(
            "Forfait de la mission : montant en vigueur à la date de chaque journée × fraction de journée "
            "(1 pour une journée, 0,5 pour une demi-journée). Une annulation (montant négatif) corrige une ligne "
            "d'un relevé déjà émis.",
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]


def _table_style(rows: int, numeric_columns: list[int], total_row: bool = False) -> TableStyle:
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, SIZE),
        ("FONT", (0, 0), (-1, 0), BOLD, SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    commands += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric_columns]
    # Every other row shaded (rows 2, 4, 6…): one command, not one per row, which a split table copies page
    # after page.
    commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, STRIPE]))
    if total_row:
        commands.append(("FONT", (0, -1), (-1, -1), BOLD, SIZE))
    return TableStyle(commands)


def _lines(statement: Statement, notes: list[tuple[int, str]]) -> Iterator[Table]:
    """The lines as a run of tables of ROWS_PER_TABLE rows, made as the layout asks for them; the notes of
    annotated lines are gathered into `notes` on the way (they are printed after the lines)."""
    widths = [c.pdf_width * mm for c in PDF_COLUMNS]
    header = [Paragraph(f"<font color='white'><b>{c.header}</b></font>", _small()) for c in PDF_COLUMNS]
    numeric = [i for i, c in enumerate(PDF_COLUMNS) if c.kind in NUMERIC]
    texts = row_texts(statement, PDF_COLUMNS, spreadsheet=False)
    # Clipped once per distinct text: names, sites and zones repeat across lines.
    fits = [
        None if c.kind in NUMERIC else cache(partial(_fit, width=w)) for c, w in zip(PDF_COLUMNS, widths, strict=True)
    ]
    note, last_name, first_name, day = (
        FIELD_INDEX[name] for name in ("note", "doctor_last_name", "doctor_first_name", "date")
    )
    rows, made = [], False
    for number, row in enumerate(line_values(statement), start=1):
        rows.append([text if fit is None else fit(text) for text, fit in zip(texts(row), fits, strict=True)])
        if row[note]:
            who = f"{row[last_name].upper()} {row[first_name]}, {row[day]:%d/%m/%Y}"
            notes.append((number, f"{who}) : {row[note]}"))
        if len(rows) == ROWS_PER_TABLE:
            yield _table([header, *rows], widths, numeric)
            rows, made = [], True
    if rows or not made:
        yield _table([header, *rows], widths, numeric)


class _LazyStory(list):
    """A story whose flowables are made as platypus consumes them (it asks `len()` before each one), so that a
    100,000-line statement never sits in memory as 200 laid-out tables at once."""

    def __init__(self, parts: Iterator):
        super().__init__()
        self._parts = parts

    def __len__(self) -> int:
        while list.__len__(self) < 2:
            part = next(self._parts, None)
            if part is None:
                break
            self.append(part)
        return list.__len__(self)


def _table(data: list, widths: list[float], numeric: list[int], total_row: bool = False) -> Table:
    heights = [None] + [_height(row) for row in data[1:]]  # the header row (paragraphs) is measured
    table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=1)
    table.setStyle(_table_style(len(data), numeric, total_row))
    return table


def _height(row: list) -> float | None:
    """ROW_HEIGHT for a row of one-line texts; None (measured by reportlab) for anything else."""
    if all(isinstance(cell, str) and "\n" not in cell for cell in row):
        return ROW_HEIGHT
    return None


def _small() -> ParagraphStyle:
    return ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE + 1.5)


def _doctor_totals(statement: Statement) -> Table:
    header = ["Médecin", "RPPS", "N° Assurance Maladie dédié", "Lignes", "Jours", "Montant"]
    widths = [80 * mm, 30 * mm, 42 * mm, 20 * mm, 20 * mm, 30 * mm]
    data = [header]
    for total in statement_doctor_totals(statement):
        data.append(
            [
                _fit(total.name, widths[0]),
                total.rpps,
                total.billing_number or "à attribuer",
                str(total.line_count),
                days(total.days),
                euros(total.amount),
            ]
        )
    data.append(["Total", "", "", str(statement.line_count), days(statement.total_days), euros(statement.total_amount)])
    return _table(data, widths, [3, 4, 5], total_row=True)


def _story(statement: Statement, styles) -> Iterator:
    yield from _header(statement, styles)
    yield Paragraph("Détail des journées", styles["Heading2"])
    notes: list[tuple[int, str]] = []
    yield from _lines(statement, notes)
    if notes:
        yield Paragraph("Remarques", styles["Heading2"])
        for number, note in notes:
            yield Paragraph(f"Ligne {number} ({escape(note)}", _small())
    yield Paragraph("Totaux par médecin", styles["Heading2"])
    yield _doctor_totals(statement)
    yield Spacer(1, 5 * mm)
    total_style = ParagraphStyle("total", parent=styles["Normal"], alignment=TA_RIGHT, fontName=BOLD, fontSize=11)
    yield Paragraph(
        f"Total du relevé : {statement.line_count} ligne{plural_s(statement.line_count)}, "
        f"{days(statement.total_days)} jour{plural_s(statement.total_days)}, "
        f"{euros(statement.total_amount)}",
        total_style,
    )


def statement_pdf(statement: Statement) -> bytes:
    """One PDF document for one statement."""
    styles = getSampleStyleSheet()
    styles["Title"].fontSize, styles["Title"].leading = 14, 18
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=f"Relevé {statement.reference}",
        author="Agence régionale de santé",
        subject=f"Forfaits des médecins volontaires — {statement.cpam.name}",
    )
    footer = f"Relevé {statement.reference} — {statement.cpam.name}"
    story = _LazyStory(_story(statement, styles))
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k))
    return buffer.getvalue()
