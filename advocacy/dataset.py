"""The data set: embedded ties, officials and quotes, optionally with a user's own contact files.

``--contacts`` adds a user's officials to the embedded ones city by city: for every city that a
user's file lists, the user's officials replace the embedded officials of that city; every other
city keeps the embedded records.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from advocacy.contacts import SAFE_LOADER, ContactLoad, load_contacts
from advocacy.exceptions import DataError, LookupFailed
from advocacy.models import DECIDERS, TIE_STATUSES, WORDINGS, Official, Problem, Quote, Tie
from advocacy.states import STATES, state_code
from advocacy.text import name_key, slugify

EMBEDDED = "contacts"


@dataclass(frozen=True)
class City:
    """A US city with its sister-city tie(s) to Russian cities."""

    name: str
    state: str
    ties: tuple[Tie, ...]

    # computed once a city (a packet asks for them a few times a letter; the fields are
    # frozen, so the values cannot go stale)
    @cached_property
    def label(self) -> str:
        return f"{self.name}, {self.state}"

    @cached_property
    def slug(self) -> str:
        return slugify(f"{self.name}-{self.state}")

    @property
    def tie(self) -> Tie:
        """The tie letters talk about: the first one that is not terminated, else the first."""
        for tie in self.ties:
            if tie.status != "terminated":
                return tie
        return self.ties[0]


@dataclass
class DataSet:
    """Everything the letters are made from, plus the problems found in user contact files."""

    ties: list[Tie]
    officials: list[Official]
    quotes: list[Quote]
    problems: list[Problem] = field(default_factory=list)

    def cities(self) -> list[City]:
        grouped: dict[tuple[str, str], list[Tie]] = {}
        for tie in self.ties:
            grouped.setdefault(tie.city_key, []).append(tie)
        return [City(name, state, tuple(ties)) for (name, state), ties in grouped.items()]

    def city_for(self, official: Official) -> City | None:
        key = (name_key(official.city), official.state)
        for city in self.cities():
            if (name_key(city.name), city.state) == key:
                return city
        return None

    @cached_property
    def _officials_by_city(self) -> dict[tuple[str, str], list[Official]]:
        # a data set is not changed once loaded: index it once, not once a city
        index: dict[tuple[str, str], list[Official]] = {}
        for official in self.officials:
            index.setdefault((name_key(official.city), official.state), []).append(official)
        return index

    def officials_of(self, city: City, role: str | None = None) -> list[Official]:
        found = self._officials_by_city.get((name_key(city.name), city.state), [])
        if role:
            found = [o for o in found if o.role == role]
        # Mayor first, then council members by district number, then by name.
        return sorted(found, key=_official_order)

    def find_city(self, query: str) -> City:
        return find_city(self.cities(), query)

    def quote(self, quote_id: str) -> Quote:
        for quote in self.quotes:
            if quote.id == quote_id:
                return quote
        raise LookupFailed(f"no quote with id {quote_id!r}")


def _official_order(official: Official) -> tuple[Any, ...]:
    district = official.district or ""
    # ASCII digits only: "²" and "३" are digits to str.isdigit() but not to int()
    number = int(district) if district.isascii() and district.isdigit() else 10_000
    return (official.role != "mayor", number, district, official.name)


# -- loading ---------------------------------------------------------------------------------


def _embedded_file(name: str) -> Path:
    return Path(str(resources.files("advocacy.embedded").joinpath(name)))


def _load_yaml_list(name: str, key: str) -> list[dict[str, Any]]:
    path = _embedded_file(name)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except (OSError, yaml.YAMLError) as err:
        raise DataError(f"cannot read embedded data: {err}", f"{EMBEDDED}/{name}") from err
    records = document.get(key) if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise DataError(f"expected a '{key}' list", f"{EMBEDDED}/{name}")
    return records


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _require(record: dict[str, Any], fields: Iterable[str], where: str, index: int) -> None:
    missing = [f for f in fields if record.get(f) in (None, "")]
    if missing:
        raise DataError(f"record {index} lacks {', '.join(missing)}", where)


@cache
def embedded_ties() -> tuple[Tie, ...]:
    where = f"{EMBEDDED}/ties.yaml"
    ties = []
    for index, record in enumerate(_load_yaml_list("ties.yaml", "ties"), start=1):
        required = ("id", "us_city", "state", "russian_city", "status", "source", "as_of")
        _require(record, required, where, index)
        if record["status"] not in TIE_STATUSES:
            raise DataError(f"record {index}: unknown status {record['status']!r}", where)
        decided_by, decision_source = _decision(record, where, index)
        ties.append(
            Tie(
                id=str(record["id"]),
                us_city=str(record["us_city"]),
                state=str(record["state"]),
                russian_city=str(record["russian_city"]),
                status=str(record["status"]),
                source=str(record["source"]),
                as_of=str(_text_or_none(record["as_of"])),
                russian_city_alt=_strings(record.get("russian_city_alt")),
                established=_text_or_none(record.get("established")),
                status_date=_text_or_none(record.get("status_date")),
                status_note=record.get("status_note"),
                sources=_strings(record.get("sources")) or (str(record["source"]),),
                confidence=record.get("confidence"),
                decided_by=decided_by,
                decision_source=decision_source,
            )
        )
    return tuple(ties)


def _decision(record: dict[str, Any], where: str, index: int) -> tuple[str, str | None]:
    """Who decided the tie's status, and the page that shows it; both are required fields."""
    if "decided_by" not in record or "decision_source" not in record:
        raise DataError(
            f"record {index} lacks decided_by or decision_source (write 'unknown' and null "
            "when no decision is known)",
            where,
        )
    decided_by = str(record.get("decided_by") or "unknown")
    if decided_by not in DECIDERS:
        raise DataError(
            f"record {index}: decided_by {decided_by!r} is not one of {', '.join(DECIDERS)}", where
        )
    source = record.get("decision_source")
    if source is not None and not str(source).startswith(("https://", "http://")):
        raise DataError(f"record {index}: decision_source {source!r} is not an http(s) URL", where)
    if decided_by != "unknown" and not source:
        raise DataError(f"record {index}: decided_by {decided_by} needs a decision_source", where)
    return decided_by, str(source) if source else None


@cache
def embedded_quotes() -> tuple[Quote, ...]:
    where = f"{EMBEDDED}/quotes.yaml"
    quotes = []
    for index, record in enumerate(_load_yaml_list("quotes.yaml", "quotes"), start=1):
        required = ("id", "speaker", "text", "delivered", "outlet", "url", "wording", "as_of")
        _require(record, required, where, index)
        if record["wording"] not in WORDINGS:
            raise DataError(f"record {index}: unknown wording {record['wording']!r}", where)
        quotes.append(
            Quote(
                id=str(record["id"]),
                speaker=str(record["speaker"]),
                text=str(record["text"]).strip(),
                delivered=str(_text_or_none(record["delivered"])),
                outlet=str(record["outlet"]),
                url=str(record["url"]),
                wording=str(record["wording"]),
                source=str(record.get("source") or record["url"]),
                as_of=str(_text_or_none(record["as_of"])),
                speaker_title=record.get("speaker_title"),
                event=record.get("event"),
                venue=record.get("venue"),
                published=_text_or_none(record.get("published")),
                topics=_strings(record.get("topics")),
                cities=_strings(record.get("cities")),
                confidence=record.get("confidence"),
            )
        )
    return tuple(quotes)


def embedded_officials_load(today: dt.date | None = None) -> ContactLoad:
    path = _embedded_file("officials.yaml")
    return load_contacts(
        [path],
        today=today,
        strict=True,
        display_names={path: f"{EMBEDDED}/officials.yaml"},
        trusted=True,  # our own file: its nesting and aliases need no check (8 ms a run)
    )


def load_dataset(
    contacts: Iterable[Path] = (),
    *,
    today: dt.date | None = None,
    deliverability: bool = False,
) -> DataSet:
    """Load the embedded data set and merge in the user's contact files, if any."""
    embedded = embedded_officials_load(today)
    if embedded.errors:
        raise DataError(str(embedded.errors[0]))
    officials = list(embedded.officials)
    problems: list[Problem] = []
    contacts = list(contacts)
    if contacts:
        user = load_contacts(contacts, today=today, deliverability=deliverability)
        problems = user.problems
        replaced = {(name_key(o.city), o.state) for o in user.officials}
        officials = [o for o in officials if (name_key(o.city), o.state) not in replaced]
        officials.extend(user.officials)
    return DataSet(list(embedded_ties()), officials, list(embedded_quotes()), problems)


# -- matching city names as people type them -------------------------------------------------


def _split_query(query: str) -> tuple[str, str | None]:
    """Split "Portland, OR" / "portland oregon" / "san-jose" into a name key and a state code."""
    if "," in query:
        name, _, state = query.rpartition(",")
        code = state_code(state)
        if code:
            return name_key(name), code
    words = name_key(query).split()
    for size in (2, 1):  # "new york", then "or"
        if len(words) > size:
            code = state_code(" ".join(words[-size:]))
            if code:
                return " ".join(words[:-size]), code
    return name_key(query), None


def find_city(cities: list[City], query: str) -> City:
    """Return the one city that ``query`` names; raise LookupFailed listing candidates otherwise."""
    if not name_key(query):
        raise LookupFailed("the city name is empty")
    whole = name_key(query)
    name, state = _split_query(query)
    by_name = [c for c in cities if name_key(c.name) == whole]
    if not by_name:
        by_name = [c for c in cities if name_key(c.name) == name]
        if state:
            by_name = [c for c in by_name if c.state == state]
    if not by_name:  # a Russian city names its US partner(s)
        by_name = [
            c
            for c in cities
            if any(
                name_key(n) == whole for t in c.ties for n in (t.russian_city, *t.russian_city_alt)
            )
        ]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        labels = sorted(c.label for c in by_name)
        raise LookupFailed(
            f"{query!r} is ambiguous: {'; '.join(labels)} (add the state, e.g. {labels[0]!r})",
            labels,
        )
    by_key = {name_key(c.name): c for c in cities}
    close = difflib.get_close_matches(name or whole, list(by_key), n=3, cutoff=0.6)
    suggestions = [by_key[key].label for key in close]
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    state_note = f" in {STATES[state]}" if state else ""
    raise LookupFailed(
        f"no sister-city tie is recorded for {query!r}{state_note}{hint} (see `advocacy cities`)",
        suggestions,
    )
