"""Import current mayors from openstates/people person files (CC0) as contact records.

openstates/people keeps one YAML file per person; mayors live under
``data/<state>/municipalities/``. A role names its jurisdiction by an OCD id such as
``ocd-jurisdiction/country:us/state:ga/place:duluth/government``. A person is matched to one
of our tie cities by that id's state AND place, never by the city name alone: Duluth GA is
not Duluth MN, Albany OR is not Albany NY, Dallas GA is not Dallas TX.

Nothing here prints or raises for a bad file: every file that gives no record is reported
with its path and the reason, and every good one is still imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from unidecode import unidecode

from advocacy.contacts import MAX_FIELD
from advocacy.dataset import City
from advocacy.exceptions import DataError
from advocacy.inputs import TextDateLoader, check_yaml_shape, read_input_text, text_problem
from advocacy.text import slugify

REPOSITORY_URL = "https://github.com/openstates/people/blob/main/"
#: A person file is a couple of kilobytes; the largest in the repository is under 2 KB.
MAX_FILE_BYTES = 1024 * 1024
#: Nesting: a person, its roles, one role: 3 levels; 8 leaves room and nothing more.
MAX_DEPTH = 8
SUFFIXES = (".yml", ".yaml")
_JURISDICTION = re.compile(
    r"ocd-jurisdiction/country:us/state:(?P<state>[a-z]{2})/(?P<kind>place|county):"
    r"(?P<place>[a-z0-9_.~-]+)/government"
)
#: The columns of the records written, in the order of the embedded officials.yaml.
RECORD_FIELDS = (
    "id", "name", "given_name", "family_name", "honorific", "role", "title", "city", "state",
    "district", "email", "email_derived", "phone", "address", "source", "as_of", "stale",
    "note", "term_start", "term_end", "elected", "next_election",
)  # fmt: skip

# Why a file gave no record: the report groups the skipped files by these kinds.
FORMER = "former"
NOT_STARTED = "not yet started"
NO_CITY = "no matching tie city"
NOT_MAYOR = "no mayor role"
UNREADABLE = "unreadable"
INVALID = "invalid record"


@dataclass(frozen=True)
class Skip:
    """A file that gave no record: its path, the kind of reason, and the reason in words."""

    path: str
    kind: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "kind": self.kind, "reason": self.reason}


@dataclass
class ImportResult:
    """The records imported, the files skipped and the counts the report prints."""

    as_of: dt.date
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    files: int = 0
    current_mayors: int = 0

    def counts(self) -> dict[str, Any]:
        by_kind: dict[str, int] = {}
        for skip in self.skipped:
            by_kind[skip.kind] = by_kind.get(skip.kind, 0) + 1
        return {
            "files": self.files,
            "current_mayors": self.current_mayors,
            "imported": len(self.records),
            "skipped": dict(sorted(by_kind.items())),
        }


def place_ids(city: City) -> set[tuple[str, str, str]]:
    """The (state, kind, OCD id) triples under which ``city``'s government may be filed.

    The id is the name in lower case, without accents or dots, words joined by "_"
    ("Salt Lake City" -> place "salt_lake_city"); "St." and "Saint" are both tried, as the
    OCD ids use both ("saint_paul" in Minnesota, "st_augustine" next to "saint_augustine").
    A county ("Santa Clara County") is a county id ("santa_clara"), never the city's place.
    """
    base = re.sub(r"[^a-z0-9]+", "_", unidecode(city.name).lower().replace(".", "")).strip("_")
    kind = "place"
    if base.endswith("_county"):
        kind, base = "county", base.removesuffix("_county")
    names = {base}
    for short, long in (("st_", "saint_"), ("saint_", "st_")):
        if base.startswith(short):
            names.add(long + base[len(short) :])
    return {(city.state.lower(), kind, name) for name in names}


def city_index(cities: Iterable[City]) -> dict[tuple[str, str, str], City]:
    """Map every (state, kind, OCD id) of our tie cities to its city."""
    index: dict[tuple[str, str, str], City] = {}
    for city in cities:
        for key in place_ids(city):
            index[key] = city
    return index


def person_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files named by ``paths``; a folder stands for every YAML file under it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES))
        else:
            files.append(path)
    return files


def import_openstates(
    paths: Sequence[Path], cities: Iterable[City], as_of: dt.date
) -> ImportResult:
    """Read every person file and return the current mayors of our tie cities."""
    index = city_index(cities)
    result = ImportResult(as_of)
    for path in person_files(paths):
        result.files += 1
        shown = str(path)
        try:
            person = read_person(path)
        except DataError as err:
            result.skipped.append(Skip(shown, UNREADABLE, f"unreadable: {err.reason}", err.line))
            continue
        outcome = _person_record(person, path, index, as_of)
        if isinstance(outcome, Skip):
            result.skipped.append(Skip(shown, outcome.kind, outcome.reason))
            continue
        result.current_mayors += 1
        if isinstance(outcome, tuple):  # a current mayor of a city we have no tie for
            result.skipped.append(Skip(shown, NO_CITY, outcome[0]))
            continue
        result.records.append(outcome)
    return result


def read_person(path: Path) -> Any:
    """The document of one person file, read within limits (size, nesting, no aliases).

    openstates/people files use no YAML anchors or aliases, so none is accepted: an alias
    "bomb" is refused before anything is built. Dates stay text, checked where they are used.
    """
    shown = str(path)
    text = read_input_text(path, MAX_FILE_BYTES, "person file")
    check_yaml_shape(text, shown, depth=MAX_DEPTH, aliases=0)
    try:
        return yaml.load(text, Loader=TextDateLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise DataError(f"invalid YAML: {reason}", shown, mark.line + 1 if mark else None) from err


def _person_record(
    person: Any, path: Path, index: dict[tuple[str, str, str], City], as_of: dt.date
) -> dict[str, Any] | Skip | tuple[str]:
    """The record of a current mayor; a Skip; or (reason,) for a mayor of another city."""
    if not isinstance(person, dict):
        return Skip("", INVALID, "invalid record: not a mapping of person fields")
    name = person.get("name")
    if not isinstance(name, str) or not name.strip():
        return Skip("", INVALID, "invalid record: no name")
    roles = person.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
        return Skip("", INVALID, f"invalid record: {name}: roles is not a list of mappings")
    mayor_roles = [r for r in roles if r.get("type") == "mayor"]
    if not mayor_roles:
        kinds = ", ".join(sorted({str(r.get("type")) for r in roles})) or "none"
        return Skip("", NOT_MAYOR, f"{name}: no mayor role (roles: {kinds})")
    current, starts, ends = [], [], []
    for role in mayor_roles:
        try:
            start, end = _day(role.get("start_date")), _day(role.get("end_date"))
        except ValueError as err:
            return Skip("", INVALID, f"invalid record: {name}: {err}")
        if start is not None and start > as_of:
            starts.append(start)
        elif end is not None and end < as_of:
            ends.append(end)
        else:
            current.append((role, start, end))
    if not current:
        if starts:
            return Skip("", NOT_STARTED, f"{name}: not yet mayor (term starts {min(starts)})")
        return Skip("", FORMER, f"{name}: former mayor (term ended {max(ends)})")
    role, start, end = current[0]
    jurisdiction = role.get("jurisdiction")
    match = _JURISDICTION.fullmatch(jurisdiction) if isinstance(jurisdiction, str) else None
    if match is None:
        return Skip("", INVALID, f"invalid record: {name}: jurisdiction {jurisdiction!r}")
    state, kind, place = match.group("state", "kind", "place")
    city = index.get((state, kind, place))
    if city is None:
        return (f"{name}: mayor of {kind}:{place} ({state.upper()}), no tie city there",)
    try:
        return _record(person, name, city, path, as_of, start, end)
    except ValueError as err:
        return Skip("", INVALID, f"invalid record: {name}: {err}")


def _record(
    person: dict[str, Any],
    name: str,
    city: City,
    path: Path,
    as_of: dt.date,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, Any]:
    office = _office(person.get("offices"))
    email = _text(person.get("email"), "email") or _text(office.get("email"), "office email")
    address = _text(office.get("address"), "office address")
    if address:
        address = "\n".join(part.strip() for part in address.split(";") if part.strip())
    record: dict[str, Any] = {
        "id": slugify(f"{city.name}-{city.state}-mayor-{name}"),
        "name": _text(name, "name"),
        "given_name": _text(person.get("given_name"), "given_name"),
        "family_name": _text(person.get("family_name"), "family_name"),
        "honorific": None,
        "role": "mayor",
        "title": "Mayor",
        "city": city.name,
        "state": city.state,
        "district": None,
        "email": email,
        "email_derived": False,
        "phone": _text(office.get("voice"), "office voice"),
        "address": address,
        "source": _source(path, person, city.state.lower()),
        "as_of": as_of.isoformat(),
        "stale": False,
        "note": f"Imported from openstates/people ({_text(person.get('id'), 'id') or path.name}).",
        "term_start": start.isoformat() if start else None,
        "term_end": end.isoformat() if end else None,
        "elected": None,
        "next_election": None,
    }
    return record


def _office(offices: Any) -> dict[str, Any]:
    """The primary office (else the first one), or an empty mapping."""
    if offices is None:
        return {}
    if not isinstance(offices, list) or not all(isinstance(o, dict) for o in offices):
        raise ValueError("offices is not a list of mappings")
    for office in offices:
        if office.get("classification") == "primary":
            return office
    return offices[0] if offices else {}


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"{what} is a {type(value).__name__}, not text")
    text = str(value).strip()
    problem = text_problem(text)
    if problem:
        raise ValueError(f"{what} {problem}")
    if len(text) > MAX_FIELD:
        raise ValueError(f"{what} is {len(text):,} characters long (limit {MAX_FIELD:,})")
    return text or None


def _day(value: Any) -> dt.date | None:
    """A role's date: YAML gives a date, or a string when quoted ('2027-01-01')."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"date {value!r} is not YYYY-MM-DD")


def _source(path: Path, person: dict[str, Any], state: str) -> str:
    """The file's address in openstates/people.

    The path shows it inside a checkout (``.../data/<st>/municipalities/<file>``). A copy kept
    in a folder named for its state (``<st>/<file>``, like the sample in shared/data) is a
    current municipal official's file, and openstates/people keeps those, and only those,
    under ``data/<st>/municipalities/`` (people whose roles have all ended move to
    ``retired/``). Otherwise the first http(s) address the file itself cites as its source.
    """
    parts = path.resolve().parts
    for i in range(len(parts) - 3, -1, -1):
        if parts[i] == "data" and re.fullmatch(r"[a-z]{2}", parts[i + 1]):
            return REPOSITORY_URL + "/".join(parts[i:])
    if path.parent.name == state:
        return f"{REPOSITORY_URL}data/{state}/municipalities/{path.name}"
    sources = person.get("sources")
    if isinstance(sources, list):
        for source in sources:
            url = source.get("url") if isinstance(source, dict) else None
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return url
    raise ValueError("no source: the path is not under data/<state>/ and the file cites none")


# -- writing the records ---------------------------------------------------------------------

YAML_HEADER = """\
# Mayors imported from openstates/people (CC0) by `advocacy contacts import openstates`.
# Fields as in contacts/officials.yaml; term_start/term_end are the role's start_date/end_date,
# as_of is the day the roles were checked as current (--as-of), source is the person's file.
"""


def render_records(records: Sequence[dict[str, Any]], kind: str) -> bytes:
    """The records as a contact file: ``csv``, ``yaml`` (as officials.yaml) or ``json``."""
    if kind == "yaml":
        body = yaml.safe_dump(
            {"officials": [dict(r) for r in records]},
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
        return (YAML_HEADER + body).encode("utf-8")
    if kind == "json":
        return (json.dumps(list(records), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, RECORD_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(v) for k, v in record.items()})
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def output_kind(path: Path | None) -> str:
    """The format a file name asks for: .yaml/.yml, .json, else CSV."""
    suffix = path.suffix.lower() if path else ""
    return {".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(suffix, "csv")
