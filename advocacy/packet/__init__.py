"""The campaign packet: every selected city's letters, plus the files that tie them together.

``build_packet`` writes, under the output folder, each city's folder exactly as ``advocacy
letter`` does, and at the top ``packet.pdf`` (every letter, with bookmarks), ``index.html``,
``manifest.csv``, ``manifest.json`` and ``README.txt``.

Incremental: each letter has a content hash covering everything it is made from (the template
folders, the official's record, the tie, the quotes, the sender, the date, the formats, the
style files and the tool's version). The hashes live in ``.advocacy-state.json`` in the output
folder; a letter whose hash is unchanged and whose files all exist is not rendered again, and
the combined files are rewritten only when one of their inputs changed. A run that finishes
without a failure stamps the folder (``.advocacy-stamp.json``: a hash of every input and the
size of every file); a rerun with the same inputs, finding every file as stamped, reports the
folder up to date without planning a letter.

Safe to interrupt: every file is written atomically, and each finished letter is appended to a
journal (``.advocacy-state.jsonl``) at once, so a run killed at any moment, even with SIGKILL,
leaves only complete files and the next run renders only what is missing. Ctrl-C stops the
workers and returns a report marked ``interrupted``.

Fast: letters are rendered by a pool of worker processes, each with one
:class:`~advocacy.generate.LetterFactory` (WeasyPrint, python-docx, fonts and stylesheets loaded
once per worker). ``packet.pdf`` is not laid out again: the letters' own PDFs are copied into
it object by object and streamed to disk, so memory stays flat however many letters there are.

Nothing here prints; the CLI (``advocacy.cli_packet``) reports what :class:`PacketReport` holds.
"""

from __future__ import annotations

import importlib
from typing import Any

#: where each name lives: the package imports a module when a name of it is first used, so
#: ``advocacy.packet.stamp`` (an unchanged rerun) does not import WeasyPrint's pypdf & co.
_WHERE = {
    "INDEX_HTML": "build",
    "MANIFEST_CSV": "build",
    "MANIFEST_JSON": "build",
    "README_TXT": "build",
    "PacketReport": "report",
    "build_packet": "build",
    "csv_safe": "manifest",
    "manifest_csv": "manifest",
    "PACKET_PDF": "pdf",
    "PdfConcatenator": "pdf",
    "write_packet_pdf": "pdf",
    "CityPlan": "plan",
    "PacketPlan": "plan",
    "PacketSettings": "plan",
    "PlannedLetter": "plan",
    "plan_packet": "plan",
    "select_cities": "plan",
    "usable_cpus": "plan",
    "STATE_NAME": "state",
    "PacketState": "state",
    "render_letters": "workers",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "INDEX_HTML",
    "MANIFEST_CSV",
    "MANIFEST_JSON",
    "PACKET_PDF",
    "README_TXT",
    "STATE_NAME",
    "CityPlan",
    "PacketPlan",
    "PacketReport",
    "PacketSettings",
    "PacketState",
    "PdfConcatenator",
    "PlannedLetter",
    "build_packet",
    "csv_safe",
    "manifest_csv",
    "plan_packet",
    "render_letters",
    "select_cities",
    "usable_cpus",
    "write_packet_pdf",
]
