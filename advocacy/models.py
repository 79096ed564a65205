"""Plain data records shared by every module: ties, officials, quotes, senders and problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

TIE_STATUSES = ("kept", "dormant", "suspended", "terminated", "unknown")
#: Who took the decision a tie's status records. ``city`` is an act of the city government that
#: is not the council's or the mayor's alone (a city manager, the administration).
DECIDERS = ("city", "council", "mayor", "nonprofit", "unknown")
#: The deciders that are the city itself: only these let a letter thank the city for a decision.
CITY_DECIDERS = ("city", "council", "mayor")
#: The dates that describe an official's term, each 'YYYY-MM-DD' or None.
TERM_FIELDS = ("term_start", "term_end", "elected", "next_election")
ROLES = ("mayor", "council_member")
WORDINGS = ("official", "ukrinform", "interfax", "spoken")


@dataclass(frozen=True)
class Tie:
    """A sister-city tie between a US and a Russian city, with its status after February 2022."""

    id: str
    us_city: str
    state: str
    russian_city: str
    status: str
    source: str
    as_of: str
    russian_city_alt: tuple[str, ...] = ()
    established: str | None = None
    status_date: str | None = None
    status_note: str | None = None
    sources: tuple[str, ...] = ()
    confidence: str | None = None
    decided_by: str = "unknown"
    decision_source: str | None = None

    @property
    def city_key(self) -> tuple[str, str]:
        return (self.us_city, self.state)

    @property
    def decided_by_city(self) -> bool:
        """True when the city itself (its government, council or mayor) took the decision."""
        return self.decided_by in CITY_DECIDERS

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["russian_city_alt"] = list(self.russian_city_alt)
        data["sources"] = list(self.sources)
        return data


@dataclass(frozen=True)
class Official:
    """A mayor or council member, as loaded from the embedded data or a user's contact file."""

    name: str
    role: str
    city: str
    state: str
    id: str = ""
    given_name: str | None = None
    family_name: str | None = None
    honorific: str | None = None
    title: str | None = None
    district: str | None = None
    email: str | None = None
    email_derived: bool = False
    phone: str | None = None
    address: str | None = None
    source: str | None = None
    as_of: str | None = None
    stale: bool = False
    note: str | None = None
    term_start: str | None = None
    term_end: str | None = None
    elected: str | None = None
    next_election: str | None = None
    origin: str = field(default="", compare=False)

    @property
    def city_key(self) -> tuple[str, str]:
        return (self.city, self.state)

    @property
    def has_term_facts(self) -> bool:
        """True when any term date is known; then ``stale`` is derived from them, not the flag."""
        return any(getattr(self, name) for name in TERM_FIELDS)

    def out_of_office(self, on: dt.date) -> str | None:
        """Why this official holds no office on ``on`` ("term ended 2026-11-16"), else None.

        ``term_end`` is the last day in office: a letter dated on it is still written, one
        dated the day after is not. ``term_start`` is the first day in office.
        """
        if self.term_end and dt.date.fromisoformat(self.term_end) < on:
            return f"term ended {self.term_end}"
        if self.term_start and dt.date.fromisoformat(self.term_start) > on:
            return f"term starts {self.term_start}"
        return None

    def is_stale(self, on: dt.date) -> bool:
        """Out of date on ``on``: from the term dates where known, else the explicit flag."""
        if self.has_term_facts:
            return self.out_of_office(on) is not None
        return self.stale

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return "Mayor" if self.role == "mayor" else "Councilmember"

    @property
    def surname(self) -> str:
        if self.family_name:
            return self.family_name
        parts = self.name.split()
        return parts[-1] if parts else self.name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("origin")
        return data


@dataclass(frozen=True)
class Quote:
    """One passage of a speech in one outlet's wording, with everything needed to cite it."""

    id: str
    speaker: str
    text: str
    delivered: str
    outlet: str
    url: str
    wording: str
    source: str
    as_of: str
    speaker_title: str | None = None
    event: str | None = None
    venue: str | None = None
    published: str | None = None
    topics: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    confidence: str | None = None

    def citation(self) -> str:
        """Return the full citation as one line of plain text."""
        from advocacy.text import long_date

        who = self.speaker + (f", {self.speaker_title}" if self.speaker_title else "")
        event = f", {self.event}" if self.event else ""
        published = f", {long_date(self.published)}" if self.published else ""
        return (
            f"{who}{event}, {long_date(self.delivered)}. Text: {self.outlet}{published}. {self.url}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["topics"] = list(self.topics)
        data["cities"] = list(self.cities)
        return data


@dataclass(frozen=True)
class Sender:
    """Whoever signs the letters; missing fields render as visible placeholders."""

    name: str | None = None
    address_lines: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    district: str | None = None
    organisation: str | None = None
    #: where the sender lives; when unset, taken from the address's last line (see residency.py)
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return not self.name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["address_lines"] = list(self.address_lines)
        return data


class Findings:
    """A mixin for results that carry ``problems``: their errors and warnings."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about an input file: where it is, how bad it is and what is wrong."""

    path: str
    line: int | None
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
