"""Supporters: residents who each send their own letters to their own officials.

A supporters file (CSV, YAML or JSON) is read with the contact files' table reader
(``advocacy.contacts.read_table``): the same size and shape limits, UTF-8 and text checks, and a
bad row reported as ``path:line`` and left out while every good row is kept. The same person
twice (name and first address line compared without case, accents or punctuation, in the same
city) is counted once and reported.

Each supporter writes to their city's mayor, to the council members elected at large, and to
the member(s) of their own district (Portland, OR elects three a district). A supporter whose
city has no tie, whose city has no officials on record, or who gave no district in a city whose
council is elected by district, is reported with the reason; the letters that can be written
(the mayor's, at-large members') still are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from advocacy.contacts import MAX_FIELD, field_text, read_table
from advocacy.dataset import City, DataSet
from advocacy.inputs import text_problem
from advocacy.models import Findings, Official, Problem, Sender
from advocacy.residency import district_key, district_label, is_at_large, parse_city_line
from advocacy.states import state_code
from advocacy.tables import TableSchema
from advocacy.text import name_key, slugify

COLUMNS = (
    "name", "address", "city", "state", "zip", "email", "phone", "district", "note",
    "organisation",
)  # fmt: skip
ALIASES = {
    "full_name": "name",
    "supporter": "name",
    "street": "address",
    "street_address": "address",
    "postal_address": "address",
    "mailing_address": "address",
    "town": "city",
    "zip_code": "zip",
    "zipcode": "zip",
    "postal_code": "zip",
    "postcode": "zip",
    "e_mail": "email",
    "email_address": "email",
    "telephone": "phone",
    "phone_number": "phone",
    "ward": "district",
    "council_district": "district",
    "personal_note": "note",
    "notes": "note",
    "message": "note",
    "comment": "note",
    "organization": "organisation",
}
SCHEMA = TableSchema(COLUMNS, ("name",), ALIASES, "supporters")
#: the same few districts for 10,000 supporters: each label made once
_district_label = lru_cache(maxsize=1024)(district_label)
MAX_NOTE = 1500  # characters: a paragraph, not a second letter


@dataclass(frozen=True)
class Supporter:
    """One resident from a supporters file, and where in it they were found."""

    name: str
    city: str
    state: str
    street: tuple[str, ...] = ()
    zip: str = ""
    email: str | None = None
    phone: str | None = None
    district: str | None = None
    note: str = ""
    organisation: str | None = None
    origin: str = ""  # path:line

    @cached_property  # asked for three times a supporter (duplicates, then the folder's name)
    def key(self) -> tuple[str, str, str, str]:
        street = name_key(self.street[0]) if self.street else ""
        return (name_key(self.name), street, name_key(self.city), self.state)

    @property
    def slug(self) -> str:
        """The supporter's folder name: their name, and a short hash of who they are."""
        tag = hashlib.sha256("|".join(self.key).encode("utf-8")).hexdigest()[:6]
        return f"{slugify(self.name, 60)}-{tag}"

    def sender(self) -> Sender:
        """The supporter as the sender of their letters (address ending "City, ST ZIP")."""
        city_line = f"{self.city}, {self.state} {self.zip}".strip()
        return Sender(
            name=self.name,
            address_lines=(*self.street, city_line),
            email=self.email,
            phone=self.phone,
            district=_district_label(self.district) if self.district else None,
            organisation=self.organisation,
            city=self.city,
            state=self.state,
            zip=self.zip or None,
        )


@dataclass
class SupporterLoad(Findings):
    """The supporters read from a file, and every problem found in it."""

    supporters: list[Supporter] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0


def load_supporters(paths: Iterable[Path]) -> SupporterLoad:
    """Read and check supporters files; bad rows become problems, duplicates count once."""
    result = SupporterLoad()
    seen: dict[tuple[str, ...], str] = {}
    for path in paths:
        shown = str(path)
        for row in read_table(path, shown, result.problems, schema=SCHEMA):
            supporter = _check_row(row.values, shown, row.line, row.problems, row.checked)
            result.problems.extend(row.problems)
            if supporter is None:
                continue
            key = supporter.key
            if key in seen:
                result.duplicates += 1
                first = seen[key]
                first = first.removeprefix(f"{shown}:")
                result.problems.append(
                    Problem(
                        shown,
                        row.line,
                        "warning",
                        f"duplicate of {'line ' + first if ':' not in first else first} "
                        f"({supporter.name}); counted once",
                    )
                )
                continue
            seen[key] = supporter.origin
            result.supporters.append(supporter)
    return result


def _check_row(
    raw: dict[str, Any], shown: str, line: int, problems: list[Problem], checked: bool = False
) -> Supporter | None:
    """The supporter of one row, or None (and an error); ``checked``: the values are CSV
    cells whose text the table reader checked (their stripped text passes too)."""

    def problem(severity: str, message: str) -> None:
        problems.append(Problem(shown, line, severity, message))

    values: dict[str, str] = {}
    for column, value in raw.items():
        if checked:
            text, wrong = value.strip(), None
        else:
            text, wrong = field_text(column, value)
            if wrong is None:
                found = text_problem(text)
                wrong = f"{column}: {found}" if found else None
        limit = MAX_NOTE if column == "note" else MAX_FIELD
        if wrong is None and len(text) > limit:
            wrong = f"{column}: value is {len(text):,} characters long (limit {limit:,})"
        if wrong is not None:
            problem("error", wrong)
            return None
        values[column] = text
    name = " ".join(values.get("name", "").split())
    if not name:
        problem("error", "missing name")
        return None
    lines = [part.strip() for part in values.get("address", "").replace(";", "\n").splitlines()]
    lines = [part for part in lines if part]
    city = values.get("city", "")
    state_text, zip_code = values.get("state", ""), values.get("zip", "")
    if lines and (not city or not state_text):
        place = parse_city_line(lines[-1])
        if place is not None:
            lines.pop()
            city, state_text, zip_code = (
                city or place.city,
                state_text or place.state,
                zip_code or place.zip,
            )
    if not city or not state_text:
        problem(
            "error",
            f"{name}: no city and state (give the columns city and state, or an address whose "
            'last line reads "City, ST 12345")',
        )
        return None
    state = state_code(state_text)
    if state is None:
        problem("error", f"{name}: unknown US state {state_text!r}")
        return None
    if zip_code and not (zip_code[:5].isdigit() and len(zip_code) in (5, 10)):
        problem("warning", f"{name}: {zip_code!r} is not a US ZIP code (12345 or 12345-6789)")
    email = values.get("email") or None
    if email:
        # imported here: email-validator takes 40 ms to import, which a packet that is up
        # to date (advocacy.packet.stamp) need not pay
        from advocacy.emails import EmailNotValidError, normalized_email

        try:
            email = normalized_email(email)
        except EmailNotValidError as err:
            problem("warning", f"{name}: email {email!r} left out: {err}")
            email = None
    return Supporter(
        name=name,
        city=" ".join(city.split()),
        state=state,
        street=tuple(lines),
        zip=zip_code,
        email=email,
        phone=values.get("phone") or None,
        district=values.get("district") or None,
        note=values.get("note", "").strip(),
        organisation=values.get("organisation") or None,
        origin=f"{shown}:{line}",
    )


# -- who each supporter writes to --------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """A supporter, their city (None: no tie), the officials they write to, and what is missing."""

    supporter: Supporter
    city: City | None
    officials: tuple[Official, ...]
    reasons: tuple[str, ...] = ()


def city_of(cities: dict[tuple[str, str], City], supporter: Supporter) -> City | None:
    """The tie city a supporter lives in ("San José" is San Jose), or None."""
    return cities.get((name_key(supporter.city), supporter.state))


def representatives(officials: Sequence[Official], district: str | None) -> list[Official]:
    """The mayor, the at-large members, and the members of ``district`` (possibly several)."""
    mine = district_key(district)
    chosen = []
    for official in officials:
        citywide = official.role == "mayor" or is_at_large(official)
        if citywide or (mine and district_key(official.district) == mine):
            chosen.append(official)
    return chosen


def assign(data: DataSet, supporters: Iterable[Supporter]) -> list[Assignment]:
    """Who each supporter writes to, with the reasons for any letter they cannot write."""
    assignments = []
    cities = {(name_key(c.name), c.state): c for c in data.cities()}  # once, not per supporter
    officials: dict[str, list[Official]] = {}
    districted_of: dict[str, tuple[list[Official], set[int]]] = {}
    chosen_of: dict[tuple[str, str], list[Official]] = {}
    for supporter in supporters:
        city = city_of(cities, supporter)
        place = f"{supporter.city}, {supporter.state}"
        if city is None:
            reason = f"no sister-city tie is recorded for {place}: no letter"
            assignments.append(Assignment(supporter, None, (), (reason,)))
            continue
        if city.slug not in officials:
            officials[city.slug] = data.officials_of(city)
        on_record = officials[city.slug]
        if not on_record:
            reason = f"no officials on record for {city.label} (add them with --contacts)"
            assignments.append(Assignment(supporter, city, (), (reason,)))
            continue
        wanted = (city.slug, district_key(supporter.district))
        if wanted not in chosen_of:  # the same for every supporter of a district
            chosen_of[wanted] = representatives(on_record, supporter.district)
        chosen = chosen_of[wanted]
        reasons = []
        if city.slug not in districted_of:  # once a city; compared by identity, not by value
            members = [o for o in on_record if o.role == "council_member" and not is_at_large(o)]
            districted_of[city.slug] = (members, {id(o) for o in members})
        districted, districted_ids = districted_of[city.slug]
        mine = [o for o in chosen if id(o) in districted_ids]
        if districted and not supporter.district:
            reasons.append(
                f"no district given: {city.label} elects its council by district; add the "
                "district (or ward) to write to its member(s)"
            )
        elif districted and not mine:
            reasons.append(
                f"no council member on record for {district_label(supporter.district)} of "
                f"{city.label}"
            )
        if not chosen:
            reasons.append(f"no mayor or at-large member on record for {city.label}")
        assignments.append(Assignment(supporter, city, tuple(chosen), tuple(reasons)))
    return assignments
