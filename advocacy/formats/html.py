"""The print layout of a letter as HTML: the page that WeasyPrint turns into a PDF.

The layout is the template ``letter.html.j2`` and the stylesheet ``letter.css``, both looked up
along the template folders, so a user's ``templates/`` folder can override either. The layout
environment autoescapes: every value taken from the data prints as text, never as markup.

The template does not walk :class:`~advocacy.letter.Paragraph` parts itself: :func:`blocks`
turns them into :class:`Block` objects made of :class:`Segment` objects. Citations are printed
once, in a numbered source list at the end of the letter (:func:`sources`); the text carries
only their numbers. (WeasyPrint's footnotes, ``float: footnote``, cost about a tenth of a
letter's CPU time: the page is laid out again as each footnote is added.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from advocacy import __version__
from advocacy.exceptions import RenderFailed, TemplateFailed
from advocacy.formats import Style
from advocacy.formats.window import AddressFit, fit_address
from advocacy.letter import Letter, Note, NoteRef, Part
from advocacy.templating import shared_environment, template_error
from advocacy.typography import keep_last_words_together

LAYOUT = "letter.html.j2"
STYLESHEET = "letter.css"
GENERATOR = f"advocacy {__version__}"
#: Only these links become clickable; anything else in a citation prints as plain text.
LINK_SCHEMES = ("https://", "http://")


@dataclass(frozen=True)
class Segment:
    """A piece of a paragraph: ``text``, or a ``ref``: the number of a source it cites."""

    kind: str
    text: str = ""
    number: int = 0


@dataclass(frozen=True)
class Block:
    """A paragraph ready for the layout: ``kind`` is body, quote, heading or list."""

    kind: str
    segments: tuple[Segment, ...]
    items: tuple[tuple[Segment, ...], ...] = ()


@dataclass(frozen=True)
class Source:
    """One entry of the letter's numbered source list: the citation and its address."""

    number: int
    text: str
    url: str
    #: the address when it may become a link (see :func:`link_url`), else an empty string
    link: str


def citation_text(note: Note) -> str:
    """The citation without the trailing address (the layout prints the address as a link)."""
    text = note.text
    if note.url and text.endswith(note.url):
        text = text[: -len(note.url)]
    return text.rstrip()


def link_url(url: str) -> str:
    """``url`` if it is a web address that may become a link, else an empty string."""
    return url if url.lower().startswith(LINK_SCHEMES) else ""


def _references(parts: Sequence[Part]) -> Iterator[int]:
    return (part.number for part in parts if isinstance(part, NoteRef))


def source_numbers(letter: Letter) -> dict[int, int]:
    """The number each note is printed with: sources are numbered in the order the letter
    first cites them (the paragraphs, then the appendix), then any note it never cites.

    The composer numbers notes in that order already; a hand-made letter may not.
    """
    order: dict[int, None] = {}
    for paragraph in (*letter.paragraphs, *letter.appendix):
        for parts in (paragraph.parts, *paragraph.items):
            order.update(dict.fromkeys(_references(parts)))
    order.update(dict.fromkeys(sorted(note.number for note in letter.notes)))
    return {number: index for index, number in enumerate(order, start=1)}


def sources(letter: Letter) -> tuple[Source, ...]:
    """The letter's source list, in printed order: each note once, with its printed number.

    PDF and DOCX print citations once, in this list at the end of the letter, and only the
    number (in superscript) where the text cites them.
    """
    numbers = source_numbers(letter)
    notes = sorted(letter.notes, key=lambda note: numbers[note.number])
    return tuple(
        Source(numbers[note.number], citation_text(note), note.url, link_url(note.url))
        for note in notes
    )


def blocks(letter: Letter) -> tuple[Block, ...]:
    """The letter's paragraphs, then its appendix, as blocks; a note reference is its number."""
    known = {note.number for note in letter.notes}
    numbers = source_numbers(letter)

    def segments(parts: Sequence[Part]) -> tuple[Segment, ...]:
        out: list[Segment] = []
        for part in parts:
            if isinstance(part, NoteRef):
                if part.number not in known:
                    raise RenderFailed(f"the letter refers to note {part.number}, which it lacks")
                out.append(Segment("ref", number=numbers[part.number]))
            elif part:
                out.append(Segment("text", text=part))
        return tuple(out)

    result = []
    for paragraph in (*letter.paragraphs, *letter.appendix):
        items = tuple(segments(item) for item in paragraph.items)
        result.append(Block(paragraph.kind, segments(paragraph.parts), items))
    return tuple(result)


def description(letter: Letter) -> str:
    """The document's description (a PDF's Subject, a DOCX's subject)."""
    official = letter.official
    return f"Letter to {official.display_title} {official.name}, {letter.city.label}"


def keywords(letter: Letter) -> tuple[str, ...]:
    """Document keywords; none contains a comma, as PDF readers split keywords on commas."""
    words = [
        "sister cities",
        f"{letter.city.name} {letter.city.state}",
        letter.tie.russian_city,
        "Russia",
        "advocacy letter",
    ]
    seen: list[str] = []
    for word in words:
        word = " ".join(word.replace(",", " ").split())
        if word and word not in seen:
            seen.append(word)
    return tuple(seen)


def find_stylesheet(style: Style) -> Path | None:
    """The stylesheet to use: ``style.stylesheet``, else the first ``letter.css`` found."""
    if style.stylesheet is not None:
        return Path(style.stylesheet)
    for folder in style.template_folders:
        candidate = Path(folder) / STYLESHEET
        if candidate.is_file():
            return candidate
    return None


def read_stylesheet(style: Style) -> str:
    path = find_stylesheet(style)
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TemplateFailed(f"cannot read stylesheet: {err}", str(path)) from err


def style_markup(css: str) -> Markup:
    """CSS to inline in a ``<style>`` element, unable to close that element early."""
    return Markup(css.replace("</", "<\\/"))


def find_in_folders(folders: Sequence[Path], relative: str) -> Path | None:
    """The first file ``relative`` found inside one of ``folders`` (never outside them)."""
    for folder in folders:
        root = Path(folder).resolve()
        candidate = (root / relative).resolve()
        if candidate.is_file() and candidate.is_relative_to(root):
            return candidate
    return None


def letterhead_context(style: Style) -> dict[str, Any]:
    """``style.letterhead`` with the keys the layout reads always present.

    ``logo`` becomes the ``file:`` address of the logo found along the template folders, or
    an empty string when there is no logo or it is not inside a template folder.
    """
    head = dict(style.letterhead or {})
    logo = str(head.get("logo") or "")
    found = find_in_folders(style.template_folders, logo) if logo else None
    head["logo"] = found.as_uri() if found else ""
    head["organisation"] = str(head.get("organisation") or "")
    lines = head.get("lines") or ()
    head["lines"] = (lines,) if isinstance(lines, str) else tuple(str(line) for line in lines)
    return head


def layout(style: Style) -> jinja2.Template:
    """The layout template, compiled once per set of template folders."""
    try:
        return shared_environment(tuple(style.template_folders), html=True).get_template(LAYOUT)
    except jinja2.TemplateError as err:
        raise template_error(err, LAYOUT) from err


def window_address(letter: Letter) -> AddressFit:
    """The inside address fitted to the envelope window (lines, type size, position)."""
    full, joined = letter.address_forms()
    return fit_address(full, joined)


def render_html(
    letter: Letter, style: Style, *, inline_stylesheet: bool = True, compact: bool = False
) -> str:
    """Render the letter's print layout to an HTML string (deterministic).

    With ``inline_stylesheet=False`` the page carries no ``<style>`` element: the caller
    applies the stylesheet itself (the PDF renderer parses it once and reuses it).
    ``compact=True`` sets the class ``compact`` on the body: tighter spacing, the same type
    size, for a letter that runs a little over one page.
    """
    css = read_stylesheet(style) if inline_stylesheet else ""
    created = dt.datetime.combine(letter.date, dt.time(), dt.UTC)
    all_blocks = blocks(letter)
    context = {
        "letter": letter,
        "blocks": all_blocks[: len(letter.paragraphs)],
        "appendix": all_blocks[len(letter.paragraphs) :],
        "sources": sources(letter),
        "address": window_address(letter),
        "subject": keep_last_words_together(letter.subject),
        "fold_marks": style.fold_marks,
        "compact": compact,
        "stylesheet": style_markup(css) if css else "",
        "letterhead": letterhead_context(style),
        "description": description(letter),
        "keywords": keywords(letter),
        "generator": GENERATOR,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    template = layout(style)
    try:
        return template.render(context)
    except Exception as err:  # any failure inside the layout: report file and line
        raise template_error(err, LAYOUT) from err
