"""The named styles of a Word letter, and the house look when no reference document is given.

Every paragraph of a letter uses a named style, created only when the document lacks it, so
restyling a letter means editing styles (see ``advocacy.formats.docx``).
"""

from __future__ import annotations

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement
from docx.shared import Inches, Pt, RGBColor
from docx.styles.style import BaseStyle

from advocacy.formats.docx_page import page_setup

FONT = "Times New Roman"  # Word has it; LibreOffice maps it to the metric-equal Liberation Serif

P, C = WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER


def find_style(document: Document, name: str, style_id: str | None = None) -> BaseStyle | None:
    """The style called ``name`` (any case) or with id ``style_id``, if the document has it."""
    wanted = name.lower()
    for style in document.styles:
        if (style.name or "").lower() == wanted or (style_id and style.style_id == style_id):
            return style
    return None


def ensure_style(document: Document, name: str, kind: WD_STYLE_TYPE, **fmt: object) -> BaseStyle:
    """Return style ``name``; create it (based on Normal, formatted by ``fmt``) if missing.

    An existing style is left as its author made it.
    """
    style_id = name.replace(" ", "")
    style = find_style(document, name, style_id)
    if style is not None:
        return style
    style = document.styles.add_style(name, kind)
    style.element.set(qn("w:styleId"), style_id)
    style.quick_style = True
    if kind == P:
        style.base_style = document.styles["Normal"]
        pf = style.paragraph_format
        pf.space_before = fmt.get("space_before", Pt(0))
        pf.space_after = fmt.get("space_after", Pt(0))
        for key in ("left_indent", "first_line_indent", "keep_with_next", "keep_together"):
            if key in fmt:
                setattr(pf, key, fmt[key])
    font = style.font
    for key in ("bold", "italic", "size", "superscript", "underline"):
        if key in fmt:
            setattr(font, key, fmt[key])
    if "color" in fmt:
        font.color.rgb = fmt["color"]
    return style


def letter_styles(document: Document) -> dict[str, str]:
    """Make sure every style the letter uses exists; return style name -> style id."""
    space = Pt(10)
    ensure_style(document, "Sender", P, size=Pt(9.5))
    ensure_style(document, "Letter Date", P, space_before=Pt(7))
    ensure_style(document, "Inside Address", P)
    ensure_style(document, "Letter Subject", P, bold=True, space_after=Pt(8))
    ensure_style(document, "Salutation", P, space_after=Pt(6))
    ensure_style(document, "Body Text", P, space_after=Pt(6))
    ensure_style(document, "Quote", P, left_indent=Inches(0.35), space_after=Pt(6))
    ensure_style(
        document, "Letter Heading", P, bold=True, space_before=space, space_after=Pt(6),
        keep_with_next=True,
    )  # fmt: skip
    ensure_style(document, "List Bullet", P, left_indent=Inches(0.25), space_after=Pt(4))
    # The closing's space after is the room for a handwritten signature (0.4in, as the PDF).
    ensure_style(
        document, "Closing", P, space_before=space, space_after=Pt(29), keep_with_next=True
    )
    ensure_style(document, "Signature", P, keep_with_next=True)
    if find_style(document, "Source", "Source") is None:
        rule_above(ensure_style(document, "Source", P, size=Pt(8)))
    ensure_style(document, "Note Reference", C, superscript=True)
    ensure_style(document, "Hyperlink", C, color=RGBColor(0x05, 0x63, 0xC1), underline=True)
    return {
        name: find_style(document, name, name.replace(" ", "")).style_id  # type: ignore[union-attr]
        for name in (
            "Sender", "Letter Date", "Inside Address", "Letter Subject", "Salutation",
            "Body Text", "Quote", "Letter Heading", "List Bullet", "Closing", "Signature",
            "Source", "Note Reference", "Hyperlink",
        )
    }  # fmt: skip


#: What may follow ``w:pBdr`` in a paragraph's properties, in the schema's order.
_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def rule_above(style: BaseStyle) -> None:
    """A thin grey rule above paragraphs of ``style`` (0.5 pt, as the PDF's source list).

    Word and LibreOffice draw one border for consecutive paragraphs that have the same one,
    so a list in this style has the rule above its first entry only.
    """
    p_pr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("val", "single"), ("sz", "4"), ("space", "1"), ("color", "777777")):
        top.set(qn(f"w:{key}"), value)
    borders.append(top)
    p_pr.insert_element_before(borders, *_AFTER_BORDER)


def house_style(document: Document) -> None:
    """The look of letters made without a reference document: the PDF's page, serif 11pt."""
    page_setup(document)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.line_spacing = 1.1
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    quote = document.styles["Quote"].paragraph_format
    quote.left_indent = quote.right_indent = Inches(0.35)
    document.styles["Quote"].font.size = Pt(10.5)
    document.styles["Quote"].font.italic = False  # as the PDF: the words are the speaker's
    document.styles["Body Text"].paragraph_format.space_after = Pt(6)
    document.styles["Quote"].paragraph_format.space_after = Pt(6)


#: Word 2010's copy of styles.xml; later versions of Word and LibreOffice read styles.xml.
RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def slim_default_template(document: Document) -> None:
    """Drop what python-docx's default template carries and a letter never uses.

    Its 100 table styles make up 310 KB of ``styles.xml`` and ``stylesWithEffects.xml``
    repeats all the styles in 440 KB more: without them a letter is 15 KB instead of 38 KB
    and is written in a third of the time. The default table style and every paragraph and
    character style stay, so Word's style gallery is unchanged for text.
    """
    styles = document.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:default")) != "1":
            styles.remove(style)
    rels = document.part.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT_STYLES_WITH_EFFECTS:
            del rels[r_id]
            rels._target_parts_by_rId.pop(r_id, None)  # python-docx keeps a second map


def drop_thumbnail(document: Document) -> None:
    """Remove the default template's preview picture, which shows some other document."""
    package = document.part.package
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[r_id]


def clear_body(document: Document) -> None:
    """Remove a reference document's content, keeping its final section properties."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
