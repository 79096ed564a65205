"""Reading what a user gives us, with bounds: regular files only, sizes, nesting and text.

Every file the tool reads on a user's behalf (contact, signer and supporter files, templates,
``advocacy.toml``, sender files) goes through :func:`read_input`: a FIFO, a device (a symlink
to ``/dev/zero``), a socket or a folder is refused at once instead of hanging or filling the
memory, and so is a file over its size limit. YAML and JSON documents are checked for nesting
and YAML aliases before they are built (:func:`check_yaml_shape`, :func:`check_json_shape`),
and :func:`text_problem` is the one check of text values where they enter: control
characters, bidirectional overrides and values made only of invisible characters.

The limits are documented in the README ("Limits"); each error names the file (and line).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from advocacy.exceptions import DataError

#: Contact, signer and supporter files (a 100,000-row CSV of contacts is about 20 MB).
MAX_DATA_BYTES = 32 * 1024 * 1024
#: Templates, ``advocacy.toml`` and sender files.
MAX_TEXT_BYTES = 1024 * 1024
#: Nesting of a YAML or JSON data file (a list of records of lists is 3 deep).
MAX_DEPTH = 16
#: YAML aliases (``*name``) in one document: a handful is all a real file uses.
MAX_ALIASES = 64


def describe_kind(mode: int) -> str:
    """What a non-regular file is, for a message: "a FIFO (named pipe)", "a device"..."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_input(path: Path | str, limit: int, what: str = "file") -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO with no writer would block ``open`` for good)
    and checked on the open descriptor, so a symlink to a device is caught too. Raises
    DataError naming the file otherwise.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise DataError(f"cannot read {what}: {err.strerror or err}", shown) from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(
                f"cannot read {what}: it is {describe_kind(info.st_mode)}, not a regular file",
                shown,
            )
        if info.st_size > limit:
            raise DataError(
                f"{what} is {info.st_size:,} bytes; the limit is {limit:,} bytes", shown
            )
        # a file that grows while we read it still stops at the limit
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise DataError(f"{what} is over the limit of {limit:,} bytes", shown)
        return b"".join(chunks)
    except OSError as err:
        raise DataError(f"cannot read {what}: {err.strerror or err}", shown) from err
    finally:
        os.close(fd)


def read_input_text(path: Path | str, limit: int, what: str = "file") -> str:
    """:func:`read_input`, decoded as UTF-8 (a byte-order mark is skipped)."""
    raw = read_input(path, limit, what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise DataError(
            f"byte 0x{raw[err.start : err.start + 1].hex()} is not UTF-8; save the file as UTF-8",
            str(path),
            line,
        ) from err


# -- YAML and JSON shape --------------------------------------------------------------------

#: PyYAML's safe loader, in C (LibYAML) when PyYAML was built with it: ten times faster.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TextDateLoader(SAFE_LOADER):  # type: ignore[misc,valid-type]  # chosen at import
    """A safe loader that keeps dates as written: ``2024-02-30`` is text to check, not a crash."""


TextDateLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)

_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def check_yaml_shape(
    text: str, shown: str, depth: int = MAX_DEPTH, aliases: int = MAX_ALIASES
) -> None:
    """Refuse a YAML document nested deeper than ``depth`` or using more than ``aliases``.

    The events are read without building anything, so a "billion laughs" file of a
    kilobyte is refused in milliseconds instead of growing to gigabytes. Syntax errors are
    left to the loader, which reports them with their line.
    """
    level = used = 0
    try:
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, _OPEN):
                level += 1
                if level > depth:
                    line = event.start_mark.line + 1
                    raise DataError(f"nested more than {depth} levels deep", shown, line)
            elif isinstance(event, _CLOSE):
                level -= 1
            elif isinstance(event, yaml.AliasEvent):
                used += 1
                if used > aliases:
                    line = event.start_mark.line + 1
                    raise DataError(
                        f"more than {aliases} YAML aliases (*name); write the values out",
                        shown,
                        line,
                    )
    except yaml.YAMLError:
        return


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_json_shape(text: str, shown: str, depth: int = MAX_DEPTH) -> None:
    """Refuse a JSON document nested deeper than ``depth`` (Python's parser would recurse)."""
    level = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group(0)
        if token in "[{":
            level += 1
            if level > depth:
                line = text.count("\n", 0, match.start()) + 1
                raise DataError(f"nested more than {depth} levels deep", shown, line)
        elif token in "]}":
            level -= 1


# -- text values ------------------------------------------------------------------------------

#: C0 and C1 control characters other than tab and line breaks, and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidirectional embeddings, overrides and isolates: they reorder what a reader sees
#: ("Trojan Source"). The plain marks (U+200E, U+200F, U+061C) are harmless and allowed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Bytes that were not UTF-8, as Python's surrogateescape decoding keeps them.
_UNDECODED = re.compile("[\udc80-\udcff]")
#: Characters that show nothing: Unicode format characters (Cf) plus fillers that are letters.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
#: The printable characters :func:`is_invisible` counts as showing nothing.
_PRINTABLE_BLANKS = " " + "".join(sorted(_INVISIBLE_LETTERS))
_INVISIBLE = "holds only invisible characters (zero-width or blank); leave it empty or fill it"


def is_invisible(text: str) -> bool:
    """True when ``text`` is not empty but shows nothing (spaces, zero-width characters)."""
    return bool(text) and all(
        ch.isspace() or ch in _INVISIBLE_LETTERS or unicodedata.category(ch) in ("Cf", "Cc")
        for ch in text
    )


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be used as text, or None.

    Control characters (NUL, ESC...) would reach email headers and terminals; bidirectional
    overrides make a name read differently from what it is; a value of invisible characters
    only looks empty but is not.
    """
    if not value:
        return None
    if value.isprintable():
        # nearly every value (any script): control characters (Cc), bidirectional controls
        # (Cf) and undecoded bytes (Cs) are not printable, and the only printable characters
        # that show nothing are the space and the filler letters
        if value.strip(_PRINTABLE_BLANKS):
            return None
        return _INVISIBLE
    found = _CONTROL.search(value)
    if found:
        return (
            f"contains the control character U+{ord(found.group(0)):04X} at position "
            f"{found.start() + 1}; remove it"
        )
    found = _BIDI.search(value)
    if found:
        name = unicodedata.name(found.group(0), "bidirectional control")
        return (
            f"contains a bidirectional control (U+{ord(found.group(0)):04X} {name}) that "
            "reorders the text as shown; remove it"
        )
    if _UNDECODED.search(value):
        return "contains bytes that are not UTF-8; save the file as UTF-8"
    if is_invisible(value):
        return _INVISIBLE
    return None


def scalar_text(value: Any) -> str | None:
    """A YAML/JSON scalar as text (None for a list or mapping: the caller reports it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return None


def kind_of(value: Any) -> str:
    """ "a list", "a mapping", "a number"... for messages about a value of the wrong type."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return type(value).__name__
