"""A supporter's own page, ``supporters/<slug>/index.html``, written right after their letters.

The page shows one supporter's letters with their email links and nothing of anyone else.
It is written by the process that wrote the letters (a worker), from the letters' results:
the ``mailto:`` links (2-3 KB each) then never travel to the parent, which keeps only their
length. Whether a page must be written again is decided by :func:`page_key`, a hash of what
the page shows that the parent can compute before any letter is rendered: the supporter, the
reasons a letter could not be written, the letters' content hashes and the formats.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from advocacy import __version__
from advocacy.budget import render_bounded
from advocacy.formats import FILE_FORMATS
from advocacy.generate import LetterResult
from advocacy.output import atomic_write, inside
from advocacy.templating import shared_environment

SUPPORTER_INDEX = "_supporter-index.html.j2"
PAGE_NAME = "index.html"


def page_formats(formats: Sequence[str]) -> list[str]:
    return [f for f in formats if f in FILE_FORMATS]


def page_key(inputs_digest: str, group: Any, formats: Sequence[str]) -> str:
    """What ``group``'s page shows, as a hash: equal hashes, equal pages (when every letter of
    the group was written; a page showing a failed letter is not recorded as done)."""
    # The parts joined by separators no part holds (a supporter's text has no control
    # character, the rest are names and hashes of fixed length): the hash is only compared
    # with the state's, and this is a quarter of the instructions of sorted JSON (10,000
    # pages a packet, before the first letter).
    supporter = group.supporter
    text = "\x1f".join(
        [
            inputs_digest,
            group.folder,
            supporter.name,
            supporter.city,
            supporter.state,
            "\x1e".join(group.reasons),
            "".join([planned.digest for planned in group.letters]),
            ",".join(page_formats(formats)),
        ]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def page_path(folder: str) -> str:
    """Where the page of the supporter with ``folder`` (``supporters/<slug>``) is."""
    return f"{folder}/{PAGE_NAME}"


def letter_row(group: Any, result: LetterResult) -> dict[str, Any]:
    """A supporter's letter as their page lists it: its manifest row and its email link."""
    record = {
        "subject": result.subject,
        "files": result.files,
        "mailto_length": result.mailto_length,
        "warnings": result.warnings,
        "status": result.status,
        "error": result.error,
    }
    return {**supporter_row({}, group, result.job, record), "mailto": result.mailto}


def supporter_row(
    bases: dict[tuple[int, int, int], dict[str, Any]],
    group: Any,
    job: Any,
    record: dict[str, Any],
) -> dict[str, Any]:
    """A supporter's letter as the manifests list it (no ``mailto`` link: that is on the
    supporter's page), from its record. ``bases`` keeps the official's part, the same in
    every supporter's letter to them (a packet has 25,000 rows)."""
    key = (id(job.official), id(job.template), id(job.city))
    base = bases.get(key)
    if base is None:
        official = job.official
        base = bases[key] = {
            "city": job.city.label,
            "city_folder": job.city.slug,
            "official": official.name,
            "role": official.role,
            "title": official.display_title,
            "district": official.district,
            "email": official.email,
            "template": job.template.name,
        }
    return {
        **base,
        "subject": record.get("subject") or "",
        "files": dict(record.get("files") or {}),
        "mailto_length": int(record.get("mailto_length") or 0),
        "warnings": list(record.get("warnings") or []),
        "status": record.get("status", "failed"),
        "error": record.get("error"),
        "supporter": group.supporter.name,
        "supporter_folder": group.folder,
        "stem": job.stem,
        "personal": bool(job.personal),
    }


def person(group: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    supporter = group.supporter
    return {
        "name": supporter.name,
        "city": f"{supporter.city}, {supporter.state}",
        "folder": group.folder,
        "letters": rows,
        "reasons": list(group.reasons),
    }


def write_page(
    out: Path,
    folders: Sequence[Path],
    formats: Sequence[str],
    date: dt.date,
    group: Any,
    results: Sequence[LetterResult],
    place: Callable[[Path, str, str], str] | None = None,
    write: Callable[[dict[str, bytes]], None] | None = None,
    environment: Any = None,
) -> tuple[str, int]:
    """Write ``group``'s page from its letters' results; return its path and size.

    ``place(out, folder, name)`` gives the checked path of a file in the output folder and
    ``write({path: bytes})`` writes it (``LetterFactory.file`` and ``write_files``, which
    know the folders resolved already and the folder being written whole); by default the
    path is resolved in full (``inside``, a system call a path component) and the page is
    written to a temporary file and renamed into place. ``environment`` is the HTML
    environment to render it in (by default the process's shared one).
    """
    shown = page_formats(formats)
    rows = [letter_row(group, result) for result in results]
    letters = [
        {**row, "files": {k: v.rsplit("/", 1)[-1] for k, v in row["files"].items()}} for row in rows
    ]
    context = {
        "supporter": person(group, rows),
        "letters": letters,
        "formats": shown,
        "date": date,
        "version": __version__,
    }
    if environment is None:
        environment = shared_environment(tuple(folders), html=True)
    # rendered as letters are (bounded in size; the template's globals not walked again)
    page = render_bounded(environment.get_template(SUPPORTER_INDEX), context).encode("utf-8")
    relative = page_path(group.folder)
    # like the letters, not fsynced: the state records the page's size with its hash, and a
    # page missing or cut short (a power cut) is written again by the next run
    if place is not None and write is not None:
        write({place(out, group.folder, PAGE_NAME): page})
    else:
        atomic_write(inside(out, relative), page, durable=False)
    return relative, len(page)


def recorded(key: str, size: int) -> str:
    """What the state keeps of a written page: its hash and its size."""
    return f"{key} {size}"


def page_is_current(out: Path, group: Any, key: str, stored: str | None) -> bool:
    """Whether ``group``'s page on disk is the one ``key`` describes, whole."""
    if not stored or not stored.startswith(key + " "):
        return False
    try:
        size = os.stat(f"{out}/{page_path(group.folder)}").st_size
    except OSError:
        return False
    return stored == recorded(key, size)
