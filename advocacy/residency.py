"""Where a sender lives, and what a letter may therefore claim: resident, constituent, neither.

A sender's city, state and ZIP come from explicit fields or from the last line of the address
("San José, CA 95113"). City names are compared as ``advocacy.text.name_key`` compares them
("San José" == "San Jose"), always together with the state (Portland, OR is not Portland, ME).

Districts are compared as keys: "District 3", "district 03", "Ward 3", "Council District 3",
"District District 2" and "3" all become "3"; a named district ("Willow Glen") is compared
without case or accents. A council member whose district is empty or reads "at large" /
"citywide" represents the whole city.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from advocacy.models import Official, Sender
from advocacy.states import state_code
from advocacy.text import name_key

#: "City, ST 12345", "City, State 12345-6789", "City ST 12345", "City, ST" (ZIP optional).
_CITY_LINE = re.compile(
    r"^\s*(?P<city>[^,\d][^,]*?)\s*,?\s+(?P<state>[A-Za-z][A-Za-z .]*?)\.?"
    r"(?:\s+(?P<zip>\d{5}(?:-\d{4})?))?\s*$"
)
_DISTRICT_WORDS = {
    "district", "dist", "ward", "council", "councilmanic", "seat", "no", "number", "num", "nr",
}  # fmt: skip
_AT_LARGE = {"at large", "atlarge", "citywide", "city wide", "all", "all districts"}


@dataclass(frozen=True)
class Place:
    """A city and state (with its ZIP code if known)."""

    city: str
    state: str
    zip: str = ""


def parse_city_line(line: str) -> Place | None:
    """Parse "San José, CA 95113" (or "Portland, Oregon 97204", "Albany, NY") into a Place."""
    match = _CITY_LINE.match(line or "")
    if not match:
        return None
    words = match.group("city").split()
    state_text = match.group("state")
    code = state_code(state_text)
    if code is None:
        # "New York NY 10007" without a comma: the regex may have put words of the city
        # into the state; try the last one or two words as the state instead.
        joined = f"{match.group('city')} {state_text}".split()
        for size in (1, 2):
            code = state_code(" ".join(joined[-size:]))
            if code and len(joined) > size:
                words = joined[:-size]
                break
        else:
            return None
    city = " ".join(words).strip(" ,")
    if not city or not any(ch.isalpha() for ch in city):
        return None
    return Place(city, code, match.group("zip") or "")


@functools.lru_cache(maxsize=256)  # asked five times a letter, for the same few senders
def place_of(sender: Sender) -> Place | None:
    """The sender's city and state: explicit fields first, else the address's last line."""
    if sender.city:
        explicit = parse_city_line(sender.city) if "," in sender.city else None
        state = state_code(sender.state or "") or (explicit.state if explicit else None)
        city = explicit.city if explicit else sender.city.strip()
        if state:
            return Place(city, state, sender.zip or (explicit.zip if explicit else ""))
        if sender.state and sender.state.strip():
            # a state we do not know (the action page's marker): a place, never the official's
            return Place(city, sender.state.strip(), sender.zip or "")
        return None  # a city without a state cannot be told apart from its namesakes
    for line in reversed(sender.address_lines):
        if line.strip():
            parsed = parse_city_line(line)
            if parsed is None:
                return None
            if sender.state and state_code(sender.state) not in (None, parsed.state):
                return None  # the fields disagree: claim nothing
            return Place(parsed.city, parsed.state, sender.zip or parsed.zip)
    return None


def same_city(place: Place | None, city: str, state: str) -> bool:
    """True when ``place`` is the city ``city, state`` ("San José" == "San Jose")."""
    return place is not None and place.state == state and name_key(place.city) == name_key(city)


@functools.lru_cache(maxsize=4096)  # one per distinct district text; called per supporter
def district_key(text: str | None) -> str:
    """A district as a key: "District 3", "Ward 03", "3" -> "3"; "Willow Glen" -> "willow glen"."""
    words = name_key(text or "").split()
    while len(words) > 1 and words[0] in _DISTRICT_WORDS:
        words.pop(0)
    if len(words) == 1 and words[0] in _DISTRICT_WORDS:
        return ""
    key = " ".join(words)
    return str(int(key)) if key.isdigit() else key


def district_label(text: str | None) -> str:
    """A district as a letter prints it: "3" -> "District 3", "Ward 03" -> "Ward 3"."""
    raw = (text or "").strip()
    key = district_key(raw)
    if not key.isdigit():
        return raw
    word = "Ward" if name_key(raw).startswith("ward") else "District"
    return f"{word} {key}"


def is_at_large(official: Official) -> bool:
    """A council member elected by the whole city (no district, or "at large")."""
    if official.role != "council_member":
        return False
    key = district_key(official.district)
    return not key or key in _AT_LARGE or key.startswith("at large")


def is_resident(sender: Sender, official: Official) -> bool:
    """The sender lives in the official's city."""
    return same_city(place_of(sender), official.city, official.state)


def is_constituent(sender: Sender, official: Official) -> bool:
    """The official represents the sender: their mayor, an at-large member, or their district's."""
    if not is_resident(sender, official):
        return False
    if official.role == "mayor" or is_at_large(official):
        return True
    mine = district_key(sender.district)
    return bool(mine) and mine == district_key(official.district)
