"""Invoices, credit notes and statements as PDFs, drawn with fpdf2 (pure Python: WeasyPrint would
need the system's Pango).

Text is set in a Unicode TrueType font when the machine has one (DejaVu Sans on Debian), so
customers' names in any European alphabet print as they are; without one, in the PDF's core
Helvetica, whose Latin-1 lacks some letters (they print as "?"). Loading a TrueType font costs
~150 ms, so it is loaded once into a template that each document copies; fpdf2's copies share
the parsed font, which drawing cuts down to the glyphs used, so each copy gets the font's file
read afresh (lazily: cheap). Documents are drawn one at a time (each takes ~30-60 ms).
"""

import copy
import functools
import io
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from tenant_api.billing.documents.layout import (
    Brand,
    InvoiceDocument,
    Party,
    StatementDocument,
    money,
    percent,
)

FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/Library/Fonts/Arial Unicode.ttf", "Arial Unicode.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", "Arial Unicode.ttf"),
)
GREY = (90, 90, 90)
LINE_HEIGHT = 5.0


class _Page(FPDF):
    footer_text = ""
    unicode = False

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.font_family, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 4, self.footer_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="C")

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")


_template: _Page | None = None
_drawing = threading.Lock()


def _blank() -> _Page:
    """A copy of the template: an empty document with its fonts loaded (called drawing)."""
    global _template
    if _template is None:
        made = _Page(format="A4")
        made.set_auto_page_break(auto=True, margin=22)
        made.alias_nb_pages()
        for regular, bold in FONT_FILES:
            if Path(regular).is_file():
                made.add_font("body", "", regular)
                made.add_font("body", "B", str(Path(regular).with_name(bold)))
                made.unicode = True
                break
        _template = made
    made = copy.deepcopy(_template)
    for font in made.fonts.values():
        if isinstance(font, TTFFont):  # its own copy of the font, to cut down
            font.ttfont = TTFont(
                io.BytesIO(_font_file(str(font.ttffile))),
                recalcTimestamp=False,
                fontNumber=font.collection_font_number,
                lazy=True,
            )
    return made


@functools.cache
def _font_file(path: str) -> bytes:
    return Path(path).read_bytes()


def _font(pdf: _Page, size: float, bold: bool = False) -> None:
    pdf.set_font("body" if pdf.unicode else "helvetica", "B" if bold else "", size)


def _text(pdf: _Page, width: float, value: str, **kw: object) -> None:
    pdf.cell(width, LINE_HEIGHT, pdf.text_of(value), **kw)  # type: ignore[arg-type]


def _day(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value else "-"


def _head(pdf: _Page, brand: Brand, title: str, facts: Iterable[tuple[str, str]]) -> None:
    """The issuer's block (logo, name, address) on the left; the title and the document's
    facts on the right."""
    pdf.footer_text = pdf.text_of(brand.footer or f"{brand.name}. Thank you for your business.")
    pdf.add_page()
    top = pdf.get_y()
    if brand.logo:
        pdf.image(io.BytesIO(brand.logo), x=pdf.l_margin, y=top, h=16)
        pdf.set_y(top + 18)
    _font(pdf, 12, bold=True)
    _text(pdf, 100, brand.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _font(pdf, 9)
    for line in (
        *brand.address,
        *([f"Tax number: {brand.tax_number}"] if brand.tax_number else []),
    ):
        _text(pdf, 100, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_end = pdf.get_y()

    pdf.set_xy(110, top)
    _font(pdf, 20, bold=True)
    pdf.set_text_color(*brand.accent)
    pdf.cell(0, 10, pdf.text_of(title), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    _font(pdf, 9)
    for label, value in facts:
        pdf.set_x(110)
        _text(pdf, 40, label, align="L")
        _text(pdf, 0, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_end, pdf.get_y()) + 6)


def _party(pdf: _Page, heading: str, party: Party) -> None:
    _font(pdf, 9, bold=True)
    pdf.set_text_color(*GREY)
    _text(pdf, 0, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    _font(pdf, 10, bold=True)
    _text(pdf, 0, party.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _font(pdf, 9)
    for line in (f"Account {party.account_number}", *party.address):
        _text(pdf, 0, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _table_head(pdf: _Page, brand: Brand, columns: list[tuple[str, float, str]]) -> None:
    _font(pdf, 9, bold=True)
    pdf.set_fill_color(*brand.accent)
    pdf.set_text_color(255, 255, 255)
    for name, width, align in columns:
        pdf.cell(width, 7, pdf.text_of(name), align=align, fill=True)  # type: ignore[arg-type]
    pdf.ln(7)
    pdf.set_text_color(0, 0, 0)
    _font(pdf, 9)


def invoice_pdf(document: InvoiceDocument, brand: Brand, customer: Party) -> bytes:
    """The invoice or credit note as a PDF."""
    with _drawing:
        return _invoice_pdf(document, brand, customer)


def statement_pdf(document: StatementDocument, brand: Brand, customer: Party) -> bytes:
    """The statement of account as a PDF."""
    with _drawing:
        return _statement_pdf(document, brand, customer)


def _invoice_pdf(document: InvoiceDocument, brand: Brand, customer: Party) -> bytes:
    pdf = _blank()
    pdf.set_title(f"{document.title} {document.number or '(draft)'}")
    pdf.set_author(brand.name)
    facts = [("Number", document.number or "Draft (not issued)")]
    if document.status in ("draft", "void"):
        facts.append(("Status", document.status.upper()))
    facts.append(("Issued", _day(document.issued_on)))
    if document.due_on:
        facts.append(("Due", _day(document.due_on)))
    if document.period:
        facts.append(("Period", f"{_day(document.period[0])} to {_day(document.period[1])}"))
    if document.refers_to:
        facts.append(("Credits invoice", document.refers_to))
    _head(pdf, brand, document.title, facts)
    _party(pdf, "BILL TO", customer)

    cur = document.currency
    columns = [
        ("Description", 82.0, "L"),
        ("Qty", 12.0, "R"),
        ("Unit price", 28.0, "R"),
        ("Discount", 22.0, "R"),
        ("Tax", 14.0, "R"),
        ("Amount", 32.0, "R"),
    ]
    _table_head(pdf, brand, columns)
    for line in document.lines:
        cells = (
            line.description,
            str(line.quantity),
            money(line.unit_amount, cur),
            money(line.discount, cur) if line.discount else "",
            percent(line.tax_basis_points) if line.tax_basis_points else "",
            money(line.total, cur),
        )
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
            _table_head(pdf, brand, columns)
        for (_, width, align), value in zip(columns, cells, strict=True):
            _text(pdf, width, _fitted(pdf, value, width), align=align, border="B")
        pdf.ln(LINE_HEIGHT)

    pdf.ln(3)
    rows = [("Subtotal (without tax)", money(document.subtotal, cur), False)]
    if document.discount_total:
        rows.append(("Discounts included", money(document.discount_total, cur), False))
    for band in document.taxes:
        rows.append((f"Tax {band.label} on {money(band.base, cur)}", money(band.tax, cur), False))
    rows.append(("Total", money(document.total, cur), True))
    if document.title == "Invoice":
        rows += [
            ("Amount paid", money(document.amount_paid, cur), False),
            ("Credited", money(document.amount_credited, cur), False),
            ("Amount due", money(document.balance_due, cur), True),
        ]
    for label, value, bold in rows:
        _font(pdf, 10 if bold else 9, bold=bold)
        pdf.set_x(100)
        _text(pdf, 60, label)
        _text(pdf, 0, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _font(pdf, 9)
    pdf.multi_cell(0, LINE_HEIGHT, pdf.text_of(document.terms))
    if document.memo:
        pdf.ln(2)
        pdf.multi_cell(0, LINE_HEIGHT, pdf.text_of(f"Note: {document.memo}"))
    return bytes(pdf.output())


def _statement_pdf(document: StatementDocument, brand: Brand, customer: Party) -> bytes:
    pdf = _blank()
    pdf.set_title(f"Statement of account {customer.account_number}")
    pdf.set_author(brand.name)
    span = f"{_day(document.date_from)} to {_day(document.date_to)}"
    _head(
        pdf,
        brand,
        "Statement",
        [
            ("Period", span if document.date_from else f"to {_day(document.date_to)}"),
            ("Opening balance", money(document.opening_balance, document.currency)),
            ("Closing balance", money(document.closing_balance, document.currency)),
        ],
    )
    _party(pdf, "ACCOUNT", customer)
    cur = document.currency
    columns = [
        ("Date", 24.0, "L"),
        ("Reference", 62.0, "L"),
        ("Charges", 32.0, "R"),
        ("Payments, credits", 36.0, "R"),
        ("Balance", 36.0, "R"),
    ]
    _table_head(pdf, brand, columns)
    _text(pdf, 86, "Opening balance", border="B")
    _text(pdf, 68, "", border="B")
    _text(pdf, 36, money(document.opening_balance, cur), align="R", border="B")
    pdf.ln(LINE_HEIGHT)
    for entry in document.entries:
        if pdf.get_y() > pdf.h - 35:
            pdf.add_page()
            _table_head(pdf, brand, columns)
        cells = (
            _day(entry.on),
            entry.reference,
            money(entry.debit, cur) if entry.debit else "",
            money(entry.credit, cur) if entry.credit else "",
            money(entry.balance, cur),
        )
        for (_, width, align), value in zip(columns, cells, strict=True):
            _text(pdf, width, _fitted(pdf, value, width), align=align, border="B")
        pdf.ln(LINE_HEIGHT)
    _font(pdf, 10, bold=True)
    _text(pdf, 154, "Closing balance", border="B")
    _text(pdf, 36, money(document.closing_balance, cur), align="R", border="B")
    pdf.ln(LINE_HEIGHT)
    return bytes(pdf.output())


def _fitted(pdf: _Page, value: str, width: float) -> str:
    """`value`, cut short with "..." if it is wider than the column."""
    value = pdf.text_of(value)
    if pdf.get_string_width(value) < width - 1:
        return value
    while value and pdf.get_string_width(value + "...") >= width - 1:
        value = value[:-1]
    return value + "..."
