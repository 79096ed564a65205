"""What stops letters, city by city: the report behind `advocacy cities --gaps`.

For every city with a tie it lists the facts that keep letters from being written or from
being true: no officials on record, officials who cannot be reached (no postal address, no
email), terms that have ended or end soon, records flagged stale, a tie status without an
http(s) source, and a status whose decider is unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from advocacy.dataset import City, DataSet
from advocacy.terms import ENDING_WITHIN_DAYS

#: The kinds of gap, in the order the report shows them.
KINDS = (
    "no officials",
    "term ended",
    "not yet in office",
    "stale record",
    "no address or email",
    "no postal address",
    "no email",
    "term ending",
    "unsourced status",
    "decided_by unknown",
)


@dataclass(frozen=True)
class Gap:
    """One thing that stops or weakens this city's letters."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail}


@dataclass
class CityGaps:
    """A city, how many of its officials can get a letter on the day, and its gaps."""

    city: City
    officials: int = 0
    writable: int = 0
    gaps: list[Gap] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        tie = self.city.tie
        return {
            "city": self.city.label,
            "russian_city": tie.russian_city,
            "status": tie.status,
            "decided_by": tie.decided_by,
            "officials": self.officials,
            "letters": self.writable,
            "gaps": [g.to_dict() for g in self.gaps],
        }


def _is_url(text: str | None) -> bool:
    return bool(text) and str(text).startswith(("https://", "http://"))


def city_gaps(data: DataSet, city: City, on: dt.date) -> CityGaps:
    """The gaps of one city's letters dated ``on``."""
    report = CityGaps(city)
    found: dict[str, list[str]] = {}

    def add(kind: str, detail: str) -> None:
        found.setdefault(kind, []).append(detail)

    officials = data.officials_of(city)
    report.officials = len(officials)
    if not officials:
        add("no officials", "")
    for official in officials:
        absent = official.out_of_office(on)
        if absent and absent.startswith("term ended"):
            add("term ended", f"{official.name} ({official.term_end})")
            continue
        if absent:
            add("not yet in office", f"{official.name} (from {official.term_start})")
            continue
        if official.is_stale(on):
            add("stale record", official.name)
            continue
        if not official.email and not official.address:
            add("no address or email", official.name)
            continue
        report.writable += 1
        if not official.address:
            add("no postal address", official.name)
        if not official.email:
            add("no email", official.name)
        if official.term_end:
            left = (dt.date.fromisoformat(official.term_end) - on).days
            if left <= ENDING_WITHIN_DAYS:
                add("term ending", f"{official.name} ({official.term_end}, in {left} days)")
    for tie in city.ties:
        if not _is_url(tie.source):
            add("unsourced status", f"{tie.russian_city}: {tie.source!r}")
        if tie.status != "unknown" and tie.decided_by == "unknown":
            add("decided_by unknown", f"{tie.russian_city} ({tie.status})")
    report.gaps = [
        Gap(kind, ", ".join(d for d in found[kind] if d)) for kind in KINDS if kind in found
    ]
    return report


def gaps_report(data: DataSet, on: dt.date, statuses: tuple[str, ...] = ()) -> list[CityGaps]:
    """Every city (of these tie statuses, if given), sorted by name, with its gaps."""
    cities = sorted(data.cities(), key=lambda c: c.label.casefold())
    if statuses:
        cities = [c for c in cities if c.tie.status in statuses]
    return [city_gaps(data, city, on) for city in cities]
