"""Plain-text letters (.txt), and the plain-text bodies the email formats share."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from advocacy.formats import Style
from advocacy.letter import Letter, Note, Paragraph, Part, parts_text

SUFFIX = ".txt"
WIDTH = 72


_TEXTWRAP_SPACE = frozenset("\t\n\x0b\x0c\r")


def fill_lines(text: str, width: int, first: str, indent: str) -> list[str]:
    """``textwrap.wrap(text, width, initial_indent=first, subsequent_indent=indent,
    break_long_words=False, break_on_hyphens=False)``, many times faster for text of single spaces
    (what letters hold); other text goes to textwrap itself."""
    if (
        not text
        or "  " in text
        or text[0] == " "
        or text[-1] == " "
        or (not _TEXTWRAP_SPACE.isdisjoint(text))
    ):
        return textwrap.wrap(
            text,
            width,
            initial_indent=first,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
    # Single spaces only: each line ends at the last space that keeps it within the width
    # (found by str.rfind, not word by word); a word longer than the width gets a line alone.
    lines: list[str] = []
    prefix, start, end = first, 0, len(text)
    while True:
        room = width - len(prefix)
        if end - start <= room:
            lines.append(prefix + text[start:])
            return lines
        cut = text.rfind(" ", start, start + room + 1) if room > 0 else -1
        if cut < 0:
            cut = text.find(" ", start)
            if cut < 0:
                lines.append(prefix + text[start:])
                return lines
        lines.append(prefix + text[start:cut])
        prefix, start = indent, cut + 1


def paragraph_lines(paragraph: Paragraph, width: int | None) -> list[str]:
    """Lay out one paragraph; ``width=None`` keeps each paragraph on one line (for email)."""

    def wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
        if width is None:
            return [(first if first is not None else indent) + text]
        return fill_lines(text, width, first if first is not None else indent, indent) or [indent]

    if paragraph.kind == "list":
        lines: list[str] = []
        for item in paragraph.items:
            lines.extend(wrap(parts_text(item), "  ", "- "))
        return lines
    if paragraph.kind == "quote":
        return wrap(quoted(paragraph.parts), "    ")
    text = paragraph.plain()
    if paragraph.kind == "heading":
        return wrap(text.upper())
    return wrap(text)


def quoted(parts: tuple[Part, ...], marker: str = "[{n}]") -> str:
    """A block quotation in quotation marks, its note markers after the closing mark."""
    body = list(parts)
    trailing: list[Part] = []
    while body and not isinstance(body[-1], str):
        trailing.insert(0, body.pop())
    return f"“{parts_text(tuple(body), marker)}”{parts_text(tuple(trailing), marker)}"


#: Paragraphs (and source lists) already laid out, by value and width: letters to one official
#: share most of their paragraphs. Emptied when full (a supporter's own paragraphs differ).
_LAID_OUT: dict[tuple[object, int | None], Any] = {}
MAX_LAID_OUT = 4096


def _remember(key: tuple[object, int | None], value: Any) -> Any:
    if len(_LAID_OUT) >= MAX_LAID_OUT:
        _LAID_OUT.clear()
    _LAID_OUT[key] = value
    return value


#: The same by the paragraph's identity (with the paragraph, so its id is not reused): a
#: letter's paragraphs are mostly the very objects of the letters before it (compose.py keeps
#: them), and hashing a paragraph cost more than finding it this way.
_BY_ID: dict[tuple[int, int | None], tuple[Paragraph, str]] = {}
#: A letter's notes (a tuple) by identity, with their "Sources" list (compose.py keeps them).
_NOTES_BY_ID: dict[tuple[int, int | None], tuple[tuple[Note, ...], tuple[str, ...]]] = {}


def block(paragraph: Paragraph, width: int | None) -> str:
    """One paragraph laid out (see :func:`paragraph_lines`), its lines joined."""
    same = _BY_ID.get((id(paragraph), width))
    if same is not None and same[0] is paragraph:
        return same[1]
    key = (paragraph, width)
    found = _LAID_OUT.get(key)
    if found is None:
        found = _remember(key, "\n".join(paragraph_lines(paragraph, width)))
    if len(_BY_ID) >= MAX_LAID_OUT:
        _BY_ID.clear()
    _BY_ID[(id(paragraph), width)] = (paragraph, found)
    return found  # type: ignore[no-any-return]


def blocks(paragraphs: Sequence[Paragraph], width: int | None) -> list[str]:
    return [block(p, width) for p in paragraphs]


def sources(notes: Sequence[Note], width: int | None) -> list[str]:
    """The numbered "Sources" list."""
    if not notes:
        return []
    same = _NOTES_BY_ID.get((id(notes), width))  # mostly the very tuple of the last letter
    if same is not None and same[0] is notes:
        return list(same[1])
    key = (tuple(notes), width)
    found = _LAID_OUT.get(key)
    if found is None:
        found = _remember(key, _sources(notes, width))
    if type(notes) is tuple:
        if len(_NOTES_BY_ID) >= MAX_LAID_OUT:
            _NOTES_BY_ID.clear()
        _NOTES_BY_ID[(id(notes), width)] = (notes, found)
    return list(found)


def _sources(notes: Sequence[Note], width: int | None) -> tuple[str, ...]:
    lines = ["Sources"]
    for note in notes:
        entry = f"[{note.number}] {note.text}"
        if width is None:
            lines.append(entry)
        else:
            lines.extend(fill_lines(entry, width, "", "    "))
    return ("\n".join(lines),)


def letter_text(letter: Letter) -> str:
    """The whole printed letter as text: sender, date, address, body, signature, sources."""
    parts = [
        "\n".join(letter.sender_lines),
        letter.date_text,
        "\n".join(letter.recipient_lines),
        f"Re: {letter.subject}",
        letter.salutation,
        *blocks(letter.paragraphs, WIDTH),
        letter.closing + "\n\n\n" + "\n".join(letter.signature_lines),
        *blocks(letter.appendix, WIDTH),
        *sources(letter.notes, WIDTH),
    ]
    return "\n\n".join(parts) + "\n"


def signature_block(letter: Letter) -> str:
    lines = [letter.closing, "", *letter.signature_lines]
    lines.extend(letter.sender.address_lines)
    for extra in (letter.sender.phone, letter.sender.email):
        if extra:
            lines.append(extra)
    return "\n".join(lines)


def email_text(
    letter: Letter,
    paragraphs: Sequence[Paragraph] | None = None,
    notes: Sequence[Note] | None = None,
) -> str:
    """An email body: salutation, paragraphs (one line each), signature, sources."""
    return "\n\n".join(email_parts(letter, paragraphs, notes)) + "\n"


def email_parts(
    letter: Letter,
    paragraphs: Sequence[Paragraph] | None = None,
    notes: Sequence[Note] | None = None,
) -> list[str]:
    """The blocks of :func:`email_text`, before they are joined by blank lines."""
    chosen = letter.paragraphs if paragraphs is None else paragraphs
    cited = letter.notes if notes is None else notes
    appendix = letter.appendix if paragraphs is None else ()
    return [
        letter.salutation,
        *blocks(chosen, None),
        signature_block(letter),
        *blocks(appendix, None),
        *sources(cited, None),
    ]


class Renderer:
    """Render the plain letter as UTF-8 text."""

    def __init__(self, style: Style):
        self.style = style

    def render(self, letter: Letter) -> bytes:
        return letter_text(letter).encode("utf-8")
