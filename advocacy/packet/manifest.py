"""The packet's manifests: rows per letter, spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

from advocacy.dataset import City
from advocacy.generate import LetterJob, LetterResult

#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MANIFEST_COLUMNS = (
    "city", "official", "role", "title", "district", "email", "template", "subject", "files",
    "mailto_length", "warnings", "status", "error",
)  # fmt: skip


SUPPORTER_COLUMNS = ("supporter", "supporter_folder", *MANIFEST_COLUMNS, "personal")


# -- manifests and index ------------------------------------------------------------------------


def csv_safe(value: Any) -> Any:
    """Neutralise a spreadsheet formula: a text cell starting with = + - @, tab or CR gets a
    leading apostrophe, so a spreadsheet shows it as text (OWASP CSV injection guidance)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def manifest_csv(rows: Sequence[dict[str, Any]], *, supporters: bool = False) -> bytes:
    """The manifest as CSV: UTF-8 with a byte-order mark (Excel), every cell quoted, safe.

    ``supporters``: one row per (supporter, official), with the supporter's name and folder
    and whether the letter carries their personal note.
    """
    buffer = io.BytesIO()
    write_manifest_csv(buffer, rows, supporters=supporters)
    return buffer.getvalue()


def write_manifest_csv(
    stream: IO[bytes], rows: Iterable[dict[str, Any]], *, supporters: bool = False
) -> None:
    """Write :func:`manifest_csv` to ``stream`` a row at a time (a 25,000-row manifest as one
    text took four bytes a character once a name was in Devanagari)."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
    try:
        text.write("\ufeff")
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        columns = SUPPORTER_COLUMNS if supporters else MANIFEST_COLUMNS
        writer.writerow(columns)
        # csv_safe, inlined: it ran for each of the 370,000 cells of a 23,000-letter manifest
        starts = FORMULA_STARTS
        get = dict.get
        files, warnings = columns.index("files"), columns.index("warnings")
        for row in rows:
            cells = [get(row, column) for column in columns]
            cells[files] = " ".join(row["files"].values())
            cells[warnings] = "; ".join(row["warnings"])
            writer.writerow(
                ["'" + c if isinstance(c, str) and c.startswith(starts) else c for c in cells]
            )
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open


def manifest_row(city: City, result: LetterResult) -> dict[str, Any]:
    row = result.to_dict()
    return {
        "city": city.label,
        "city_folder": city.slug,
        **{key: row[key] for key in row if key != "city"},
    }


def tie_dict(city: City) -> dict[str, Any]:
    tie = city.tie
    source = tie.source or ""
    return {
        "russian_city": tie.russian_city,
        "status": tie.status,
        "status_date": tie.status_date,
        "status_note": tie.status_note,
        "decided_by": tie.decided_by,
        "decision_source": tie.decision_source,
        "source": source,
        "source_url": source if source.lower().startswith(("https://", "http://")) else "",
        "as_of": tie.as_of,
    }


def letter_title(job: LetterJob) -> str:
    official = job.official
    where = f", District {official.district}" if official.district else ""
    return f"{official.name} ({official.display_title}{where})"
