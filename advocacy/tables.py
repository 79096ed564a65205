"""The one CSV table reader behind contact, signer and supporter files.

Spreadsheets' habits are accepted (a byte-order mark, comma or semicolon, quoted values over
several lines); what would hurt is bounded and reported with its line, and the reading goes
on with the next row:

- a value over ``MAX_CELL`` characters or a row over ``MAX_CELLS`` cells;
- a quote that is never closed: the rows it swallowed are read again, and the error is
  reported at the line where the quote opens (not at the end of the file);
- text that cannot be used (:func:`advocacy.inputs.text_problem`: control characters,
  bidirectional overrides, invisible-only values, bytes that are not UTF-8), with its column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from advocacy.inputs import text_problem
from advocacy.models import Problem

#: The longest value a cell may hold (longer: the row is reported and skipped).
MAX_CELL = 100_000
#: Cells in one row.
MAX_CELLS = 500
#: Rows reported as malformed before the rest of the file is given up.
MAX_BAD_ROWS = 100
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class CsvTable:
    """A CSV file as spreadsheets export it: its header, then its non-blank rows with lines."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def read_csv_table(raw: bytes, shown: str, problems: list[Problem]) -> CsvTable | None:
    """Decode and split a CSV file; None (and a problem) when it has no readable header.

    The byte-order mark Excel writes is skipped and the delimiter (comma or semicolon) is
    taken from the header line. Bytes that are not UTF-8 are kept as surrogates, so only the
    rows holding them are rejected. A malformed row is reported with its line and skipped;
    each row comes with the line it starts on.
    """
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    if not text.strip():
        problems.append(Problem(shown, None, "error", "file is empty"))
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # module-wide; a bounded cell also bounds what a quote left open can swallow at once
    csv.field_size_limit(MAX_CELL)
    reader = _reader(text, 0, delimiter)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as err:
        problems.append(Problem(shown, 1, "error", f"cannot read the header: {err}"))
        return None
    return CsvTable(header, _rows(text, delimiter, header, reader, shown, problems))


def _reader(text: str, skip_lines: int, delimiter: str) -> Any:
    """A csv reader over ``text`` from the start of line ``skip_lines + 1``."""
    offset = 0
    if skip_lines:
        for count, match in enumerate(_LINE_BREAK.finditer(text), start=1):
            if count == skip_lines:
                offset = match.end()
                break
        else:
            offset = len(text)
    return csv.reader(io.StringIO(text[offset:], newline=""), delimiter=delimiter, strict=False)


def _rows(
    text: str,
    delimiter: str,
    header: list[str],
    reader: Any,
    shown: str,
    problems: list[Problem],
) -> Iterator[tuple[int, list[str]]]:
    base = 0  # lines before the current reader's first line
    line = reader.line_num + 1  # the line the next row starts on
    odd_quotes = text.count('"') % 2 == 1
    last_line = len(_LINE_BREAK.findall(text.rstrip("\r\n"))) + 1 if odd_quotes else 0
    bad = 0

    def error(at: int, message: str) -> None:
        problems.append(Problem(shown, at, "error", message))

    while True:
        if bad > MAX_BAD_ROWS:
            error(line, f"more than {MAX_BAD_ROWS} malformed rows; the rest is not read")
            return
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            bad += 1
            if "field larger than field limit" in str(err):
                error(
                    line,
                    f"a value is longer than the limit of {MAX_CELL:,} characters (or a quote "
                    "is left open); row skipped",
                )
            else:
                error(line, f"malformed CSV: {err}")
            reader, base = _reader(text, line, delimiter), line
            line += 1
            continue
        start, end = line, base + reader.line_num
        line = end + 1
        if end > start:
            opened = _unclosed_quote(cells, header, delimiter, start, odd_quotes, end, last_line)
            if opened is not None:
                bad += 1
                odd_quotes = False  # reported once
                error(
                    opened,
                    f'a quote (") opens here and is not closed: lines {opened}-{end} were read '
                    'as one value; close it (a quote inside a value is written "")',
                )
                reader, base = _reader(text, opened, delimiter), opened
                line = opened + 1
                continue
        if not "".join(cells).strip():  # blank lines (only blank cells) are skipped
            continue
        if len(cells) > MAX_CELLS:
            bad += 1
            error(start, f"{len(cells):,} cells in this row; the limit is {MAX_CELLS:,}")
            continue
        wrong = _cell_problem(cells, header)
        if wrong is not None:
            error(start, wrong)
            continue
        yield start, cells


def _cell_problem(cells: list[str], header: list[str]) -> str | None:
    for index, cell in enumerate(cells):
        wrong = text_problem(cell)
        if wrong is not None:
            column = header[index].strip() if index < len(header) else ""
            return f"{column or f'column {index + 1}'}: {wrong}"
    return None


def _unclosed_quote(
    cells: list[str],
    header: list[str],
    delimiter: str,
    start: int,
    odd_quotes: bool,
    end: int,
    last_line: int,
) -> int | None:
    """The line where a quote opens that swallowed later rows, or None for a fine row.

    A value over several lines is normal (an address); it is a quote left open when a line
    inside it reads as a whole row of the file (as many cells as the header), and either
    the file holds an odd number of quotes or the row lost cells to it.
    """
    before = 0  # line breaks in the cells before the one that spans lines
    for cell in cells:
        breaks = cell.count("\n") + cell.count("\r") - cell.count("\r\n")
        if breaks:
            continuation = _LINE_BREAK.split(cell)[1:]
            looks_like_rows = any(
                len(next(csv.reader([part], delimiter=delimiter), [])) >= len(header) > 1
                for part in continuation
                if part.strip()
            )
            if looks_like_rows and (odd_quotes or len(cells) != len(header)):
                return start + before
            before += breaks
    if odd_quotes and before and end >= last_line:
        return start  # the last row ran to the end of the file inside a quote
    return None


@dataclass(frozen=True)
class TableSchema:
    """The columns of a kind of table file (contacts, supporters), for ``read_table``."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str]
    list_key: str  # YAML/JSON: the records, or a mapping holding them under this key
