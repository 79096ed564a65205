"""The rendered letter: a small document model that every output format reads.

A template renders to text; ``advocacy.compose`` turns that text into a :class:`Letter` made of
paragraphs whose parts are plain strings and numbered note references. Output modules
(``advocacy.formats.*``) never see Jinja: they lay out this model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from advocacy.dataset import City
from advocacy.models import Official, Quote, Sender, Tie
from advocacy.residency import district_label, is_resident
from advocacy.text import district_heading, us_date

PLACEHOLDER_NAME = "[Your name]"

_T = TypeVar("_T")


class cached_property(Generic[_T]):  # noqa: N801 - used as functools.cached_property is
    """``functools.cached_property`` without its lock (Python 3.11 takes one for every first
    read, several times a letter): the value is computed once and kept in the object's
    ``__dict__``, where later reads find it. Two threads reading it first at once may both
    compute it; the values are equal (the objects are frozen)."""

    def __init__(self, function: Callable[[Any], _T]):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


PLACEHOLDER_ADDRESS = ("[Your street address]", "[City, State ZIP]")


@dataclass(frozen=True)
class NoteRef:
    """A reference to note ``number`` at this point of a paragraph."""

    number: int


Part = str | NoteRef


@dataclass(frozen=True)
class Paragraph:
    """One block of the letter.

    ``kind`` is ``body`` (a normal paragraph), ``quote`` (a block quotation), ``heading``
    or ``list`` (``items`` holds one tuple of parts per list item).
    """

    parts: tuple[Part, ...]
    kind: str = "body"
    items: tuple[tuple[Part, ...], ...] = ()

    def plain(self, marker: str = "[{n}]") -> str:
        """Return the paragraph as plain text, with note references shown as ``marker``."""
        return parts_text(self.parts, marker)

    @cached_property
    def bare(self) -> str:
        """``plain("")``, kept: letters to one official share their paragraphs' objects."""
        return parts_text(self.parts, "")


def parts_text(parts: tuple[Part, ...], marker: str = "[{n}]") -> str:
    return "".join(p if isinstance(p, str) else marker.format(n=p.number) for p in parts)


@dataclass(frozen=True)
class Note:
    """A numbered citation of a quote: plain-text citation and the source's address."""

    number: int
    quote: Quote

    @property
    def text(self) -> str:
        return self.quote.citation()

    @property
    def url(self) -> str:
        return self.quote.url


@dataclass(frozen=True)
class Letter:
    """Everything needed to lay out one letter to one official in any format."""

    official: Official
    city: City
    tie: Tie
    sender: Sender
    date: dt.date
    template: str
    subject: str
    salutation: str
    paragraphs: tuple[Paragraph, ...]
    closing: str
    notes: tuple[Note, ...]
    short_paragraphs: tuple[Paragraph, ...]
    short_notes: tuple[Note, ...]
    warnings: tuple[str, ...] = ()
    #: Paragraphs after the signature, on a new page in print (e.g. a petition's signatures).
    appendix: tuple[Paragraph, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def date_text(self) -> str:
        return us_date(self.date)

    @property
    def sender_name(self) -> str:
        return self.sender.name or PLACEHOLDER_NAME

    @cached_property
    def sender_lines(self) -> tuple[str, ...]:
        """The sender block: name, organisation, address, phone, email."""
        lines = [self.sender_name]
        if self.sender.organisation:
            lines.append(self.sender.organisation)
        lines.extend(self.sender.address_lines or PLACEHOLDER_ADDRESS)
        if self.sender.phone:
            lines.append(self.sender.phone)
        if self.sender.email:
            lines.append(self.sender.email)
        return tuple(lines)

    @cached_property  # every format asks for it (a letter is frozen: it cannot go stale)
    def signature_lines(self) -> tuple[str, ...]:
        """Name, "Resident, District 3" (only in the sender's own city), organisation."""
        lines = [self.sender_name]
        if self.sender.district and is_resident(self.sender, self.official):
            lines.append(f"Resident, {district_label(self.sender.district)}")
        if self.sender.organisation:
            lines.append(self.sender.organisation)
        return tuple(lines)

    @property
    def recipient_lines(self) -> tuple[str, ...]:
        """The inside address: name, title (and district), office, postal address."""
        return self.address_forms()[0]

    def address_forms(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The inside address, and the same with title and office on one line.

        The print layouts use the second form when the first is too tall for the window of
        the envelope (see ``advocacy.formats.window``).
        """
        return address_forms(self.official)

    @property
    def has_placeholders(self) -> bool:
        return self.sender.is_placeholder or not self.sender.address_lines


def address_forms(official: Official) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The official's postal address: name, title (and district), office, address lines;
    and the same with the title and the office joined on one line."""
    name = f"{official.honorific} {official.name}" if official.honorific else official.name
    title = official.display_title
    if official.district and official.role == "council_member":
        title = f"{title}, {district_heading(official.district)}"
    office: list[str] = []
    address: list[str] = []
    if official.address:
        address = official.address.splitlines()
        if not any(official.city.lower() in line.lower() for line in address[:-1]):
            office = [f"City of {official.city}"]
    else:
        office = [f"City of {official.city}"]
        address = [f"{official.city}, {official.state}"]
    full = (name, title, *office, *address)
    joined = (name, ", ".join((title, *office)), *address)
    return full, joined
