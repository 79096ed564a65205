"""A campaign workspace: ``advocacy init`` and copying built-in templates into ``templates/``.

A workspace is a folder holding ``advocacy.toml`` (defaults for every command run there),
``templates/`` (templates that override or extend the built-ins), ``contacts/`` (your own contact
files) and ``out/`` (the letters, ignored by git). Nothing here overwrites a file unless asked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from advocacy.config import CONFIG_NAME
from advocacy.contacts import COLUMNS
from advocacy.exceptions import ConfigError, LookupFailed, TemplateFailed
from advocacy.templating import (
    BUILTIN_PREFIX,
    TEMPLATE_SUFFIX,
    builtin_dir,
    find_template,
)

TEMPLATES_README = "README.md"

ADVOCACY_TOML = """\
# advocacy.toml: defaults for every `advocacy` command run in this folder.
# Options on the command line win over these. Paths are relative to this file.
# To use a setting, remove the "# " in front of it.

# Who signs the letters. Without a name and an address, letters carry placeholders
# such as [Your name], and `advocacy templates check` warns about them.
# [sender]
# name = "Jane Doe"
# address = ["123 Main St", "San Jose, CA 95112"]   # city, state and ZIP: its last line
# city = "San Jose"                    # or say them here
# state = "CA"
# zip = "95112"
# email = "jane.doe@example.org"
# phone = "+1 408 555 0100"
# district = "District 3"
# organisation = "Friends of Ukraine"

[defaults]
# Folder the letters are written to (git ignores it, see .gitignore).
out = "out"
# Formats to write: pdf, docx, eml, mailto, txt.
# formats = ["pdf", "docx", "eml", "mailto", "txt"]
# Who gets letters: mayor, council or all.
# to = "all"
# One template for every letter (default: "mayor" for mayors, "council" for council members).
# template = "mayor"
# A templates folder; ./templates is looked at anyway when you run advocacy in this folder.
# templates = "templates"
# Your contact files: for each city they list, their officials replace the embedded ones.
# contacts = ["contacts/my-council.csv"]
# Cities and parallel jobs for `advocacy packet`.
# cities = ["San Jose, CA", "Portland, OR"]
# jobs = 2

# The look of the letters.
# [style]
# stylesheet = "templates/letter.css"   # replaces the PDF's stylesheet (copy the built-in first)
# organisation = "Friends of Ukraine"   # letterhead of the PDF
# tagline = "Stand with Ukraine"
# logo = "templates/logo.png"           # images must sit in templates/
# reference_docx = "reference.docx"     # Word file whose styles the DOCX letters use
"""

GITIGNORE = """\
# Letters written by advocacy (personal data: keep them out of version control)
out/
# Supporters' names and addresses (advocacy packet --supporters): personal data too
supporters*.csv
supporters*.json
supporters*.yaml
supporters*.yml
supporters/
"""


def sample_csv(today: dt.date) -> str:
    """A contact file with every documented column and two example officials."""
    rows = [
        {
            "name": "José Núñez",
            "role": "mayor",
            "city": "Sampleton",
            "state": "CA",
            "title": "Mayor",
            "email": "mayor@sampleton.example.org",
            "phone": "+1 555 010 0100",
            "address": "1 City Hall Plaza; Sampleton, CA 90000",
            "given_name": "José",
            "family_name": "Núñez",
            "source": "https://sampleton.example.org/mayor",
            "as_of": today.isoformat(),
            "note": "Example row: replace it with a real official",
        },
        {
            "name": "Олена Коваленко",
            "role": "council member",
            "city": "Sampleton",
            "state": "CA",
            "district": "3",
            "email": "d3@sampleton.example.org",
            "address": "1 City Hall Plaza; Sampleton, CA 90000",
            "given_name": "Olena",
            "family_name": "Kovalenko",
            "honorific": "Ms.",
            "email_derived": "false",
            "source": "https://sampleton.example.org/council",
            "as_of": today.isoformat(),
        },
    ]
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(_csv_cell(row.get(column, "")) for column in COLUMNS))
    return "\n".join(lines) + "\n"


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\n;'):
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass
class InitResult:
    """What ``init`` did: the files it created and the existing files it left alone."""

    folder: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def workspace_files(today: dt.date) -> dict[str, str]:
    """The files of a new workspace, by path relative to its folder."""
    readme = (builtin_dir() / TEMPLATES_README).read_text(encoding="utf-8")
    return {
        CONFIG_NAME: ADVOCACY_TOML,
        ".gitignore": GITIGNORE,
        f"templates/{TEMPLATES_README}": readme,
        "contacts/sample.csv": sample_csv(today),
    }


def init_workspace(folder: Path, today: dt.date | None = None) -> InitResult:
    """Create a campaign workspace in ``folder``; existing files are never overwritten.

    A folder that already has ``advocacy.toml`` is a workspace: nothing is written. Otherwise
    every missing file is created and every existing one is kept (and reported).
    """
    config = folder / CONFIG_NAME
    if config.exists():
        raise ConfigError(
            f"{config} already exists: {folder} is already a campaign workspace (nothing written)"
        )
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder")
    result = InitResult(folder)
    for relative, text in workspace_files(today or dt.date.today()).items():
        path = folder / relative
        if path.exists():
            result.kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": never replace a file that appeared since we looked
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        result.created.append(path)
    (folder / "out").mkdir(exist_ok=True)
    return result


# -- finding and copying templates -----------------------------------------------------------

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def locate_template(folders: list[Path], name: str) -> Path:
    """Find a template file by name along the search path.

    ``NAME`` is a letter template (``mayor``, ``mayor.j2``), a layout or stylesheet by file name
    (``_campaign.j2``, ``letter.css``, ``letter.html.j2``), or ``builtin:NAME`` for the built-in
    one even when the workspace overrides it.
    """
    if name.startswith(BUILTIN_PREFIX):
        return locate_template([builtin_dir()], name[len(BUILTIN_PREFIX) :])
    if not _PLAIN_NAME.match(name):
        raise LookupFailed(f"{name!r} is not a template name (no folders, no '..')")
    for candidate in (name, name + TEMPLATE_SUFFIX):
        for folder in folders:
            path = folder / candidate
            if path.is_file():
                return path
    return find_template(folders, name).path  # raises with the list of names


@dataclass(frozen=True)
class Copied:
    """A template copied into the workspace."""

    source: Path
    destination: Path
    blocks: tuple[str, ...] = ()


def copy_template(
    name: str,
    destination: Path,
    *,
    force: bool = False,
    blocks: tuple[str, ...] = (),
) -> Copied:
    """Copy the built-in template ``name`` to ``destination``: a folder (an existing one, or
    a path without a suffix, such as ``templates``) or a file path (``drafts/short.j2``).

    With ``blocks``, write a small template instead that extends the built-in
    (``{% extends "builtin:mayor.j2" %}``) and holds only those blocks, ready to edit.
    """
    base = name.removeprefix(BUILTIN_PREFIX)
    source = locate_template([builtin_dir()], base)
    if destination.is_dir() or not destination.suffix:
        destination = destination / source.name
    if destination.exists() and not force:
        raise ConfigError(f"{destination} already exists (use --force to overwrite it)")
    text = override_source(source, blocks) if blocks else source.read_text(encoding="utf-8")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8", newline="\n")
    except OSError as err:
        raise ConfigError(f"{destination}: cannot write: {err.strerror or err}") from err
    return Copied(source, destination, tuple(blocks))


_META = re.compile(r"\A\s*\{#-?\s*meta\b.*?-?#\}\n?", re.DOTALL)
_EXTENDS = re.compile(r"""\{%-?\s*extends\s+["']([^"']+)["']\s*-?%\}""")
_BLOCK_TAG = re.compile(r"\{%-?\s*(block\s+(\w+)|endblock(?:\s+\w+)?)\s*-?%\}")


def override_source(source: Path, blocks: tuple[str, ...]) -> str:
    """A template that extends the built-in ``source`` and repeats only ``blocks``."""
    text = source.read_text(encoding="utf-8")
    meta = _META.match(text)
    parts = [meta.group(0).rstrip("\n") + "\n" if meta else ""]
    parts.append(
        f'{{% extends "{BUILTIN_PREFIX}{source.name}" %}}\n'
        "{#- Only the blocks below differ from the built-in letter; everything else is\n"
        f"    inherited. `advocacy templates show builtin:{source.name}` shows the rest. -#}}\n"
    )
    for block in blocks:
        body = find_block(source, block)
        parts.append(f"\n{{% block {block} %}}{body}{{% endblock %}}\n")
    return "".join(parts)


def find_block(source: Path, block: str) -> str:
    """The source of ``block`` in built-in ``source`` or the built-in layouts it extends."""
    seen: set[Path] = set()
    path: Path | None = source
    available: list[str] = []
    while path is not None and path not in seen:
        seen.add(path)
        text = path.read_text(encoding="utf-8")
        found = _block_body(text, block)
        if found is not None:
            return found
        available.extend(m.group(2) for m in _BLOCK_TAG.finditer(text) if m.group(2))
        parent = _EXTENDS.search(text)
        path = None
        if parent:
            candidate = builtin_dir() / parent.group(1).removeprefix(BUILTIN_PREFIX)
            path = candidate if candidate.is_file() else None
    names = ", ".join(dict.fromkeys(available))
    raise TemplateFailed(f"no block named {block!r} (blocks: {names})", str(source))


def _block_body(text: str, block: str) -> str | None:
    depth = 0
    start = None
    for match in _BLOCK_TAG.finditer(text):
        if match.group(2):  # {% block NAME %}
            if start is None and match.group(2) == block:
                start, depth = match.end(), 0
            elif start is not None:
                depth += 1
        elif start is not None:  # {% endblock %}
            if depth == 0:
                return text[start : match.start()]
            depth -= 1
    return None
