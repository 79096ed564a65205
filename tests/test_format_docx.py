"""DOCX letters: named styles, the source list with links, properties, reference documents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from samples import HOSTILE, QUOTE_TEXT, QUOTE_URL, make_letter  # noqa: E402

from advocacy.formats import Style
from advocacy.formats.docx import Renderer
from advocacy.letter import Note, NoteRef, Paragraph
from advocacy.templating import builtin_dir

STYLE = Style(template_folders=(builtin_dir(),))
LETTER_STYLES = {
    "Sender", "Letter Date", "Inside Address", "Letter Subject", "Salutation", "Body Text",
    "Quote", "Closing", "Signature", "Source",
}  # fmt: skip


@pytest.fixture(scope="module")
def data() -> bytes:
    return Renderer(STYLE).render(make_letter())


@pytest.fixture(scope="module")
def document(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def texts(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def test_text(document: docx.document.Document) -> None:
    paragraphs = texts(document)
    assert paragraphs[0] == "Mary O'Neil"
    assert HOSTILE in paragraphs
    assert "The Honorable José Peña" in paragraphs
    assert "Re: Ending Springfield's sister-city tie with\u00a0Екатеринбург" in paragraphs
    assert "Dear Mayor Peña," in paragraphs
    assert f"{QUOTE_TEXT}1" in paragraphs  # the note's number, in superscript
    assert (
        "As the President said1, it is time to act. Data like {{ 7*7 }} and <b>tags</b> stay text."
        in paragraphs
    )
    assert "Sincerely," in paragraphs
    assert "Resident, Ward 5" in paragraphs


def test_only_named_styles(document: docx.document.Document) -> None:
    used = {p.style.name for p in document.paragraphs}
    assert used == LETTER_STYLES
    by_text = {p.text: p.style.name for p in document.paragraphs}
    assert by_text["June 3, 2024"] == "Letter Date"
    assert by_text[QUOTE_TEXT + "1"] == "Quote"
    assert by_text["Dear Mayor Peña,"] == "Salutation"
    assert by_text["Springfield, IL 62701"] == "Inside Address"


def test_page_and_font(document: docx.document.Document) -> None:
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (Inches(8.5), Inches(11))
    # the PDF's margins; the first page's blocks are placed in frames (see test_layout_frames)
    assert (section.left_margin, section.right_margin) == (Inches(0.9), Inches(0.8))
    assert (section.top_margin, section.bottom_margin) == (Inches(0.95), Inches(0.7))
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size == Pt(11)


def test_layout_frames_header_language_heading(
    data: bytes, document: docx.document.Document
) -> None:
    body = part_xml(data, "word/document.xml")
    # sender and date share a frame at the top right; the address has its own in the window
    frames = [p for p in document.paragraphs if p._p.pPr.find(qn("w:framePr")) is not None]
    assert [p.style.name for p in frames] == ["Sender"] * 5 + ["Letter Date"] + [
        "Inside Address"
    ] * 5
    address = frames[-1]._p.pPr.find(qn("w:framePr"))
    assert address.get(qn("w:x")) == str(round(0.8 * 1440))
    assert 2.421 * 1440 <= int(address.get(qn("w:y"))) <= 2.6 * 1440
    assert address.get(qn("w:hAnchor")) == address.get(qn("w:vAnchor")) == "page"
    subject = next(p for p in document.paragraphs if p.style.name == "Letter Subject")
    assert subject.paragraph_format.space_before.inches == pytest.approx(3.62 - 0.95, abs=0.001)
    assert "w:titlePg" in body  # the first page has its own (empty) header
    headers = " ".join(part_xml(data, name) for name in zip_names(data) if "header" in name)
    assert "The Honorable José Peña — June 3, 2024 — page " in headers
    assert 'w:instr="PAGE"' in headers
    styles = part_xml(data, "word/styles.xml")
    assert 'w:lang w:val="en-US"' in styles
    assert document.core_properties.language == "en-US"
    heading = document.styles["Letter Heading"].element.pPr.find(qn("w:outlineLvl"))
    assert heading is not None and heading.get(qn("w:val")) == "1"


def zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def test_default_template_slimmed(data: bytes, document: docx.document.Document) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        content_types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
    assert "word/stylesWithEffects.xml" not in names
    assert "stylesWithEffects" not in content_types + rels
    tables = [s for s in document.styles if s.type == WD_STYLE_TYPE.TABLE]
    assert [s.name for s in tables] == ["Normal Table"]
    assert "Heading 1" in [s.name for s in document.styles]  # text styles are all kept
    assert len(data) < 20_000


def test_plain_paragraphs_only(data: bytes) -> None:
    body = part_xml(data, "word/document.xml")
    for tag in ("w:txbxContent", "w:tbl", "w:drawing", "w:pict", "mc:AlternateContent"):
        assert f"<{tag}" not in body


def test_superscript_numbers_and_a_source_list(
    data: bytes, document: docx.document.Document
) -> None:
    body = part_xml(data, "word/document.xml")
    assert "<w:footnoteReference" not in body
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "word/footnotes.xml" not in archive.namelist()
    later = next(p for p in document.paragraphs if p.text.startswith("As the President said"))
    number = next(run for run in later.runs if run.text == "1")
    assert number.style.name == "Note Reference"
    assert document.styles["Note Reference"].font.superscript
    [source] = [p for p in document.paragraphs if p.style.name == "Source"]
    assert source.text.startswith("1. Volodymyr Zelenskyy, President of Ukraine, Address to mayors")
    assert source.text.endswith(QUOTE_URL)
    assert texts(document).index(source.text) == texts(document).index("Sincerely,") + 4
    assert "<w:pBdr><w:top " in part_xml(data, "word/styles.xml")  # the rule above the list


def test_source_links_to_its_address(data: bytes) -> None:
    body = part_xml(data, "word/document.xml")
    assert body.count("<w:hyperlink ") == 1
    rels = part_xml(data, "word/_rels/document.xml.rels")
    assert 'TargetMode="External"' in rels
    assert QUOTE_URL.replace("&", "&amp;") in rels


def test_citations_once(data: bytes) -> None:
    """As in the PDF: each source is printed once, in the list after the signature."""
    assert part_xml(data, "word/document.xml").count("Volodymyr Zelenskyy, President") == 1


def test_core_properties(document: docx.document.Document) -> None:
    props = document.core_properties
    midnight = dt.datetime(2024, 6, 3, tzinfo=dt.UTC)
    assert props.title == "Ending Springfield's sister-city tie with Екатеринбург"
    assert props.author == props.last_modified_by == "Mary O'Neil"
    assert props.subject == "Letter to Mayor José Peña, Springfield, IL"
    assert "Екатеринбург" in props.keywords
    assert props.created == props.modified == midnight
    assert props.revision == 1


def test_byte_identical(data: bytes) -> None:
    assert Renderer(STYLE).render(make_letter()) == data


def test_headings_lists_and_note_order() -> None:
    """Notes first cited out of order are numbered in citation order, everywhere."""
    letter = make_letter()
    second = dataclasses.replace(letter.notes[0].quote, id="q2", url="https://example.com/two")
    letter = dataclasses.replace(
        letter,
        paragraphs=(
            Paragraph(("What we ask",), "heading"),
            Paragraph(("Asks:",), "list", items=(("End the tie", NoteRef(2)), ("Reply",))),
            *letter.paragraphs,
        ),
        notes=(*letter.notes, Note(2, second)),
    )
    document = docx.Document(io.BytesIO(Renderer(STYLE).render(letter)))
    by_text = {p.text: p.style.name for p in document.paragraphs}
    assert by_text["What we ask"] == "Letter Heading"
    assert by_text["End the tie1"] == "List Bullet"
    assert by_text["Reply"] == "List Bullet"
    assert "As the President said2, it is time to act." in " ".join(by_text)
    assert by_text["Sister cities must choose a side & stand with Kharkiv.2"] == "Quote"
    listed = [p.text for p in document.paragraphs if p.style.name == "Source"]
    assert [text.split(" ", 1)[0] for text in listed] == ["1.", "2."]
    assert listed[0].endswith("https://example.com/two") and listed[1].endswith(QUOTE_URL)
    data = Renderer(STYLE).render(letter)
    links = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', part_xml(
        data, "word/_rels/document.xml.rels")))  # fmt: skip
    body = part_xml(data, "word/document.xml")
    urls = [links[r_id] for r_id in re.findall(r'<w:hyperlink r:id="(rId\d+)"', body)]
    assert urls == ["https://example.com/two", QUOTE_URL.replace("&", "&amp;")]


def test_reference_document_styles_win(tmp_path: Path) -> None:
    reference = docx.Document()
    reference.add_paragraph("Reference content that must not appear")
    sender = reference.styles.add_style("Sender", WD_STYLE_TYPE.PARAGRAPH)
    sender.font.name = "Comic Neue"
    sender.font.size = Pt(15)
    path = tmp_path / "reference.docx"
    reference.save(str(path))

    data = Renderer(dataclasses.replace(STYLE, reference_docx=path)).render(make_letter())
    document = docx.Document(io.BytesIO(data))
    assert "Reference content that must not appear" not in texts(document)
    senders = [s for s in document.styles if s.name == "Sender"]
    assert len(senders) == 1
    assert senders[0].font.name == "Comic Neue" and senders[0].font.size == Pt(15)
    assert document.paragraphs[0].style.name == "Sender"
    assert {p.style.name for p in document.paragraphs} == LETTER_STYLES
    assert document.element.body[-1].tag == qn("w:sectPr")


def test_output_does_not_depend_on_earlier_letters(tmp_path: Path) -> None:
    """The renderer is reused: a letter comes out the same whatever was rendered before."""
    style = Style(template_folders=(builtin_dir(),))
    first = make_letter()
    other_quote = dataclasses.replace(first.notes[0].quote, id="q2", url="https://example.net/2")
    other = dataclasses.replace(
        first,
        paragraphs=(*first.paragraphs, Paragraph(("More", NoteRef(2)))),
        notes=(*first.notes, Note(2, other_quote)),
        appendix=(Paragraph(("Signatures",), "heading"),),
    )
    fresh = Renderer(style).render(first)
    reused = Renderer(style)
    reused.render(other)
    reused.render(other)
    assert reused.render(first) == fresh
    reference = tmp_path / "reference.docx"
    reference.write_bytes(fresh)  # a reference document that already has a source list
    with_reference = Renderer(dataclasses.replace(style, reference_docx=reference))
    once = with_reference.render(first)
    with_reference.render(other)
    assert with_reference.render(first) == once
