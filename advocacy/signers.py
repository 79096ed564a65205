"""Read petition signatures (CSV: name, city or ZIP, optional comment) for the petition letter.

Reading follows ``advocacy.contacts``: the byte-order mark Excel writes is skipped, the delimiter
(comma or semicolon) is taken from the header line, and a bad row never stops the others: it is
reported as ``path:line`` and left out. The same person signing twice (same name and same city
or ZIP, compared without case, accents or punctuation) is counted once and reported.

Signers from the official's own city are matched by city name (``advocacy.text.name_key``:
"San José", "san jose" and "SAN JOSE, CA" all match San Jose). A signer who gave only a ZIP code
counts in the total but not in the city's count: the package carries no ZIP-to-city table, and
a ZIP prefix does not follow city limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advocacy.contacts import normalise_header, read_csv_table
from advocacy.exceptions import DataError
from advocacy.inputs import MAX_DATA_BYTES, read_input
from advocacy.models import Findings, Problem
from advocacy.states import state_code
from advocacy.text import name_key

COLUMNS = ("name", "city", "zip", "comment")
ALIASES = {
    "full_name": "name",
    "signer": "name",
    "town": "city",
    "city_or_zip": "city",
    "zip_code": "zip",
    "zipcode": "zip",
    "postal_code": "zip",
    "postcode": "zip",
    "comments": "comment",
    "note": "comment",
    "message": "comment",
}
MAX_FIELD = 1000
#: Signatures a petition letter lists. The PDF's layout grows a little faster than linearly
#: (WeasyPrint: 1,000 signatures 12 s, 5,000 79 s on the 2 shared cores we measured on), so a
#: larger petition is refused at once instead of rendering for many minutes.
MAX_SIGNERS = 2500
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")


@dataclass(frozen=True)
class Signer:
    """One signature: who, where from, what they wrote, and the line it came from."""

    name: str
    city: str = ""
    state: str | None = None
    zip: str = ""
    comment: str = ""
    line: int = 0

    @property
    def place(self) -> str:
        """Where the signer lives, as printed in the appendix."""
        city = f"{self.city}, {self.state}" if self.city and self.state else self.city
        return ", ".join(part for part in (city, self.zip) if part)

    @property
    def key(self) -> tuple[str, str]:
        return (name_key(self.name), name_key(self.city) or self.zip[:5])


@dataclass
class Petition(Findings):
    """The signatures of a petition, with every problem found while reading them."""

    path: str
    signers: list[Signer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0

    @property
    def count(self) -> int:
        """Number of distinct signers (duplicates counted once)."""
        return len(self.signers)

    def from_city(self, city: Any, state: str | None = None) -> int:
        """Number of signers from ``city`` (a City, or a city name and optional state)."""
        name = getattr(city, "name", city)
        state = getattr(city, "state", state)
        wanted = name_key(str(name))
        return sum(
            1
            for s in self.signers
            if s.city
            and name_key(s.city) == wanted
            and (not s.state or not state or s.state == state)
        )

    def __len__(self) -> int:
        return self.count


def load_signers(path: Path) -> Petition:
    """Read a signers CSV; bad rows become problems, a file that cannot be used is an error."""
    shown = str(path)
    raw = read_input(path, MAX_DATA_BYTES, "signers file")
    problems: list[Problem] = []
    table = read_csv_table(raw, shown, problems)
    if table is None:
        reason = problems[0].message.replace("file is empty", "signers file is empty")
        raise DataError(f"{reason}; the first line must name the columns", shown, 1)
    header = table.header
    columns = [normalise_header(h, ALIASES) for h in header]
    if "name" not in columns or not ({"city", "zip"} & set(columns)):
        raise DataError(
            "the first line must name the columns: name, city or zip, and optionally comment "
            f"(found: {', '.join(h.strip() for h in header) or 'nothing'})",
            shown,
            1,
        )
    petition = Petition(shown, problems=problems)
    unknown = [h for h, c in zip(header, columns, strict=True) if c and c not in COLUMNS]
    if unknown:
        petition.problems.append(
            Problem(shown, 1, "warning", f"unknown column(s) ignored: {', '.join(unknown)}")
        )
    seen: dict[tuple[str, str], int] = {}
    for start, cells in table.rows:
        values: dict[str, str] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column in COLUMNS and column not in values:
                values[column] = " ".join(cell.split())
        signer = _check_row(values, shown, start, petition.problems)
        if signer is None:
            continue
        if signer.key in seen:
            petition.duplicates += 1
            petition.problems.append(
                Problem(
                    shown,
                    start,
                    "warning",
                    f"duplicate of line {seen[signer.key]} ({signer.name}); counted once",
                )
            )
            continue
        seen[signer.key] = start
        petition.signers.append(signer)
        if len(petition.signers) > MAX_SIGNERS:
            raise DataError(
                f"more than {MAX_SIGNERS:,} signatures (line {start}); a petition letter lists "
                f"at most {MAX_SIGNERS:,} (the PDF would take many minutes): deliver a larger "
                "petition in parts, one signers file each",
                shown,
            )
    return petition


def _check_row(
    values: dict[str, str], shown: str, line: int, problems: list[Problem]
) -> Signer | None:
    def error(message: str) -> None:
        problems.append(Problem(shown, line, "error", message))

    for column, value in values.items():
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            error(f"{column}: contains bytes that are not UTF-8; save the file as UTF-8")
            return None
        if len(value) > MAX_FIELD:
            error(f"{column}: value is {len(value):,} characters long (limit {MAX_FIELD:,})")
            return None
    name = values.get("name", "")
    city = values.get("city", "")
    zip_code = values.get("zip", "")
    if _ZIP.match(city) and not zip_code:
        city, zip_code = "", city  # the "city or ZIP" column holds a ZIP
    if not name:
        error("missing name")
        return None
    if not city and not zip_code:
        error(f"{name}: missing city or ZIP code")
        return None
    if city and not any(ch.isalpha() for ch in city):
        error(f"{name}: {city!r} is neither a city nor a US ZIP code (12345 or 12345-6789)")
        return None
    if zip_code and not _ZIP.match(zip_code):
        error(f"{name}: {zip_code!r} is not a US ZIP code (12345 or 12345-6789)")
        return None
    state = None
    if "," in city:
        head, _, tail = city.rpartition(",")
        state = state_code(tail.strip())
        if state is not None:
            city = head.strip()
    return Signer(name, city, state, zip_code, values.get("comment", ""), line)
