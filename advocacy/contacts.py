"""Read contact files (CSV, YAML, JSON), check every record, and return officials plus problems.

Reading never raises for a bad row: each problem is reported with its file and line, rows with
errors are left out, and every good row is still loaded. Values are kept exactly as written
(Cyrillic, diacritics, ``=HYPERLINK(...)``, ``{{ 7*7 }}``, ``<script>``): they are data, never code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from advocacy.exceptions import DataError
from advocacy.inputs import (
    MAX_DATA_BYTES,
    SAFE_LOADER,  # noqa: F401 - dataset.py reads the embedded data with it from here
    TextDateLoader,
    check_json_shape,
    check_yaml_shape,
    kind_of,
    read_input,
    scalar_text,
    text_problem,
)
from advocacy.models import ROLES, Findings, Official, Problem
from advocacy.states import state_code
from advocacy.tables import CsvTable, TableSchema, read_csv_table  # noqa: F401 - shared with signers.py
from advocacy.terms import first_day, read_terms, term_warnings
from advocacy.text import name_key, slugify

CONTACT_SUFFIXES = (".csv", ".yaml", ".yml", ".json")

#: The documented columns of a contact file, in order. ``name``, ``role``, ``city`` and ``state``
#: are required; the embedded data set also requires ``source`` and ``as_of``.
COLUMNS = (
    "id", "name", "role", "city", "state", "title", "district", "email", "phone", "address",
    "given_name", "family_name", "honorific", "email_derived", "source", "as_of", "stale", "note",
    "term_start", "term_end", "elected", "next_election",
)  # fmt: skip
REQUIRED = ("name", "role", "city", "state")
ALIASES = {
    "first_name": "given_name",
    "last_name": "family_name",
    "surname": "family_name",
    "e_mail": "email",
    "email_address": "email",
    "postal_address": "address",
    "mailing_address": "address",
    "telephone": "phone",
    "phone_number": "phone",
    "ward": "district",
    "notes": "note",
    "updated": "as_of",
    "as_of_date": "as_of",
}
ROLE_WORDS = {
    "mayor": "mayor",
    "council member": "council_member",
    "councilmember": "council_member",
    "council": "council_member",
    "councillor": "council_member",
    "councilor": "council_member",
    "council president": "council_member",
    "alderman": "council_member",
    "alderperson": "council_member",
    "commissioner": "council_member",
    "assembly member": "council_member",
}
MAX_FIELD = 2000
STALE_AFTER_DAYS = 548  # 18 months
#: Lines of an inside address a #10 window shows (advocacy.formats.window.MAX_LINES).
WINDOW_LINES = 6
_ZIP = re.compile(r"\b\d{5}(?:-\d{4})?\b")
_BOOL_TRUE = {"1", "true", "yes", "y", "x"}
_BOOL_FALSE = {"", "0", "false", "no", "n"}


@dataclass
class ContactLoad(Findings):
    """The outcome of reading contact files: the good officials and every problem found."""

    officials: list[Official] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


CONTACTS = TableSchema(COLUMNS, REQUIRED, ALIASES, "officials")


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    #: every value is a CSV cell (text) that passed ``text_problem`` in the table reader
    checked: bool = False


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Return the contact files named by ``paths``; a folder stands for its contact files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in CONTACT_SUFFIXES))
        else:
            files.append(path)
    return files


def load_contacts(
    paths: Iterable[Path],
    *,
    today: dt.date | None = None,
    deliverability: bool = False,
    strict: bool = False,
    display_names: dict[Path, str] | None = None,
    trusted: bool = False,
) -> ContactLoad:
    """Read and check every contact file; ``strict`` also requires ``source`` and ``as_of``.

    ``trusted`` (the embedded data set) skips the check of YAML nesting and aliases.
    """
    today = today or dt.date.today()
    result = ContactLoad()
    seen: dict[tuple[str, ...], tuple[str, int]] = {}
    for path in expand_paths(paths):
        shown = (display_names or {}).get(path, str(path))
        for row in read_table(path, shown, result.problems, trusted):
            official = _check_row(row, shown, today, deliverability, strict)
            result.problems.extend(row.problems)
            if official is None:
                continue
            key = (name_key(official.name), name_key(official.city), official.state, official.role)
            if key in seen:
                first_path, first_line = seen[key]
                where = (
                    f"line {first_line}" if first_path == shown else f"{first_path}:{first_line}"
                )
                result.problems.append(
                    Problem(shown, row.line, "error", f"duplicate of {where} ({official.name})")
                )
                continue
            seen[key] = (shown, row.line)
            result.officials.append(official)
    return result


# -- reading ---------------------------------------------------------------------------------


def read_table(
    path: Path,
    shown: str,
    problems: list[Problem],
    trusted: bool = False,
    schema: TableSchema = CONTACTS,
) -> Iterator[_Row]:
    """Read a CSV, YAML or JSON table (contacts, supporters): rows of its columns and lines."""
    try:
        raw = read_input(path, MAX_DATA_BYTES)
    except DataError as err:
        problems.append(Problem(shown, err.line, "error", err.reason))
        return
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(raw, shown, problems, schema)
    elif suffix in (".yaml", ".yml", ".json"):
        text = _decode_strict(raw, shown, problems)
        if text is None:
            return
        try:
            if suffix == ".json":
                check_json_shape(text, shown)
            elif not trusted:
                check_yaml_shape(text, shown)
        except DataError as err:
            problems.append(Problem(shown, err.line, "error", err.reason))
            return
        reader = _read_json if suffix == ".json" else _read_yaml
        yield from reader(text, shown, problems, schema)
    else:
        problems.append(
            Problem(shown, None, "error", "unknown file type (use .csv, .yaml, .yml or .json)")
        )


def _decode_strict(raw: bytes, shown: str, problems: list[Problem]) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        byte = raw[err.start : err.start + 1].hex()
        problems.append(
            Problem(shown, line, "error", f"byte 0x{byte} is not UTF-8; save the file as UTF-8")
        )
        return None


def normalise_header(name: str, aliases: dict[str, str] = ALIASES) -> str:
    """A column name as a key: "E-mail Address" -> "email_address", then its alias."""
    key = re.sub(r"[^a-z0-9]+", "_", (name or "").strip().lower()).strip("_")
    return aliases.get(key, key)


def _read_csv(
    raw: bytes, shown: str, problems: list[Problem], schema: TableSchema = CONTACTS
) -> Iterator[_Row]:
    table = read_csv_table(raw, shown, problems)
    if table is None:
        return
    columns = [normalise_header(h, schema.aliases) for h in table.header]
    missing = [c for c in schema.required if c not in columns]
    if missing:
        problems.append(
            Problem(
                shown,
                1,
                "error",
                f"missing header column(s) {', '.join(missing)}; the first line must name the "
                f"columns (required: {', '.join(schema.required)})",
            )
        )
        return
    known = schema.columns
    unknown = [h for h, c in zip(table.header, columns, strict=True) if c and c not in known]
    if unknown:
        problems.append(
            Problem(shown, 1, "warning", f"unknown column(s) ignored: {', '.join(unknown)}")
        )
    # the cells kept: the first of each known column (a column named twice keeps its first)
    picks: dict[str, int] = {}
    for index, column in enumerate(columns):
        if column in known and column not in picks:
            picks[column] = index
    names, positions = tuple(picks), tuple(picks.values())
    width = len(columns)
    for start, cells in table.rows:
        if len(cells) >= width:
            kept = [cells[i] for i in positions]
            row = _Row(start, dict(zip(names, kept, strict=True)), checked=True)
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                extra = len(cells) - width
                row.problems.append(
                    Problem(
                        shown, start, "warning", f"{extra} value(s) beyond the last column ignored"
                    )
                )
        else:  # a short row: the columns it reaches
            values = {name: cells[i] for name, i in picks.items() if i < len(cells)}
            row = _Row(start, values, checked=True)
        yield row


class _LineLoader(TextDateLoader):  # type: ignore[misc,valid-type]  # chosen at import
    """A safe YAML loader that remembers the line of every mapping; dates stay text."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _records_of(document: Any, list_key: str = "officials") -> list[Any] | None:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get(list_key), list):
        return document[list_key]
    return None


def _read_yaml(
    text: str, shown: str, problems: list[Problem], schema: TableSchema = CONTACTS
) -> Iterator[_Row]:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        problems.append(Problem(shown, line, "error", f"invalid YAML: {reason}"))
        return
    except (ValueError, TypeError, RecursionError) as err:  # a value no constructor takes
        problems.append(Problem(shown, None, "error", f"invalid YAML: {err}"))
        return
    yield from _rows_from_records(document, shown, problems, 1, schema)


def _read_json(
    text: str, shown: str, problems: list[Problem], schema: TableSchema = CONTACTS
) -> Iterator[_Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(Problem(shown, err.lineno, "error", f"invalid JSON: {err.msg}"))
        return
    except RecursionError:  # check_json_shape stops this first; kept as a last guard
        problems.append(Problem(shown, None, "error", "invalid JSON: nested too deeply"))
        return
    records = _records_of(document, schema.list_key)
    if records is not None:
        lines = _json_element_lines(text, schema.list_key)
        for record, line in zip(records, lines, strict=False):
            if isinstance(record, dict):
                record["__line__"] = line
    yield from _rows_from_records(document, shown, problems, 1, schema)


def _json_element_lines(text: str, list_key: str = "officials") -> Iterator[int]:
    """Yield the line on which each element of the records array starts."""
    listed = text.lstrip().startswith("[")
    match = None if listed else re.search(rf'"{re.escape(list_key)}"\s*:\s*\[', text)
    index = match.end() if match else text.index("[") + 1
    decoder = json.JSONDecoder()
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return
        yield text.count("\n", 0, index) + 1
        _, index = decoder.raw_decode(text, index)


def _rows_from_records(
    document: Any,
    shown: str,
    problems: list[Problem],
    default_line: int,
    schema: TableSchema = CONTACTS,
) -> Iterator[_Row]:
    records = _records_of(document, schema.list_key)
    if records is None:
        problems.append(
            Problem(
                shown,
                default_line,
                "error",
                f"expected a list of records, or a mapping with a '{schema.list_key}' list",
            )
        )
        return
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append(
                Problem(shown, default_line, "error", f"record {index} is not a mapping")
            )
            continue
        line = int(record.pop("__line__", default_line))
        values: dict[str, Any] = {}
        unknown = []
        for key, value in record.items():
            column = normalise_header(str(key), schema.aliases)
            if column in schema.columns:
                values[column] = value
            else:
                unknown.append(str(key))
        row = _Row(line, values)
        if unknown:
            row.problems.append(
                Problem(shown, line, "warning", f"unknown field(s) ignored: {', '.join(unknown)}")
            )
        yield row


# -- checking --------------------------------------------------------------------------------


def field_text(column: str, value: Any) -> tuple[str, str | None]:
    """A field as text, or why it cannot be one (a YAML/JSON list or mapping where text goes).

    ``address`` may be a list of lines; every other field must be a single value.
    """
    if column == "address" and isinstance(value, list):
        lines = [scalar_text(line) for line in value]
        if all(line is not None for line in lines):
            return "\n".join(line for line in lines if line), None
        return "", "address: expected text lines, found a list holding a list or mapping"
    text = scalar_text(value)
    if text is None:
        return "", f"{column}: expected text, found {kind_of(value)}"
    return text, None


def _normalise_role(value: str) -> str | None:
    key = name_key(value)
    if key.replace(" ", "_") in ROLES:
        return key.replace(" ", "_")
    return ROLE_WORDS.get(key)


def _check_row(
    row: _Row, shown: str, today: dt.date, deliverability: bool, strict: bool
) -> Official | None:
    def problem(severity: str, message: str) -> None:
        row.problems.append(Problem(shown, row.line, severity, message))

    values: dict[str, str] = {}
    for column, raw in row.values.items():
        text, wrong = field_text(column, raw)
        if wrong is None:
            wrong = text_problem(text)
            wrong = f"{column}: {wrong}" if wrong else None
        if wrong is not None:
            problem("error", wrong)
            return None
        values[column] = text
    errors_before = sum(1 for p in row.problems if p.severity == "error")

    for column, value in values.items():
        if len(value) > MAX_FIELD:
            problem(
                "error", f"{column}: value is {len(value):,} characters long (limit {MAX_FIELD:,})"
            )
            return None

    required = REQUIRED + (("source", "as_of") if strict else ())
    missing = [column for column in required if not values.get(column)]
    if missing:
        problem("error", f"missing required field(s): {', '.join(missing)}")

    role = None
    if values.get("role"):
        role = _normalise_role(values["role"])
        if role is None:
            problem("error", f"unknown role {values['role']!r} (use 'mayor' or 'council_member')")

    state = None
    if values.get("state"):
        state = state_code(values["state"])
        if state is None:
            problem("error", f"unknown US state {values['state']!r}")

    email = values.get("email") or None
    if email:
        email = _check_email(email, deliverability, problem)

    address = values.get("address") or None
    if address:
        lines = [part.strip() for part in re.split(r"\r?\n|;", address) if part.strip()]
        address = "\n".join(lines)
        if not _ZIP.search(lines[-1] if lines else ""):
            problem("warning", "address has no ZIP code on its last line; letters may not arrive")
        if len(lines) + 2 > WINDOW_LINES:  # + the name, and the title joined with the office
            problem(
                "error",
                f"print error: the address has {len(lines)} lines, with the name and title "
                f"{len(lines) + 2}, more than the {WINDOW_LINES} a window envelope shows; "
                f"use at most {WINDOW_LINES - 2} address lines",
            )

    as_of = values.get("as_of") or None
    if as_of:
        when = first_day(as_of)
        if when is None:
            problem("error", f"as_of {as_of!r} is not a date (use YYYY-MM-DD)")
        elif (today - when).days > STALE_AFTER_DAYS:
            problem(
                "warning", f"record is from {as_of}, more than 18 months ago; check it is current"
            )

    stale = _flag(values.get("stale", ""), "stale", problem)
    email_derived = _flag(values.get("email_derived", ""), "email_derived", problem)
    terms = read_terms(values, problem)
    if terms and any(terms.values()):
        term_warnings(terms, as_of, today, bool(stale), problem)
    elif stale:
        problem(
            "warning",
            f"{values.get('name')} is marked stale: {values.get('note') or 'not current'}",
        )
    if not email and not address:
        problem("warning", "no email and no postal address: no letter can reach this official")

    if sum(1 for p in row.problems if p.severity == "error") > errors_before:
        return None
    assert role is not None and state is not None
    name = values["name"]
    return Official(
        id=values.get("id") or slugify(f"{values['city']}-{state}-{role}-{name}"),
        name=name,
        role=role,
        city=values["city"],
        state=state,
        given_name=values.get("given_name") or None,
        family_name=values.get("family_name") or None,
        honorific=values.get("honorific") or None,
        title=values.get("title") or None,
        district=values.get("district") or None,
        email=email,
        email_derived=bool(email_derived),
        phone=values.get("phone") or None,
        address=address,
        source=values.get("source") or None,
        as_of=as_of,
        stale=bool(stale),
        note=values.get("note") or None,
        origin=f"{shown}:{row.line}",
        term_start=terms["term_start"] if terms else None,
        term_end=terms["term_end"] if terms else None,
        elected=terms["elected"] if terms else None,
        next_election=terms["next_election"] if terms else None,
    )


def _flag(value: str, column: str, problem: Any) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _BOOL_TRUE:
        return True
    if lowered in _BOOL_FALSE:
        return False
    problem("error", f"{column}: {value!r} is not true or false")
    return None


def _check_email(email: str, deliverability: bool, problem: Any) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(email, check_deliverability=deliverability)
    except EmailNotValidError as err:
        problem("error", f"invalid email {email!r}: {err}")
        return None
    return checked.normalized
