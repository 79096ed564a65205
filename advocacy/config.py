"""Campaign configuration: ``advocacy.toml`` in the current folder, and sender files.

Lookup order for every setting: the command-line option, then ``advocacy.toml`` in the current
folder, then the built-in default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advocacy.exceptions import ConfigError
from advocacy.formats import Style
from advocacy.models import Sender

CONFIG_NAME = "advocacy.toml"
SENDER_FIELDS = ("name", "address", "email", "phone", "district", "neighbourhood", "organisation")

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
        folder), ``reference_docx`` (a Word file whose styles the DOCX letters use).
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
    """Read ``advocacy.toml`` from ``folder`` if it exists."""
    path = folder / CONFIG_NAME
    if not path.is_file():
        return Config()
    return Config(path, _read_toml(path))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from err


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
    elif isinstance(address, list) and all(isinstance(line, str) for line in address):
        lines = tuple(address)
    else:
        raise ConfigError(f"{where}: sender address must be a string or a list of lines")
    values = {}
    for key in ("name", "email", "phone", "organisation"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}: sender {key} must be a string")
        values[key] = value or None
    district = data.get("district", data.get("neighbourhood"))
    if district is not None:
        district = str(district)
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
    data = _read_toml(path)
    section = data.get("sender", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: expected sender fields or a [sender] table")
    return sender_from_mapping(section, str(path))
