"""Compose letters: choose the quotes for a city, render a template, parse it into a Letter.

The template context (documented in the README):

``official``   the Official (name, title, role, district, email, address, source, as_of, ...)
``city``       the City (name, state, label) and ``tie``, its sister-city tie (russian_city,
               status: kept | dormant | suspended | terminated | unknown, status_date,
               decided_by: city | council | mayor | nonprofit | unknown, decided_by_city,
               decision_source, ...)
``sender``     the sender; missing fields show as placeholders such as ``[Your name]``
``date``       the letter's date (a ``datetime.date``) and ``date_text`` ("June 3, 2022")
``quotes``     the passages chosen for this city: ``quotes.city`` (the passage that names the
               city, or none), ``quotes.brotherhood``, ``quotes.murderers``, ``quotes.tyrants``,
               ``quotes.patronage``; ``quotes.all`` lists every passage
``salutation`` "Dear Mayor Mahan", "Dear Councilmember Campos"
helpers        ``quote(q)`` an inline quotation with its note, ``blockquote(q)`` a quotation as
               its own paragraph, ``cite(q)`` just the note, ``address_block()`` the inside
               address; plus whatever extra variables a command passes (``meeting_date``,
               ``agenda_item``, ``petition``)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from advocacy.blockmemo import tracked
from advocacy.budget import OverBudget, letter_budget, render_bounded
from advocacy.dataset import City
from advocacy.exceptions import TemplateFailed
from advocacy.letter import (
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_NAME,
    Letter,
    Note,
    NoteRef,
    Paragraph,
    Part,
)
from advocacy.models import Official, Quote, Sender
from advocacy.residency import district_label, is_constituent, is_resident, place_of
from advocacy.templating import (
    Marked,
    TemplateInfo,
    clean_value,
    template_error,
    template_helper,
)
from advocacy.terms import ENDING_WITHIN_DAYS
from advocacy.text import long_date as format_date
from advocacy.text import name_key, us_date

NOTE_OPEN, NOTE_CLOSE = "\ue000", "\ue001"
BLOCKQUOTE = "\ue002"
LITERAL = "\ue003"  # a paragraph printed as written: no list, heading or quotation
SECTION_OPEN, SECTION_CLOSE = "\ue010", "\ue011"
SECTIONS = ("subject", "salutation", "body", "closing", "short")  # required; "appendix" is not
WORDING_PREFERENCE = ("official", "interfax", "ukrinform", "spoken")
_NOTE = re.compile(f"{NOTE_OPEN}([^{NOTE_CLOSE}]*){NOTE_CLOSE}")
_SECTION = re.compile(f"{SECTION_OPEN}([a-z]+){SECTION_CLOSE}")


# -- choosing quotes -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteSet:
    """The passages chosen for one city, each in one outlet's wording."""

    city: Quote | None
    brotherhood: Quote | None
    murderers: Quote | None
    tyrants: Quote | None
    patronage: Quote | None
    all: tuple[Quote, ...]


def _best(quotes: Sequence[Quote], topic: str) -> Quote | None:
    matching = [q for q in quotes if topic in q.topics]
    matching.sort(key=lambda q: WORDING_PREFERENCE.index(q.wording))
    return matching[0] if matching else None


def _names_city(quote: Quote, city: City) -> bool:
    """True when the passage names both this US city and its Russian partner."""
    text = name_key(quote.text)
    us_named = f" {name_key(city.name)} " in f" {text} "
    partners = {name_key(n) for t in city.ties for n in (t.russian_city, *t.russian_city_alt)}
    return us_named and any(f" {p} " in f" {text} " for p in partners)


#: (id(city), id(quotes)) -> (city, quotes, their QuoteSet); the objects are kept, so their
#: ids are not reused. By identity: hashing a city and every quote cost more than choosing.
_QUOTE_SETS: dict[tuple[int, int], tuple[City, Sequence[Quote], QuoteSet]] = {}
MAX_QUOTE_SETS = 256


def _quotes_for(city: City, quotes: Sequence[Quote]) -> QuoteSet:
    """select_quotes(), once a city: a packet asks again for every letter to that city."""
    if type(quotes) is not tuple:
        quotes = tuple(quotes)  # a list could change under the same id
    found = _QUOTE_SETS.get((id(city), id(quotes)))
    if found is not None:
        return found[2]
    chosen = select_quotes(city, quotes)
    if len(_QUOTE_SETS) >= MAX_QUOTE_SETS:
        _QUOTE_SETS.clear()
    _QUOTE_SETS[(id(city), id(quotes))] = (city, quotes, chosen)
    return chosen


def select_quotes(city: City, quotes: Sequence[Quote]) -> QuoteSet:
    """Choose the passages for ``city``: the one that names it, then the general ones."""
    naming = [q for q in quotes if _names_city(q, city)]
    naming.sort(key=lambda q: WORDING_PREFERENCE.index(q.wording))
    return QuoteSet(
        city=naming[0] if naming else None,
        brotherhood=_best(quotes, "brotherhood"),
        murderers=_best(quotes, "murderers"),
        tyrants=_best(quotes, "tyrants"),
        patronage=_best(quotes, "patronage"),
        all=tuple(quotes),
    )


# -- the context -----------------------------------------------------------------------------


@tracked
@dataclass(frozen=True)
class SenderView:
    """The sender as templates see it: missing name and address show as placeholders.

    ``city``, ``state`` and ``zip`` say where the sender lives ("" when unknown); ``place`` is
    the city as a letter names it ("San José", or "Portland, ME" when the official's city has
    the same name). What a letter may claim about the sender, for this official:
    ``is_resident`` (lives in the official's city) and ``is_constituent`` (a resident whom the
    official represents: the mayor, an at-large member, or the member for the sender's
    district).
    """

    name: str
    address_lines: tuple[str, ...]
    email: str
    phone: str
    district: str
    organisation: str
    is_placeholder: bool
    city: str = ""
    state: str = ""
    zip: str = ""
    place: str = ""
    is_resident: bool = False
    is_constituent: bool = False

    @classmethod
    def of(cls, sender: Sender, official: Official | None = None) -> SenderView:
        home = place_of(sender)
        resident = official is not None and is_resident(sender, official)
        place = home.city if home else ""
        if home and official and not resident and name_key(home.city) == name_key(official.city):
            place = f"{home.city}, {home.state}"
        return cls(
            name=sender.name or PLACEHOLDER_NAME,
            address_lines=sender.address_lines or PLACEHOLDER_ADDRESS,
            email=sender.email or "",
            phone=sender.phone or "",
            district=district_label(sender.district),
            organisation=sender.organisation or "",
            is_placeholder=sender.is_placeholder,
            city=home.city if home else "",
            state=home.state if home else "",
            zip=home.zip if home else "",
            place=place,
            is_resident=resident,
            is_constituent=official is not None and is_constituent(sender, official),
        )


def salutation_for(official: Official) -> str:
    """Return "Dear Mayor Mahan" / "Dear Councilmember Campos" / "Dear Councilor Morillo"."""
    title = official.display_title
    if official.role == "council_member" and title.lower() in ("council member", "councilmember"):
        title = "Councilmember"
    return f"Dear {title} {official.surname}"


def _quote_text(quote: Quote) -> str:
    return clean_value(quote.text)


@template_helper
def quote(q: Quote | None) -> Marked:
    """An inline quotation with its note."""
    if q is None:
        return Marked("")
    return Marked(f"“{_quote_text(q)}”{NOTE_OPEN}{q.id}{NOTE_CLOSE}")


@template_helper
def blockquote(q: Quote | None) -> Marked:
    """A quotation as a paragraph of its own."""
    if q is None:
        return Marked("")
    # Blank lines around it: a block quotation is always a paragraph of its own.
    return Marked(f"\n\n{BLOCKQUOTE}{_quote_text(q)}{NOTE_OPEN}{q.id}{NOTE_CLOSE}\n\n")


@template_helper
def cite(q: Quote | None) -> Marked:
    """Just the note of a quotation."""
    return Marked("" if q is None else f"{NOTE_OPEN}{q.id}{NOTE_CLOSE}")


@template_helper
def long_date(value: Any) -> str:
    """Format "2022-03-08" as "March 8, 2022" ("2022-03" as "March 2022")."""
    return format_date(clean_value(value))


@template_helper
def literal(value: Any) -> Marked:
    """A paragraph of its own, printed exactly as written (a supporter's note)."""
    text = clean_value(value).strip()
    return Marked(f"\n\n{LITERAL}{text}\n\n" if text else "")


@template_helper
def section(name: str) -> Marked:
    """The marker that starts a section of the letter (``_letter.j2``)."""
    if type(name) is str:
        return _section(name)  # six a letter, the same six
    return Marked(f"\n\n{SECTION_OPEN}{name}{SECTION_CLOSE}\n\n")


@lru_cache(maxsize=64)
def _section(name: str) -> Marked:
    return Marked(f"\n\n{SECTION_OPEN}{name}{SECTION_CLOSE}\n\n")


#: The helpers every template sees: module-level functions, shared by every letter.
HELPERS: dict[str, Any] = {
    "quote": quote,
    "blockquote": blockquote,
    "cite": cite,
    "section": section,
    "literal": literal,
    "long_date": long_date,
}


def build_context(
    official: Official,
    city: City,
    sender: Sender,
    date: dt.date,
    quotes: Sequence[Quote],
    extras: dict[str, Any] | None = None,
    personal: str = "",
) -> dict[str, Any]:
    """Return the variables a letter template sees."""
    context: dict[str, Any] = dict(extras or {})
    context["personal"] = personal
    context.update(HELPERS)
    recipient = official

    def address_block() -> str:
        lines = [official.name, official.display_title]
        if recipient.address:
            lines.extend(recipient.address.splitlines())
        return "; ".join(lines)

    context.update(
        official=official,
        city=city,
        tie=city.tie,
        sender=SenderView.of(sender, official),
        date=date,
        date_text=us_date(date),
        quotes=_quotes_for(city, quotes),
        salutation=salutation_for(official),
        address_block=address_block,
    )
    return context


# -- rendering and parsing -------------------------------------------------------------------


def render_template(
    environment: jinja2.Environment, info: TemplateInfo, context: dict[str, Any]
) -> str:
    """Render a letter template to marked-up text; Jinja errors name the template and line.

    The rendering is bounded in time, memory and size (:mod:`advocacy.budget`): a template
    over a limit fails this letter with its file and line.
    """
    try:
        with letter_budget():
            template = environment.get_template(info.path.name)
            return render_bounded(template, context)
    except TemplateFailed:
        raise
    except RecursionError as err:
        # A user template that extends its own name ("mayor.j2" inside templates/mayor.j2)
        # finds itself again along the search path.
        raise TemplateFailed(
            "templates extend or include each other in a loop; to extend the built-in "
            f'template of the same name write {{% extends "builtin:{info.path.name}" %}}',
            str(info.path),
        ) from err
    except jinja2.TemplateError as err:
        raise template_error(err, str(info.path)) from err
    except (
        OverBudget,
        OverflowError,
        TypeError,
        ValueError,
        AttributeError,
        ZeroDivisionError,
        KeyError,
        IndexError,
    ) as err:
        failure = template_error(err, str(info.path))
        failure.exhausted = getattr(err, "exhausted", False)
        raise failure from err


def split_sections(text: str, template: str) -> dict[str, str]:
    """Split rendered text at the section markers the layout ``_letter.j2`` puts in."""
    sections = _marked_sections(text)
    if sections is None:
        pieces = _SECTION.split(text)
        sections = {"subject": pieces[0]}
        for name, body in zip(pieces[1::2], pieces[2::2], strict=True):
            sections[name] = body
    missing = [name for name in SECTIONS if name not in sections]
    if missing:
        raise TemplateFailed(
            f"missing section(s) {', '.join(missing)}: letter templates must extend "
            '"_letter.j2" (or a built-in letter)',
            template,
        )
    return sections


def _marked_sections(text: str) -> dict[str, str] | None:
    """What ``_SECTION.split`` gives, found with ``str.split`` (a third fewer instructions
    over a letter than the regular expression); None when a marker is not ``[a-z]+`` and
    its close, or a marker is missing."""
    pieces = text.split(SECTION_OPEN)
    sections = {"subject": pieces[0]}
    for piece in pieces[1:]:
        name, close, body = piece.partition(SECTION_CLOSE)
        if not close or not (name.isascii() and name.isalpha() and name.islower()):
            return None
        sections[name] = body
    return sections


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _parts(text: str, numbering: dict[str, int]) -> tuple[Part, ...]:
    parts: list[Part] = []
    for index, piece in enumerate(_NOTE.split(text)):
        if index % 2:
            number = numbering.setdefault(piece, len(numbering) + 1)
            parts.append(NoteRef(number))
        elif piece:
            parts.append(piece)
    return tuple(parts)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
#: Blocks already parsed: a block without notes -> its paragraph; a block with notes and the
#: note numbers given so far -> its paragraph and the numbers after it. Letters to one
#: official share most paragraphs; emptied when full (a supporter's own paragraphs differ).
_PARSED: dict[Any, tuple[Paragraph, tuple[tuple[str, int], ...]]] = {}
MAX_PARSED = 4096


def parse_paragraphs(text: str, numbering: dict[str, int]) -> tuple[Paragraph, ...]:
    """Parse blank-line separated text into paragraphs, numbering notes as they appear.

    Within a paragraph, lines are joined with spaces; a paragraph whose lines all start with
    "- " is a list, one starting with "## " is a heading, and one made by ``blockquote()`` is
    a quotation.
    """
    paragraphs = []
    if "\r" in text:  # finding none costs a tenth of replacing none
        text = text.replace("\r\n", "\n")
    for block in _BLANK_LINE.split(text):
        key: Any = block
        if NOTE_OPEN in block:
            key = (block, tuple(numbering.items()))
        found = _PARSED.get(key)
        if found is not None:
            paragraph, numbers = found
            if numbers:
                numbering.update(numbers)
        else:
            paragraph = _parse_block(block, numbering)
            if len(_PARSED) >= MAX_PARSED:
                _PARSED.clear()
            _PARSED[key] = (paragraph, tuple(numbering.items()) if key is not block else ())
        if paragraph is not _EMPTY:
            paragraphs.append(paragraph)
    return tuple(paragraphs)


_EMPTY = Paragraph(())  # a block of blank lines: no paragraph


def _parse_block(block: str, numbering: dict[str, int]) -> Paragraph:
    lines = [line for line in map(str.strip, block.splitlines()) if line]
    if not lines:
        return _EMPTY
    first = lines[0]
    if first.startswith(LITERAL):
        joined = " ".join(" ".join(lines).replace(LITERAL, "").split())
        return Paragraph(_parts(joined, numbering), "body")
    if all(line.startswith("- ") for line in lines):
        items = tuple(_parts(_one_line(line[2:]), numbering) for line in lines)
        return Paragraph((), "list", items)
    if first.startswith("## "):
        return Paragraph(_parts(_one_line(" ".join(lines)[3:]), numbering), "heading")
    joined = _one_line(" ".join(lines).replace(BLOCKQUOTE, ""))
    return Paragraph(_parts(joined, numbering), "quote" if first.startswith(BLOCKQUOTE) else "body")


#: The quote set in use by its quotes' ids, and the notes already made from it: a letter's notes are
#: mostly the very tuple of the letters before it, which the formats then find by identity
#: (hashing the notes hashed every field of their quotes, several times a letter).
_QUOTES_BY_ID: dict[int, tuple[Sequence[Quote], dict[str, Quote]]] = {}
_NOTE_TUPLES: dict[tuple[int, tuple[tuple[str, int], ...]], tuple[Note, ...]] = {}
MAX_NOTE_TUPLES = 1024


def _notes(numbering: dict[str, int], quotes: Sequence[Quote], template: str) -> tuple[Note, ...]:
    if type(quotes) is not tuple:  # a list could change between letters: made anew
        return _made_notes(numbering, {q.id: q for q in quotes}, template)
    found = _QUOTES_BY_ID.get(id(quotes))
    if found is None or found[0] is not quotes:
        # a new quote set: the notes kept are forgotten with the sets they were made from,
        # so that no note is found by the id of a set that is gone
        _QUOTES_BY_ID.clear()
        _NOTE_TUPLES.clear()
        found = _QUOTES_BY_ID[id(quotes)] = (quotes, {q.id: q for q in quotes})
    by_id = found[1]
    key = (id(quotes), tuple(numbering.items()))
    made = _NOTE_TUPLES.get(key)
    if made is None:
        made = _made_notes(numbering, by_id, template)
        if len(_NOTE_TUPLES) >= MAX_NOTE_TUPLES:
            _NOTE_TUPLES.clear()
        _NOTE_TUPLES[key] = made
    return made


def _made_notes(
    numbering: dict[str, int], by_id: dict[str, Quote], template: str
) -> tuple[Note, ...]:
    notes = []
    for quote_id, number in numbering.items():
        if quote_id not in by_id:
            raise TemplateFailed(f"cites unknown quote {quote_id!r}", template)
        notes.append(Note(number, by_id[quote_id]))
    return tuple(sorted(notes, key=lambda n: n.number))


def compose_letter(
    environment: jinja2.Environment,
    info: TemplateInfo,
    official: Official,
    city: City,
    sender: Sender,
    date: dt.date,
    quotes: Sequence[Quote],
    extras: dict[str, Any] | None = None,
    *,
    personal: str = "",
) -> Letter:
    """Render ``info`` for one official and return the Letter every format is made from.

    ``personal`` is a supporter's own paragraph: templates print it with ``literal()`` in the
    ``personal`` block, as written (never as a template, never as a list or heading).
    """
    context = build_context(official, city, sender, date, quotes, extras, personal)
    context.setdefault("salutation_punctuation", info.salutation_punctuation)
    sections = split_sections(render_template(environment, info, context), str(info.path))
    body_numbers: dict[str, int] = {}
    short_numbers: dict[str, int] = {}
    paragraphs = parse_paragraphs(sections["body"], body_numbers)
    appendix = parse_paragraphs(sections.get("appendix", ""), body_numbers)
    short = parse_paragraphs(sections["short"], short_numbers)
    warnings = []
    if not official.address:
        warnings.append("no postal address: the printed letter cannot be mailed")
    if not official.email:
        warnings.append("no email address: no mailto link or email draft")
    if official.email_derived:
        warnings.append(f"email {official.email} is derived from a pattern; check it")
    if official.term_end:
        left = (dt.date.fromisoformat(official.term_end) - date).days
        if 0 <= left <= ENDING_WITHIN_DAYS:
            warnings.append(
                f"term ends {official.term_end}, {left} days after the letter's date; "
                "check who takes the seat"
            )
    return Letter(
        official=official,
        city=city,
        tie=city.tie,
        sender=sender,
        date=date,
        template=info.name,
        subject=_one_line(_NOTE.sub("", sections["subject"])),
        salutation=_one_line(sections["salutation"]),
        paragraphs=paragraphs,
        closing=_one_line(sections["closing"]),
        notes=_notes(body_numbers, quotes, str(info.path)),
        short_paragraphs=short,
        short_notes=_notes(short_numbers, quotes, str(info.path)),
        warnings=tuple(warnings),
        appendix=appendix,
        extras=dict(extras or {}),
    )


def word_count(paragraphs: Sequence[Paragraph]) -> int:
    """Count the words a reader would say aloud (note markers are not words)."""
    words = 0
    for paragraph in paragraphs:
        texts = [paragraph.plain("")] + [
            "".join(p for p in item if isinstance(p, str)) for item in paragraph.items
        ]
        words += sum(len(text.split()) for text in texts)
    return words
