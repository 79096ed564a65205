"""One module per output format, each with the same small interface, chosen from a registry.

A format module defines ``SUFFIX`` and a ``Renderer`` class: ``Renderer(style)`` is built once
per process (it may cache fonts and stylesheets) and ``renderer.render(letter) -> bytes``.
Modules are imported only when a letter is rendered, so ``advocacy --help`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from advocacy.exceptions import LookupFailed
from advocacy.letter import Letter

#: format name -> module; the order is the order of ``--format`` and of the index columns.
FORMATS = {
    "pdf": "advocacy.formats.pdf",
    "docx": "advocacy.formats.docx",
    "eml": "advocacy.formats.eml",
    "txt": "advocacy.formats.text",
    "mailto": "advocacy.formats.mailto",
}
#: Formats that write a file; ``mailto`` is a link kept in the index and manifest.
FILE_FORMATS = ("pdf", "docx", "eml", "txt")


@dataclass(frozen=True)
class Style:
    """The look of the letters: where the HTML layout, stylesheet and images come from."""

    template_folders: tuple[Path, ...]
    stylesheet: Path | None = None
    letterhead: dict[str, Any] = field(default_factory=dict)
    reference_docx: Path | None = None
    #: short marks in the left margin where the sheet is folded in thirds
    fold_marks: bool = False


class Renderer(Protocol):
    def render(self, letter: Letter) -> bytes: ...


def parse_formats(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Parse "pdf,docx" into known format names, in registry order."""
    if value is None or value == "" or value == "all":
        return tuple(FORMATS)
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = [item.strip().lower() for item in items if item.strip()]
    unknown = [item for item in wanted if item not in FORMATS]
    if unknown:
        raise LookupFailed(
            f"unknown format(s) {', '.join(unknown)} (choose from {', '.join(FORMATS)})"
        )
    return tuple(name for name in FORMATS if name in wanted)


def renderer(name: str, style: Style) -> Renderer:
    """Import the module of format ``name`` and build its renderer."""
    module = importlib.import_module(FORMATS[name])
    return module.Renderer(style)


def suffix(name: str) -> str:
    return ".txt" if name == "txt" else f".{name}"
