"""Small text helpers: ASCII slugs, US dates, and keys to match names as people type them."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)  # a city's slug is asked for again for each of its letters
def slugify(text: str, max_length: int = 80) -> str:
    """Return an ASCII slug that is safe as one path component ("San José" -> "san-jose").

    Cyrillic and other scripts are transliterated; dots, slashes and every other separator
    become hyphens, so a slug can never be "..", absolute, or contain a path separator.
    """
    ascii_text = unidecode(text or "").lower()
    slug = _NON_ALNUM.sub("-", ascii_text).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "unnamed"


# unidecode takes ~0.3 ms for a quotation; the same names and passages are compared again
# for every letter of a packet
@lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """Return a key for comparing names: no accents, no case, no punctuation, "Saint" as "st"."""
    ascii_text = unidecode(text or "").lower()
    words = _NON_ALNUM.sub(" ", ascii_text).split()
    words = ["st" if word == "saint" else word for word in words]
    return " ".join(words)


MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def us_date(day: dt.date) -> str:
    """Format a date as US letters do, independent of the locale: "June 3, 2022"."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


@lru_cache(maxsize=1024)  # strptime is slow, and letters format the same few dates
def long_date(text: str) -> str:
    """Format "2022-03-08" as "March 8, 2022", "2022-03" as "March 2022"; else unchanged."""
    for pattern, style in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            day = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if style == "day":
            return us_date(day)
        return f"{MONTHS[day.month - 1]} {day.year}" if style == "month" else str(day.year)
    return text


def district_heading(district: str | None) -> str:
    """The district in an address, printed as written: "2" -> "District 2".

    A value that already names its kind ("District 2", "Ward 3", "Seat 5") is kept as
    written, so "District 2" never prints as "District District 2"; nothing else is changed
    (a "²" stays a "²": data prints literally).
    """
    value = " ".join((district or "").split())
    if not value:
        return ""
    return value if value[0].isalpha() else f"District {value}"
