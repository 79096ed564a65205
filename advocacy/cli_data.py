"""The data commands: `cities` (and its --gaps report), `officials`, `quotes`, `contacts import`.

Only parsing and printing live here; the data set, the gaps report and the importers are in
the core (:mod:`advocacy.dataset`, :mod:`advocacy.gaps`, :mod:`advocacy.importers`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from advocacy.cli_common import AdvocacyGroup, State, emit_json, parse_date, pass_state, table
from advocacy.models import TIE_STATUSES


@click.command()
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(TIE_STATUSES),
    help="Only ties with this status (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--gaps",
    is_flag=True,
    help="Per city, what stops letters: no officials, no address or email, terms ended or "
    "ending, unsourced status, unknown decider.",
)
@click.option(
    "--as-of",
    "--date",
    "as_of",
    callback=parse_date,
    help="With --gaps: the letters' date, YYYY-MM-DD (default: today).",
)
@pass_state
def cities(
    state: State, statuses: tuple[str, ...], as_json: bool, gaps: bool, as_of: dt.date
) -> None:
    """List the US–Russia sister-city ties and their status after February 2022.

    With --gaps, lists per city what stops its letters on the letters' date (--as-of):
    officials on record, how many can get a letter, and each gap.

    \b
    Examples:
      advocacy cities
      advocacy cities --status kept --status dormant
      advocacy cities --json
      advocacy cities --gaps --as-of 2026-12-01
      advocacy --contacts my-council.csv cities --gaps --json
    """
    if gaps:
        _print_gaps(state, statuses, as_json, as_of)
        return
    from advocacy.dataset import embedded_ties

    ties = [t for t in embedded_ties() if not statuses or t.status in statuses]
    if as_json:
        emit_json([t.to_dict() for t in ties])
        return
    rows = [
        [t.us_city, t.state, t.russian_city, t.status, t.status_date or "", t.decided_by, t.source]
        for t in ties
    ]
    headers = ["city", "state", "russian city", "status", "since", "decided by", "source"]
    click.echo(table(rows, headers))
    click.echo(f"\n{len(ties)} ties")


def _print_gaps(state: State, statuses: tuple[str, ...], as_json: bool, as_of: dt.date) -> None:
    from advocacy.gaps import gaps_report

    report = gaps_report(state.dataset(), as_of, statuses)
    if as_json:
        emit_json({"as_of": as_of.isoformat(), "cities": [c.to_dict() for c in report]})
        return
    rows = []
    for entry in report:
        label = [entry.city.label, entry.city.tie.status, str(entry.officials), str(entry.writable)]
        for index, gap in enumerate(entry.gaps or [None]):
            rows.append([*(label if index == 0 else [""] * 4), str(gap) if gap else ""])
    click.echo(table(rows, ["city", "status", "officials", "letters", "what stops letters"]))
    without = sum(1 for e in report if e.writable == 0)
    click.echo(
        f"\n{len(report)} cities on {as_of}: {without} with no official a letter can be "
        f"written to; {sum(1 for e in report if e.gaps)} with gaps"
    )


@click.command()
@click.option("--city", help='Only this city ("San Jose", "Portland, OR", "san-jose").')
@click.option("--role", type=click.Choice(["mayor", "council_member"]), help="Only this role.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def officials(state: State, city: str | None, role: str | None, as_json: bool) -> None:
    """List mayors and council members with their contact details and sources.

    \b
    Examples:
      advocacy officials --city "San Jose, CA"
      advocacy officials --role mayor --json
    """
    data = state.dataset()
    if city:
        found = data.officials_of(data.find_city(city), role)
    else:
        found = [o for o in data.officials if not role or o.role == role]
    if as_json:
        emit_json([o.to_dict() for o in found])
        return
    today = dt.date.today()
    rows = []
    for o in found:
        email = (o.email or "") + (" (derived)" if o.email_derived else "")
        absent = o.out_of_office(today)
        name = o.name + (
            f" [{absent.upper()}]" if absent else " [STALE]" if o.is_stale(today) else ""
        )
        term = f"{o.term_start or '?'} to {o.term_end or '?'}" if o.term_start or o.term_end else ""
        rows.append(
            [
                f"{o.city}, {o.state}",
                name,
                o.display_title,
                o.district or "",
                email,
                term,
                o.as_of or "",
            ]
        )
    click.echo(table(rows, ["city", "name", "title", "district", "email", "term", "as of"]))
    click.echo(f"\n{len(found)} officials")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def quotes(as_json: bool) -> None:
    """List the quoted passages, each in one outlet's wording, with its citation.

    \b
    Examples:
      advocacy quotes
      advocacy quotes --json
    """
    from advocacy.dataset import embedded_quotes

    found = embedded_quotes()
    if as_json:
        emit_json([q.to_dict() for q in found])
        return
    for q in found:
        click.echo(f"[{q.id}] ({q.wording} wording; topics: {', '.join(q.topics)})")
        click.echo(f"  “{q.text}”")
        click.echo(f"  — {q.citation()}\n")
    click.echo(f"{len(found)} quotes")


@click.group("import", cls=AdvocacyGroup)
def contacts_import() -> None:
    """Import contact records from open data sets."""


@contacts_import.command("openstates")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    callback=parse_date,
    help="Keep the roles current on this day, YYYY-MM-DD (default: today); it is each "
    "record's as_of.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the records here: CSV, or YAML (officials.yaml's layout) for .yaml/.yml, or "
    "JSON for .json. Default: CSV on standard output.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the records and the report as JSON.")
@pass_state
def import_openstates(
    state: State, paths: tuple[Path, ...], as_of: dt.date, out: Path | None, as_json: bool
) -> None:
    """Import the current mayors of our tie cities from openstates/people person files.

    PATH is a person file or a folder of them, such as data/*/municipalities of a checkout
    of https://github.com/openstates/people (CC0). A person is matched to a tie city by the
    state AND place of its OCD jurisdiction id, never by the city name alone. Every file
    that gives no record is reported as PATH: REASON (former mayor, not yet in office, no tie
    city there, unreadable), on standard error.

    \b
    Examples:
      advocacy contacts import openstates people/data/*/municipalities --out mayors.csv
      advocacy contacts import openstates people/data/fl/municipalities --as-of 2026-12-01
      advocacy contacts import openstates people/data/*/municipalities --out new.yaml --json
    """
    from advocacy.importers.openstates import import_openstates as run_import
    from advocacy.importers.openstates import output_kind, render_records
    from advocacy.output import atomic_write

    data = state.dataset()
    result = run_import(paths, data.cities(), as_of)
    content = render_records(result.records, output_kind(out))
    if out is not None:
        atomic_write(out, content)
    elif not as_json:
        click.echo(content.decode("utf-8"), nl=False)
    on_record = _compare_with_data_set(data, result.records)
    if as_json:
        emit_json(
            {
                "as_of": as_of.isoformat(),
                "counts": result.counts(),
                "officials": result.records,
                "compared": on_record,
                "skipped": [s.to_dict() for s in result.skipped],
            }
        )
        return
    for skip in result.skipped:
        click.echo(str(skip), err=True)
    for line in on_record:
        click.echo(f"{line['city']}: {line['name']}: {line['change']}", err=True)
    counts = result.counts()
    skipped = ", ".join(f"{n} {kind}" for kind, n in counts["skipped"].items()) or "none"
    where = f" into {out}" if out else ""
    click.echo(
        f"{counts['files']} files read, {counts['current_mayors']} current mayors on {as_of}, "
        f"{counts['imported']} of our tie cities imported{where}; skipped: {skipped}",
        err=True,
    )


def _compare_with_data_set(data: Any, records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """How each imported mayor compares with the mayor the data set has for that city."""
    from advocacy.text import name_key

    lines = []
    for record in records:
        city = data.find_city(f"{record['city']}, {record['state']}")
        known = [o.name for o in data.officials_of(city, "mayor")]
        if record["name"] in known or name_key(record["name"]) in map(name_key, known):
            change = "same as on record"
        elif known:
            change = f"differs from the record ({'; '.join(known)})"
        else:
            change = "no mayor on record"
        lines.append({"city": city.label, "name": record["name"], "change": change})
    return lines
