"""Campaign configuration: ``advocacy.toml`` in the current folder, and sender files.

Lookup order for every setting: the command-line option, then ``advocacy.toml`` in the current
folder, then the built-in default.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advocacy.exceptions import ConfigError, DataError
from advocacy.formats import Style
from advocacy.inputs import MAX_TEXT_BYTES, kind_of, read_input, text_problem
from advocacy.models import Sender

CONFIG_NAME = "advocacy.toml"
SENDER_FIELDS = (
    "name", "address", "city", "state", "zip", "email", "phone", "district", "neighbourhood",
    "organisation",
)  # fmt: skip

# advocacy.toml [defaults] key -> (commands it applies to, click parameter name)
_DEFAULT_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "template": (("letter", "packet"), "template"),
    "formats": (("letter", "packet"), "formats"),
    "out": (("letter", "packet"), "out"),
    "to": (("letter", "packet"), "to"),
    "templates": (("letter", "packet", "list", "show", "check", "copy"), "templates_dir"),
    "cities": (("packet",), "cities"),
    "jobs": (("packet",), "jobs"),
}


@dataclass
class Config:
    """What ``advocacy.toml`` says, with relative paths resolved against its folder."""

    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def contacts(self) -> list[Path]:
        value = self.raw.get("defaults", {}).get("contacts")
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [self.folder / v for v in values]

    @property
    def sender(self) -> Sender | None:
        section = self.raw.get("sender")
        if not section:
            return None
        return sender_from_mapping(section, str(self.path))

    def style(self, folders: list[Path]) -> Style:
        """The look of the letters from ``[style]``: stylesheet, letterhead, reference .docx.

        ``[style]`` keys: ``stylesheet`` (a CSS file replacing the built-in letter.css),
        ``organisation`` and ``logo`` (the letterhead; the logo must sit in a templates
        folder), ``reference_docx`` (a Word file whose styles the DOCX letters use),
        ``fold_marks`` (true: marks in the margin where the sheet is folded in thirds).
        """
        section = self.raw.get("style", {})
        if not isinstance(section, dict):
            raise ConfigError(f"{self.path}: [style] must be a table")

        def path_of(key: str) -> Path | None:
            value = section.get(key)
            if not value:
                return None
            path = self.folder / str(value)
            if not path.is_file():
                raise ConfigError(f"{self.path}: [style] {key}: no such file {path}")
            return path

        fold_marks = section.get("fold_marks", False)
        if not isinstance(fold_marks, bool):
            raise ConfigError(f"{self.path}: [style] fold_marks must be true or false")
        letterhead = {
            key: str(section[key]) for key in ("organisation", "logo", "tagline") if key in section
        }
        if "logo" in letterhead:
            logo = path_of("logo")
            letterhead["logo"] = logo.resolve().as_uri() if logo else ""
        return Style(
            template_folders=tuple(folders),
            stylesheet=path_of("stylesheet"),
            letterhead=letterhead,
            reference_docx=path_of("reference_docx"),
            fold_marks=fold_marks,
        )

    def default_map(self) -> dict[str, dict[str, Any]]:
        """Return click's ``default_map``: options on the command line still win."""
        defaults = self.raw.get("defaults", {})
        result: dict[str, dict[str, Any]] = {}
        for key, value in defaults.items():
            if key not in _DEFAULT_KEYS:
                continue
            commands, param = _DEFAULT_KEYS[key]
            if key in ("out", "templates"):
                value = str(self.folder / value)
            if key == "formats" and isinstance(value, list):
                value = ",".join(value)
            for command in commands:
                result.setdefault(command, {})[param] = value
        # click looks defaults up per sub-command, so nested groups get their own copy
        if "templates_dir" in result.get("list", {}):
            result["templates"] = {
                name: {"templates_dir": result[name]["templates_dir"]}
                for name in ("list", "show", "check", "copy")
            }
        return result


def load_config(folder: Path) -> Config:
    """Read ``advocacy.toml`` from ``folder`` if it exists; every known key is type-checked."""
    path = folder / CONFIG_NAME
    if not os.path.lexists(path):
        return Config()
    text = _read_toml_text(path, "advocacy.toml")
    raw = _parse_toml(text, path)
    _check_config(raw, text, path)
    return Config(path, raw)


def _read_toml_text(path: Path, what: str) -> str:
    try:
        raw = read_input(path, MAX_TEXT_BYTES, what)
    except DataError as err:
        raise ConfigError(str(err)) from err
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{path}:{line}: invalid TOML: not UTF-8") from err


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from err
    except RecursionError as err:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from err


def _read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    return _parse_toml(_read_toml_text(path, what), path)


_TABLE_LINE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")


def line_of(text: str, table: str | None, key: str | None = None) -> int | None:
    """The line of ``key`` in ``[table]`` of a TOML text (of the table if ``key`` is None).

    tomllib keeps no positions; a plain scan finds what a person wrote, which is all a
    message needs. None when it cannot be found (e.g. a dotted or inline table).
    """
    current: str | None = None
    table_line = None
    key_line = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""") if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_LINE.match(line)
        if header:
            current = header.group(1).strip("\"' ")
            if current == table and table_line is None:
                table_line = number
            continue
        if key_line and current == table and key_line.match(line):
            return number
    return table_line


def _where(path: Path, text: str, table: str | None, key: str | None = None) -> str:
    line = line_of(text, table, key)
    return f"{path}:{line}" if line else str(path)


#: advocacy.toml: [defaults] key -> (what it must be, how it is described)
_DEFAULT_TYPES: dict[str, str] = {
    "template": "text",
    "formats": "texts",
    "out": "text",
    "to": "text",
    "templates": "text",
    "cities": "texts",
    "contacts": "texts",
    "jobs": "count",
}
_STYLE_KEYS = ("stylesheet", "organisation", "logo", "tagline", "reference_docx")


def _check_config(raw: dict[str, Any], text: str, path: Path) -> None:
    """Check the type of every key this tool reads; the error names the file and line."""
    for table in ("defaults", "sender", "style"):
        if table in raw and not isinstance(raw[table], dict):
            brackets = (
                "[[" + table + "]] (an array of tables)"
                if isinstance(raw[table], list)
                else f"{table} = {kind_of(raw[table])}"
            )
            raise ConfigError(
                f"{_where(path, text, table)}: {table} must be one table [{table}], "
                f"found {brackets}"
            )
    defaults = raw.get("defaults", {})
    for key, value in defaults.items():
        expected = _DEFAULT_TYPES.get(key)
        problem = _type_problem(value, expected) if expected else None
        if key == "to" and problem is None and value not in ("mayor", "council", "all"):
            problem = f"expected mayor, council or all, found {value!r}"
        if problem:
            raise ConfigError(f"{_where(path, text, 'defaults', key)}: [defaults] {key}: {problem}")
    for key in _STYLE_KEYS:
        value = raw.get("style", {}).get(key)
        problem = None if value is None else _type_problem(value, "text")
        if problem:
            raise ConfigError(f"{_where(path, text, 'style', key)}: [style] {key}: {problem}")
    if "sender" in raw:
        _check_sender_types(raw["sender"], text, path, "sender")


def _type_problem(value: Any, expected: str) -> str | None:
    if expected == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"expected a whole number of at least 1, found {kind_of(value)}"
        return None
    if expected == "texts" and isinstance(value, list):
        for item in value:
            problem = _type_problem(item, "text")
            if problem:
                return problem.replace("expected text", "expected a list of texts")
        return None
    if not isinstance(value, str):
        wanted = "text or a list of texts" if expected == "texts" else "text"
        return f"expected {wanted}, found {kind_of(value)}"
    return text_problem(value)


def _check_sender_types(data: dict[str, Any], text: str, path: Path, table: str | None) -> None:
    for key, value in data.items():
        if key in ("address", "address_lines") and isinstance(value, list):
            problem = _type_problem(value, "texts")
        elif isinstance(value, int) and not isinstance(value, bool) and key in ("district", "zip"):
            problem = None  # district = 3, zip = 95113
        else:
            problem = _type_problem(value, "text")
        if problem:
            where = _where(path, text, table, key)
            raise ConfigError(f"{where}: sender {key}: {problem}")


def sender_from_mapping(data: dict[str, Any], where: str) -> Sender:
    """Build a Sender from a TOML table; unknown keys and wrong types are errors."""
    unknown = sorted(set(data) - set(SENDER_FIELDS) - {"address_lines"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown sender field(s) {', '.join(unknown)} "
            f"(known: {', '.join(SENDER_FIELDS)})"
        )
    address = data.get("address", data.get("address_lines", ()))
    if isinstance(address, str):
        lines = tuple(line.strip() for line in address.splitlines() if line.strip())
    elif isinstance(address, list | tuple) and all(isinstance(line, str) for line in address):
        lines = tuple(address)
    else:
        raise ConfigError(f"{where}: sender address must be a string or a list of lines")
    values = {}
    for key in ("name", "email", "phone", "organisation", "city", "state", "zip"):
        value = data.get(key)
        if key == "zip" and isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:05d}"
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}: sender {key} must be a string")
        values[key] = value or None
    district = data.get("district", data.get("neighbourhood"))
    if district is not None:
        district = str(district)
    if values["state"]:
        from advocacy.states import state_code

        code = state_code(values["state"])
        if code is None:
            raise ConfigError(f"{where}: sender state {values['state']!r} is not a US state")
        values["state"] = code
    if values["email"]:
        from email_validator import EmailNotValidError, validate_email

        try:
            values["email"] = validate_email(values["email"], check_deliverability=False).normalized
        except EmailNotValidError as err:
            raise ConfigError(f"{where}: sender email {values['email']!r}: {err}") from err
    return Sender(address_lines=lines, district=district, **values)


def load_sender(path: Path | None, config: Config) -> Sender | None:
    """Return the sender from ``--sender FILE``, else from ``[sender]`` in advocacy.toml."""
    if path is None:
        return config.sender
    text = _read_toml_text(path, "sender file")
    data = _parse_toml(text, path)
    section = data.get("sender", data)
    if not isinstance(section, dict):
        raise ConfigError(
            f"{_where(path, text, 'sender')}: expected sender fields or one [sender] table, "
            f"found {kind_of(section)}"
        )
    _check_sender_types(section, text, path, "sender" if "sender" in data else None)
    return sender_from_mapping(section, str(path))
