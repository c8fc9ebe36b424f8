"""The PDF of a statement: ARS and CPAM headers, period, lines (header repeated on each page), per-doctor totals,
the overall total, and « page x sur y ». Standard fonts (nothing to install).

The two long tables (the lines, up to 100,000 of them, and the totals per doctor) are drawn straight on the canvas,
page by page, with fixed row heights: each page's text is one text object whose operators are written once per
distinct cell text (names, dates and amounts repeat), its stripes one path and its grid one path. Nothing of a
page is kept once it is written (the page total is a form defined at the end), so memory stays flat whatever the
statement's size. ReportLab's platypus (a Table laid out and split cell by cell) took 46 s and 289 MB for 100,000
lines; the headings and paragraphs around the tables still go through platypus, drawn at the cursor.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from typing import IO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

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
GRID = colors.HexColor("#bbbbbb")
PADDING = 1.5  # above and below a cell's text
SIDE_PADDING = 3  # left and right of it
ROW_HEIGHT = 1.2 * SIZE + 2 * PADDING
HEADER_LEADING = SIZE + 1.5
PDF_COLUMNS = tuple(c for c in COLUMNS if c.pdf_width)
NUMERIC = (DATE, MONEY, NUMBER, INTEGER)
NBSP = "\u00a0"
PAGE = landscape(A4)
LEFT, RIGHT, TOP, BOTTOM = 12 * mm, 12 * mm, 12 * mm, 14 * mm
PROGRESS_EVERY = 1000  # lines between two progress reports

Progress = Callable[[int], None]


def euros(value) -> str:
    return french_number(value, 2, grouping=NBSP) + NBSP + "€"


def days(value) -> str:
    return french_number(value, None, grouping=NBSP)


def _fit(text: str, width: float, font: str = FONT, size: float = SIZE) -> str:
    """Clip a text to a column's width (with an ellipsis)."""
    room = width - 2 * SIDE_PADDING
    if stringWidth(text, font, size) <= room:
        return text
    while text and stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text + "…"


class _NumberedCanvas(canvas.Canvas):
    """Writes « page x sur y » on every page as it goes: the total is a form (XObject) drawn on each page and
    defined once at the end, so no page is held in memory waiting for it (a statement may run to 3,000 pages)."""

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


@dataclass(frozen=True)
class _Grid:
    """A table's columns: widths (points), which are right-aligned, and its header row split into lines."""

    widths: tuple[float, ...]
    numeric: frozenset[int]
    header: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, headers: Iterable[str], widths: Iterable[float], numeric: Iterable[int]) -> "_Grid":
        widths = tuple(widths)
        split = tuple(
            tuple(simpleSplit(h, BOLD, SIZE, w - 2 * SIDE_PADDING)) for h, w in zip(headers, widths, strict=True)
        )
        return cls(widths, frozenset(numeric), split)

    @property
    def width(self) -> float:
        return sum(self.widths)

    @property
    def header_height(self) -> float:
        return max(len(lines) for lines in self.header) * HEADER_LEADING + 2 * PADDING + 1


class _Writer:
    """The page cursor: paragraphs and tables drawn from the top of the page down, a new page when one is full."""

    def __init__(self, canv: _NumberedCanvas):
        self.canv = canv
        self.width = PAGE[0] - LEFT - RIGHT
        self.y = PAGE[1] - TOP

    def new_page(self) -> None:
        self.canv.showPage()
        self.y = PAGE[1] - TOP

    def room(self) -> float:
        return self.y - BOTTOM

    def flowable(self, flowable: Flowable) -> None:
        _, height = flowable.wrapOn(self.canv, self.width, PAGE[1])
        before = flowable.getSpaceBefore() if self.y < PAGE[1] - TOP else 0
        after = flowable.getSpaceAfter()
        if before + height > self.room():
            self.new_page()
            before = 0
        self.y -= before
        flowable.drawOn(self.canv, LEFT, self.y - height)
        self.y -= height + after

    def table(self, grid: _Grid, rows: Iterable[list[str]], bold_last: bool = False) -> None:
        """Rows of one-line texts under `grid`'s header, repeated on each page; the last row bold if asked."""
        rows = iter(rows)
        pending = next(rows, None)
        page: list[list[str]] = []
        if self.room() < grid.header_height + 2 * ROW_HEIGHT:
            self.new_page()
        while True:
            fits = int((self.room() - grid.header_height) // ROW_HEIGHT)
            while pending is not None and len(page) < fits:
                page.append(pending)
                pending = next(rows, None)
            self._draw(grid, page, bold_last=bold_last and pending is None)
            if pending is None:
                return
            page = []
            self.new_page()

    def _draw(self, grid: _Grid, rows: list[list[str]], bold_last: bool) -> None:
        c = self.canv
        top, x0 = self.y, LEFT
        bottom = top - grid.header_height - len(rows) * ROW_HEIGHT
        lefts = [x0]
        for width in grid.widths:
            lefts.append(lefts[-1] + width)
        # Backgrounds: the header, then every other row (one path).
        c.setFillColor(BLUE)
        c.rect(x0, top - grid.header_height, grid.width, grid.header_height, stroke=0, fill=1)
        c.setFillColor(STRIPE)
        path = c.beginPath()
        first = top - grid.header_height
        for i in range(1, len(rows), 2):
            path.rect(x0, first - (i + 1) * ROW_HEIGHT, grid.width, ROW_HEIGHT)
        c.drawPath(path, stroke=0, fill=1)
        # The grid (one path).
        c.setStrokeColor(GRID)
        c.setLineWidth(0.25)
        path = c.beginPath()
        for x in lefts:
            path.moveTo(x, top)
            path.lineTo(x, bottom)
        for y in (top, first, *(first - (i + 1) * ROW_HEIGHT for i in range(len(rows)))):
            path.moveTo(x0, y)
            path.lineTo(lefts[-1], y)
        c.drawPath(path, stroke=1, fill=0)
        # The text: one text object for the page.
        text = c.beginText()
        text.setFont(BOLD, SIZE)
        text.setFillColor(colors.white)
        code = text._code
        tallest = max(len(lines) for lines in grid.header)
        for left, lines in zip(lefts, grid.header, strict=False):
            middle = (tallest - len(lines)) * HEADER_LEADING / 2  # vertically centred, as the old table did
            for n, line in enumerate(lines):
                y = top - PADDING - 1 - SIZE - middle - n * HEADER_LEADING
                code.append(f"1 0 0 1 {left + SIDE_PADDING:.2f} {y:.2f} Tm {_operator(BOLD, line)}")
        text.setFillColor(colors.black)
        text.setFont(FONT, SIZE)
        baseline = first - PADDING - 0.2 * SIZE - SIZE  # descent below the baseline, as platypus places one line
        last = len(rows) - 1
        for i, row in enumerate(rows):
            y = f"{baseline - i * ROW_HEIGHT:.2f}"
            font = FONT
            if bold_last and i == last:
                text.setFont(BOLD, SIZE)
                font = BOLD
            for column, value in enumerate(row):
                if not value:
                    continue
                if column in grid.numeric:
                    x = lefts[column + 1] - SIDE_PADDING - _width(font, value)
                else:
                    x = lefts[column] + SIDE_PADDING
                code.append(f"1 0 0 1 {x:.2f} {y} Tm {_operator(font, value)}")
        c.drawText(text)
        self.y = bottom


_OPERATOR_CANVAS = canvas.Canvas(BytesIO())


@cache
def _operator(font: str, value: str) -> str:
    """The PDF operator that shows `value` in `font` (the standard fonts' encoding, escaped), worked out once."""
    text = _OPERATOR_CANVAS.beginText()
    text.setFont(font, SIZE)
    return text._formatText(value)


@cache
def _width(font: str, value: str) -> float:
    return stringWidth(value, font, SIZE)


def _header(statement: Statement, styles) -> list[Flowable]:
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


def _lines(statement: Statement, notes: list[tuple[int, str]], progress: Progress | None) -> Iterator[list[str]]:
    """The lines as rows of texts, clipped to their columns; the notes of annotated lines are gathered into
    `notes` on the way (they are printed after the lines); `progress(lines done)` every PROGRESS_EVERY lines."""
    texts = row_texts(statement, PDF_COLUMNS, spreadsheet=False)
    # Clipped once per distinct text: names, sites and zones repeat across lines.
    fits = [None if c.kind in NUMERIC else cache(lambda t, w=c.pdf_width * mm: _fit(t, w)) for c in PDF_COLUMNS]
    note, last_name, first_name, day = (
        FIELD_INDEX[name] for name in ("note", "doctor_last_name", "doctor_first_name", "date")
    )
    number = 0
    for number, row in enumerate(line_values(statement), start=1):
        yield [text if fit is None else fit(text) for text, fit in zip(texts(row), fits, strict=True)]
        if row[note]:
            who = f"{row[last_name].upper()} {row[first_name]}, {row[day]:%d/%m/%Y}"
            notes.append((number, f"{who}) : {row[note]}"))
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    if progress is not None:
        progress(number)


def _doctor_totals(statement: Statement, widths: list[float]) -> Iterator[list[str]]:
    for total in statement_doctor_totals(statement):
        yield [
            _fit(total.name, widths[0]),
            total.rpps,
            total.billing_number or "à attribuer",
            str(total.line_count),
            days(total.days),
            euros(total.amount),
        ]
    yield ["Total", "", "", str(statement.line_count), days(statement.total_days), euros(statement.total_amount)]


def _small() -> ParagraphStyle:
    return ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE + 1.5)


def write_statement_pdf(statement: Statement, out: IO[bytes], progress: Progress | None = None) -> None:
    """Write the PDF of `statement` to `out` (a binary file); `progress(lines written)` as the lines go."""
    styles = getSampleStyleSheet()
    styles["Title"].fontSize, styles["Title"].leading = 14, 18
    footer = f"Relevé {statement.reference} — {statement.cpam.name}"
    canv = _NumberedCanvas(out, pagesize=PAGE, footer=footer, pageCompression=1)
    canv.setTitle(f"Relevé {statement.reference}")
    canv.setAuthor("Agence régionale de santé")
    canv.setSubject(f"Forfaits des médecins volontaires — {statement.cpam.name}")
    try:
        _write(statement, canv, styles, progress)
    finally:  # a worker process builds many files: the texts of this one are not kept
        _operator.cache_clear()
        _width.cache_clear()


def _write(statement: Statement, canv: _NumberedCanvas, styles, progress: Progress | None) -> None:
    writer = _Writer(canv)
    for flowable in _header(statement, styles):
        writer.flowable(flowable)
    writer.flowable(Paragraph("Détail des journées", styles["Heading2"]))
    grid = _Grid.of(
        (c.header for c in PDF_COLUMNS),
        (c.pdf_width * mm for c in PDF_COLUMNS),
        (i for i, c in enumerate(PDF_COLUMNS) if c.kind in NUMERIC),
    )
    notes: list[tuple[int, str]] = []
    writer.table(grid, _lines(statement, notes, progress))
    if notes:
        writer.flowable(Paragraph("Remarques", styles["Heading2"]))
        for number, note in notes:
            writer.flowable(Paragraph(f"Ligne {number} ({escape(note)}", _small()))
    writer.flowable(Paragraph("Totaux par médecin", styles["Heading2"]))
    widths = [80 * mm, 30 * mm, 42 * mm, 20 * mm, 20 * mm, 30 * mm]
    totals = _Grid.of(
        ("Médecin", "RPPS", "N° Assurance Maladie dédié", "Lignes", "Jours", "Montant"), widths, (3, 4, 5)
    )
    writer.table(totals, _doctor_totals(statement, widths), bold_last=True)
    writer.y -= 5 * mm
    total_style = ParagraphStyle("total", parent=styles["Normal"], alignment=TA_RIGHT, fontName=BOLD, fontSize=11)
    writer.flowable(
        Paragraph(
            f"Total du relevé : {statement.line_count} ligne{plural_s(statement.line_count)}, "
            f"{days(statement.total_days)} jour{plural_s(statement.total_days)}, "
            f"{euros(statement.total_amount)}",
            total_style,
        )
    )
    canv.showPage()
    canv.save()


def statement_pdf(statement: Statement) -> bytes:
    """One PDF document for one statement, in memory (small statements, tests)."""
    buffer = BytesIO()
    write_statement_pdf(statement, buffer)
    return buffer.getvalue()
