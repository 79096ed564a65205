"""Word letters: plain editable paragraphs, each in a named style, and a list of sources.

The page is laid out like the PDF (``advocacy.formats.docx_page``): sender and date in a frame
at the top right, the inside address in a frame where the envelope window shows it, the text
from 3.62 in, a continuation header (recipient, date, page number) from page 2.

The document starts from ``style.reference_docx`` when one is set (like pandoc's
``--reference-doc``: its styles, page setup, headers and footers are kept, its body text is
dropped), else from python-docx's default template set to US Letter with 1in margins and a
serif font. Every paragraph uses a named paragraph style (``Sender``, ``Letter Date``,
``Inside Address``, ``Letter Subject``, ``Salutation``, ``Body Text``, ``Quote``,
``Letter Heading``, ``List Bullet``, ``Closing``, ``Signature``, ``Source``), created only
when the template lacks it, so restyling a letter means editing styles. The document's
language is set and ``Letter Heading`` is a heading (outline level 2).

As in the PDF, citations are printed once, in a numbered list of sources after the
signature, each with a link, and the text carries their numbers in superscript (character
style ``Note Reference``). The file is deterministic: core properties carry the letter's
date and the zip entries a fixed timestamp.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.opc.pkgwriter import _ContentTypesItem
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement
from docx.shared import Inches, Pt
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from advocacy.exceptions import RenderFailed
from advocacy.formats import Style
from advocacy.formats.docx_page import (
    SENDER_FRAME,
    TEXT_TOP,
    address_frame,
    continuation_header,
    frame,
    outline_level,
    set_language,
)
from advocacy.formats.docx_styles import (
    clear_body,
    drop_thumbnail,
    house_style,
    letter_styles,
    slim_default_template,
)
from advocacy.formats.html import (
    GENERATOR,
    description,
    keywords,
    link_url,
    source_numbers,
    sources,
    window_address,
)
from advocacy.letter import Letter, NoteRef, Paragraph
from advocacy.letter import Part as LetterPart
from advocacy.typography import keep_last_words_together

SUFFIX = ".docx"
#: zlib level of the zip entries: level 1 is 4 ms a letter faster but makes files 45% larger.
ZIP_LEVEL = 6


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text Word can store: XML-invalid control characters removed."""
    return _XML_INVALID.sub("", text)


def drop_footnotes(document: Document) -> None:
    """Empty a reference document's footnotes (its separators stay): letters have none."""
    for rel in document.part.rels.values():
        if rel.reltype == RT.FOOTNOTES and not rel.is_external:
            part = rel.target_part
            root = parse_xml(part.blob)
            for footnote in root.findall(qn("w:footnote")):
                if footnote.get(qn("w:type")) in (None, "normal"):
                    root.remove(footnote)
            part._blob = etree.tostring(  # a plain Part serves its blob as is
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )


def _text(run: etree._Element, text: str) -> None:
    t = etree.SubElement(run, qn("w:t"))
    t.text = clean(text)
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


_RUN_BREAKS = re.compile("[\t\n\r]")


def _add_text(paragraph: DocxParagraph, text: str) -> None:
    """A run of ``text``; tabs and line breaks become Word's tab and break elements."""
    if _RUN_BREAKS.search(text):
        paragraph.add_run(clean(text))  # python-docx turns them into <w:tab/> and <w:br/>
    else:
        _run(paragraph._p, text)  # the same run, without python-docx's character loop


def _run(parent: etree._Element, text: str, char_style_id: str | None = None) -> etree._Element:
    r = etree.SubElement(parent, qn("w:r"))
    if char_style_id:
        r_pr = etree.SubElement(r, qn("w:rPr"))
        etree.SubElement(r_pr, qn("w:rStyle")).set(qn("w:val"), char_style_id)
    _text(r, text)
    return r


def _hyperlink(parent: etree._Element, part: Part, url: str, char_style_id: str) -> None:
    """A clickable link to ``url`` (an external relationship of ``part``)."""
    if not link_url(url):
        _run(parent, url)
        return
    r_id = part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = etree.SubElement(parent, qn("w:hyperlink"))
    link.set(qn("r:id"), r_id)
    link.set(qn("w:history"), "1")
    _run(link, url, char_style_id)


# -- the letter --------------------------------------------------------------------------------


class _Writer:
    def __init__(self, document: Document, letter: Letter, style_ids: dict[str, str]):
        self.document = document
        self.letter = letter
        self.ids = style_ids
        self.known = {note.number for note in letter.notes}
        self.numbers = source_numbers(letter)  # as the PDF numbers them
        self.body = document.element.body
        self.section = self.body.find(qn("w:sectPr"))  # paragraphs go before it

    def paragraph(self, kind: str, text: str = "") -> DocxParagraph:
        # what Document.add_paragraph() does, without searching the body for its end each time
        p = OxmlElement("w:p")
        if self.section is None:
            self.body.append(p)
        else:
            self.section.addprevious(p)
        p_pr = etree.SubElement(p, qn("w:pPr"))
        etree.SubElement(p_pr, qn("w:pStyle")).set(qn("w:val"), self.ids[kind])  # by id: fast
        paragraph = DocxParagraph(p, self.document._body)
        if text:
            _add_text(paragraph, text)
        return paragraph

    def parts(self, paragraph: DocxParagraph, parts: Sequence[LetterPart]) -> None:
        for part in parts:
            if isinstance(part, NoteRef):
                if part.number not in self.known:
                    raise RenderFailed(f"the letter refers to note {part.number}, which it lacks")
                number = str(self.numbers[part.number])
                _run(paragraph._p, number, self.ids["Note Reference"])
            elif part:
                _add_text(paragraph, part)

    def sources(self) -> None:
        """The numbered source list, each citation once, as in the PDF."""
        for index, source in enumerate(sources(self.letter)):
            paragraph = self.paragraph("Source")
            if index == 0:
                # a space above the list; the style's top border, drawn once for the group
                # of Source paragraphs, is the rule
                paragraph.paragraph_format.space_before = Pt(10)
            _run(paragraph._p, f"{source.number}. {source.text}")
            if source.url:
                _run(paragraph._p, " ")
                _hyperlink(paragraph._p, self.document.part, source.url, self.ids["Hyperlink"])

    def blocks(self, paragraphs: Sequence[Paragraph]) -> DocxParagraph | None:
        """Write ``paragraphs``; return the last Word paragraph written."""
        last = None
        for block in paragraphs:
            if block.kind == "list":
                if block.parts:
                    self.parts(last := self.paragraph("Body Text"), block.parts)
                for item in block.items:
                    self.parts(last := self.paragraph("List Bullet"), item)
                continue
            kind = {"quote": "Quote", "heading": "Letter Heading"}.get(block.kind, "Body Text")
            self.parts(last := self.paragraph(kind), block.parts)
        return last

    def write(self) -> None:
        letter = self.letter
        left, top, width = SENDER_FRAME
        for line in letter.sender_lines:
            frame(self.paragraph("Sender", line), left, top, width)
        frame(self.paragraph("Letter Date", letter.date_text), left, top, width)
        fit = window_address(letter)
        address_frame([self.paragraph("Inside Address", line) for line in fit.lines], fit)
        subject = self.paragraph(
            "Letter Subject", f"Re: {keep_last_words_together(letter.subject)}"
        )
        # the text starts below the window, as in the PDF (frames take no room in the text)
        top_margin = self.document.sections[0].top_margin
        start = TEXT_TOP - (top_margin.inches if top_margin is not None else 1.0)
        subject.paragraph_format.space_before = Inches(max(start, 0))
        self.paragraph("Salutation", letter.salutation)
        last = self.blocks(letter.paragraphs)
        if last is not None:
            last.paragraph_format.keep_with_next = True  # never the closing alone on a page
        self.paragraph("Closing", letter.closing)
        for line in letter.signature_lines:
            self.paragraph("Signature", line)
        self.sources()
        if letter.appendix:
            self.document.add_page_break()
            self.blocks(letter.appendix)
        continuation_header(self.document, fit.lines[0], letter.date_text)


#: python-docx (and Word) refuse core properties longer than this: a long subject or name is
#: shortened in the properties only, never in the letter.
MAX_PROPERTY = 255


def property_text(text: str) -> str:
    """``text`` fit for a core property: cleaned, at most ``MAX_PROPERTY`` characters."""
    text = clean(text)
    if len(text) <= MAX_PROPERTY:
        return text
    cut = text[: MAX_PROPERTY - 1]
    space = cut.rfind(" ")
    if space > MAX_PROPERTY // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def set_properties(document: Document, letter: Letter) -> None:
    created = dt.datetime.combine(letter.date, dt.time(), dt.UTC)
    props = document.core_properties
    props.title = property_text(letter.subject)
    props.author = property_text(letter.sender_name)
    props.subject = property_text(description(letter))
    props.keywords = property_text(", ".join(keywords(letter)))
    props.comments = f"Made with {GENERATOR}"
    props.category = "Letter"
    props.last_modified_by = property_text(letter.sender_name)
    props.created = created
    props.modified = created
    props.revision = 1


def package_bytes(document: Document, when: dt.date) -> bytes:
    """Serialise the document in one pass, every zip entry dated ``when``.

    This is what ``Document.save`` does (python-docx's PackageWriter), but with fixed
    timestamps, so the output is byte-identical run after run, and compressed once (saving
    and re-zipping compressed everything twice).
    """
    package = document.part.package
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as target:

        def add(name: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data, compresslevel=ZIP_LEVEL)

        add("[Content_Types].xml", _ContentTypesItem.from_parts(parts).blob)
        add("_rels/.rels", package.rels.xml)
        for part in parts:
            add(part.partname.membername, part.blob)
            if len(part.rels):
                add(part.partname.rels_uri.membername, part.rels.xml)
    return out.getvalue()


class Renderer:
    """Render letters to DOCX bytes; build once per process and reuse.

    The prepared document (page setup and every style in place) is loaded once. Each letter
    resets it to that state, the body and every relationship a letter adds, instead of
    reading the whole package again (7 ms a letter): the output does not depend on which
    letters the renderer made before.
    """

    def __init__(self, style: Style):
        self.style = style
        if style.reference_docx is None:
            document = docx.Document()
            house_style(document)
            drop_thumbnail(document)
            slim_default_template(document)
        else:
            path = Path(style.reference_docx)
            try:
                document = docx.Document(str(path))
            except Exception as err:  # python-docx raises many kinds on a bad file
                raise RenderFailed(f"cannot use reference document {path}: {err}") from err
            clear_body(document)
            drop_footnotes(document)
        if not document.sections[0].different_first_page_header_footer:
            document.sections[0].different_first_page_header_footer = True
        document.sections[0].header.is_linked_to_previous = False
        self.style_ids = letter_styles(document)
        set_language(document)
        outline_level(document, "Letter Heading", 1)
        self.document = document
        self._body = etree.tostring(document.element.body)
        self._rels = {id(part): set(part.rels) for part in document.part.package.iter_parts()}

    def _reset(self) -> None:
        document = self.document
        document.element.replace(document.element.body, parse_xml(self._body))
        document._Document__body = None  # type: ignore[attr-defined]  # its cached body proxy
        for part in list(document.part.package.iter_parts()):
            kept = self._rels.get(id(part), set())
            for r_id in [r_id for r_id in part.rels if r_id not in kept]:
                part.rels.pop(r_id)
                part.rels._target_parts_by_rId.pop(r_id, None)  # python-docx keeps a second map

    def render(self, letter: Letter) -> bytes:
        self._reset()
        _Writer(self.document, letter, self.style_ids).write()
        set_properties(self.document, letter)
        return package_bytes(self.document, letter.date)
