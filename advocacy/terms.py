"""Terms of office: reading the term dates of a contact record and what they say on a date.

A record may give ``term_start`` and ``term_end`` (the first and last day in office),
``elected`` (the election that gave the current term) and ``next_election`` (the next one
scheduled for the seat), each as 'YYYY-MM-DD'. Where any of them is known, whether the record
is out of date is derived from them; an explicit ``stale: true`` counts only where none is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from advocacy.models import TERM_FIELDS

#: ``contacts check`` warns when a term ends within this many days of the date checked.
ENDING_WITHIN_DAYS = 60
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

Report = Callable[[str, str], None]  # (severity, message)


def parse_day(value: str) -> dt.date | None:
    """Return the date written 'YYYY-MM-DD', or None for anything else."""
    if not _ISO_DAY.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def first_day(value: str) -> dt.date | None:
    """The first day of a YYYY-MM-DD, YYYY-MM or YYYY date, or None when it is none of these."""
    for pattern in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_terms(values: dict[str, str], report: Report) -> dict[str, str | None] | None:
    """Check the term columns of one record; None (and errors reported) when one is bad."""
    terms: dict[str, str | None] = {}
    days: dict[str, dt.date] = {}
    ok = True
    for name in TERM_FIELDS:
        value = values.get(name) or ""
        if not value:
            terms[name] = None
            continue
        day = parse_day(value)
        if day is None:
            report("error", f"{name} {value!r} is not a date (use YYYY-MM-DD)")
            ok = False
            continue
        terms[name], days[name] = value, day
    if not ok:
        return None
    if "term_start" in days and "term_end" in days and days["term_end"] < days["term_start"]:
        report(
            "error",
            f"term_end {terms['term_end']} is before term_start {terms['term_start']}",
        )
        return None
    return terms


def term_warnings(
    terms: dict[str, str | None],
    as_of: str | None,
    on: dt.date,
    stale: bool,
    report: Report,
) -> None:
    """Warn about what the term dates say on ``on``, the date the record is checked for.

    ``as_of`` is the record's as_of ('YYYY-MM-DD', or 'YYYY-MM' / 'YYYY' meaning its first day).
    """
    days = {name: parse_day(value) for name, value in terms.items() if value}
    if not days:
        return
    if stale:
        report("warning", "stale: true is ignored: the term dates decide whether it is current")
    end, start = days.get("term_end"), days.get("term_start")
    if end is not None and end < on:
        report("warning", f"term ended {terms['term_end']}: no letter is written after that day")
    elif end is not None and (end - on).days <= ENDING_WITHIN_DAYS:
        left = (end - on).days
        when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        report("warning", f"term ends {terms['term_end']} ({when}); check who takes the seat")
    if start is not None and start > on:
        report("warning", f"term starts {terms['term_start']}: no letter is written before then")
    recorded = first_day(as_of) if as_of else None
    if recorded is None:
        return
    for name in ("elected", "next_election"):
        held = days.get(name)
        if held is not None and recorded < held <= on:
            report(
                "warning",
                f"the seat's election of {terms[name]} was held after this record's as_of "
                f"({as_of}); check who holds it now",
            )
