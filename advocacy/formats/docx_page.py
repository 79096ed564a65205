"""The page of a Word letter, laid out like the PDF: frames, continuation header, language.

Sender and date sit in a frame at the top right and the inside address in a frame placed on the
page where the window of a #10 envelope shows it (``advocacy.formats.window``): Word frames
(``w:framePr``, anchored to the page) keep those blocks in place whatever the text does, in
Word and in LibreOffice. The letter text starts below the window, 3.62 in from the top, as in
the PDF. Page 2 and later carry a header with the recipient, the date and the page number; the
first page has none.
"""

from __future__ import annotations

from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from advocacy.formats.window import AddressFit

TWIPS = 1440  # a twentieth of a point: Word's unit for frames and spacing
MARGINS = {"top": 0.95, "bottom": 0.7, "left": 0.9, "right": 0.8}  # as letter.css
#: Where the letter text starts on the first page (inches from the top), below the window.
TEXT_TOP = 3.62
#: The sender column: 2.6 in wide at the right margin, from 0.5 in below the top.
SENDER_FRAME = (8.5 - MARGINS["right"] - 2.6, 0.5, 2.6)
ADDRESS_LEFT, ADDRESS_WIDTH = 0.8, 3.64
LANGUAGE = "en-US"
#: LibreOffice sets lines of exact pitch lower in their box than WeasyPrint does: measured on
#: the embedded packet, 0.010 in to spare above the address and 0.002 in below; this centres it.
DOCX_SHIFT = -0.004


def twips(inches: float) -> str:
    return str(round(inches * TWIPS))


def _p_pr(paragraph: DocxParagraph) -> etree._Element:
    return paragraph._p.get_or_add_pPr()


def frame(paragraph: DocxParagraph, left: float, top: float, width: float,
          height: float | None = None) -> None:  # fmt: skip
    """Put ``paragraph`` in a frame anchored to the page (inches from its top-left corner).

    Consecutive paragraphs with the same frame share it, as Word and LibreOffice lay them out.
    """
    p_pr = _p_pr(paragraph)
    frame_pr = etree.Element(qn("w:framePr"))
    frame_pr.set(qn("w:w"), twips(width))
    if height is not None:
        frame_pr.set(qn("w:h"), twips(height))
        frame_pr.set(qn("w:hRule"), "exact")
    frame_pr.set(qn("w:wrap"), "notBeside")
    frame_pr.set(qn("w:hAnchor"), "page")
    frame_pr.set(qn("w:vAnchor"), "page")
    frame_pr.set(qn("w:x"), twips(left))
    frame_pr.set(qn("w:y"), twips(top))
    style = p_pr.find(qn("w:pStyle"))
    if style is not None:
        style.addnext(frame_pr)  # the schema's order: pStyle, keepNext, ..., framePr
    else:
        p_pr.insert(0, frame_pr)


def exact_lines(paragraph: DocxParagraph, points: float, before: float = 0) -> None:
    """Fixed line pitch (points) and no space after: the address's lines, as measured."""
    spacing = etree.SubElement(_p_pr(paragraph), qn("w:spacing"))
    spacing.set(qn("w:before"), str(round(before * 20)))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), str(round(points * 20)))
    spacing.set(qn("w:lineRule"), "exact")


def space_before(paragraph: DocxParagraph, inches: float) -> None:
    paragraph.paragraph_format.space_before = Inches(inches)


def set_size(paragraph: DocxParagraph, points: float) -> None:
    """Set every run of ``paragraph`` in ``points``."""
    for run in paragraph._p.iter(qn("w:r")):
        r_pr = run.find(qn("w:rPr"))
        if r_pr is None:
            r_pr = etree.Element(qn("w:rPr"))
            run.insert(0, r_pr)
        for tag in ("w:sz", "w:szCs"):
            etree.SubElement(r_pr, qn(tag)).set(qn("w:val"), str(round(points * 2)))


def address_frame(paragraphs: list[DocxParagraph], fit: AddressFit) -> None:
    """Place the inside address's paragraphs as the PDF does: in the window, any position."""
    height = len(fit.lines) * fit.line_height / 72
    for paragraph in paragraphs:
        frame(paragraph, ADDRESS_LEFT, fit.top + DOCX_SHIFT, ADDRESS_WIDTH, height)
        exact_lines(paragraph, fit.line_height)
        set_size(paragraph, fit.size)


def page_setup(document: Document) -> None:
    """US Letter, the PDF's margins, a header on page 2 and later only."""
    for section in document.sections:
        section.page_width, section.page_height = Inches(8.5), Inches(11)
        section.top_margin = Inches(MARGINS["top"])
        section.bottom_margin = Inches(MARGINS["bottom"])
        section.left_margin = Inches(MARGINS["left"])
        section.right_margin = Inches(MARGINS["right"])
        section.header_distance = Inches(0.5)
        section.footer_distance = Inches(0.4)
        section.different_first_page_header_footer = True
        section.header.is_linked_to_previous = False
        section.first_page_header.is_linked_to_previous = False


def continuation_header(document: Document, recipient: str, date_text: str) -> None:
    """The header of page 2 and later: "Recipient — Month D, YYYY — page N"."""
    header = document.sections[0].header
    paragraph = header.paragraphs[0]
    for child in list(paragraph._p):
        if child.tag != qn("w:pPr"):
            paragraph._p.remove(child)
    paragraph.paragraph_format.space_after = Pt(14)
    run = paragraph.add_run(f"{recipient} \u2014 {date_text} \u2014 page ")
    run.font.size = Pt(9)
    field = etree.SubElement(paragraph._p, qn("w:fldSimple"))
    field.set(qn("w:instr"), "PAGE")
    number = etree.SubElement(field, qn("w:r"))
    r_pr = etree.SubElement(number, qn("w:rPr"))
    etree.SubElement(r_pr, qn("w:sz")).set(qn("w:val"), "18")
    etree.SubElement(number, qn("w:t")).text = "2"


def set_language(document: Document, language: str = LANGUAGE) -> None:
    """The document's language, for spelling and screen readers (Normal style and defaults)."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    targets = [document.styles["Normal"].element.get_or_add_rPr()]
    if defaults is not None:
        r_pr_default = defaults.find(qn("w:rPrDefault"))
        if r_pr_default is not None and r_pr_default.find(qn("w:rPr")) is not None:
            targets.append(r_pr_default.find(qn("w:rPr")))
    for r_pr in targets:
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = etree.SubElement(r_pr, qn("w:lang"))
        lang.set(qn("w:val"), language)
        lang.set(qn("w:eastAsia"), language)
        lang.set(qn("w:bidi"), "ar-SA")
    document.core_properties.language = language


def outline_level(document: Document, style_name: str, level: int) -> None:
    """Make a paragraph style a heading of ``level`` (0 = top) for navigation and readers."""
    p_pr = document.styles[style_name].element.get_or_add_pPr()
    if p_pr.find(qn("w:outlineLvl")) is None:
        etree.SubElement(p_pr, qn("w:outlineLvl")).set(qn("w:val"), str(level))
