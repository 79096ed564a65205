"""The command-line interface: parses options, calls the core, formats what it returns.

Only this module imports click. WeasyPrint and python-docx are imported by the output modules
when a letter is rendered, so ``--help`` and the listing commands start fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from advocacy import __version__
from advocacy.exceptions import AdvocacyError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Failure(click.ClickException):
    """An AdvocacyError shown as one line, with the error's own exit code."""

    def __init__(self, error: AdvocacyError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


class AdvocacyGroup(click.Group):
    """A group that turns every expected failure into a one-line error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AdvocacyError as err:
            raise Failure(err) from err


class State:
    """Options of the top-level group, shared with every command."""

    def __init__(self, contacts: tuple[Path, ...], config: Any):
        self.contacts = contacts
        self.config = config
        self._dataset = None

    def dataset(self, deliverability: bool = False) -> Any:
        from advocacy.dataset import load_dataset

        if self._dataset is None:
            self._dataset = load_dataset(self.contacts, deliverability=deliverability)
            for problem in self._dataset.problems:
                if problem.severity == "error":
                    click.echo(f"{problem} (record skipped)", err=True)
        return self._dataset


pass_state = click.make_pass_decorator(State)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


@click.group(cls=AdvocacyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="advocacy")
@click.option(
    "--contacts",
    "contacts",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Your own contact file or folder (CSV, YAML, JSON). For each city it lists, its "
    "officials replace the embedded ones. Repeatable.",
)
@click.pass_context
def cli(ctx: click.Context, contacts: tuple[Path, ...]) -> None:
    """Personalised letters asking US cities to end sister-city ties with Russian cities.

    \b
    Examples:
      advocacy cities --status kept
      advocacy officials --city "San Jose, CA"
      advocacy letter --city "San Jose, CA" --sender me.toml
      advocacy packet --jobs 2
    """
    from advocacy.config import load_config

    config = load_config(Path.cwd())
    ctx.default_map = config.default_map()
    if not contacts and config.contacts:
        contacts = tuple(config.contacts)
    ctx.obj = State(contacts, config)


@cli.command()
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["kept", "dormant", "suspended", "terminated", "unknown"]),
    help="Only ties with this status (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def cities(state: State, statuses: tuple[str, ...], as_json: bool) -> None:
    """List the US–Russia sister-city ties and their status after February 2022.

    \b
    Examples:
      advocacy cities
      advocacy cities --status kept --status dormant
      advocacy cities --json
    """
    from advocacy.dataset import embedded_ties

    ties = [t for t in embedded_ties() if not statuses or t.status in statuses]
    if as_json:
        _emit_json([t.to_dict() for t in ties])
        return
    rows = [
        [t.us_city, t.state, t.russian_city, t.status, t.status_date or "", t.source]
        for t in ties
    ]
    click.echo(_table(rows, ["city", "state", "russian city", "status", "since", "source"]))
    click.echo(f"\n{len(ties)} ties")


@cli.command()
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
        _emit_json([o.to_dict() for o in found])
        return
    rows = []
    for o in found:
        email = (o.email or "") + (" (derived)" if o.email_derived else "")
        name = o.name + (" [STALE]" if o.stale else "")
        rows.append(
            [f"{o.city}, {o.state}", name, o.display_title, o.district or "", email, o.as_of or ""]
        )
    click.echo(_table(rows, ["city", "name", "title", "district", "email", "as of"]))
    click.echo(f"\n{len(found)} officials")


@cli.command()
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
        _emit_json([q.to_dict() for q in found])
        return
    for q in found:
        click.echo(f"[{q.id}] ({q.wording} wording; topics: {', '.join(q.topics)})")
        click.echo(f"  “{q.text}”")
        click.echo(f"  — {q.citation()}\n")
    click.echo(f"{len(found)} quotes")


@cli.group(cls=AdvocacyGroup)
def contacts() -> None:
    """Check contact data: the embedded data set or your own files."""


@contacts.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
@click.option(
    "--deliverability", is_flag=True, help="Also look up each email domain in DNS (network)."
)
@click.pass_context
def contacts_check(
    ctx: click.Context, paths: tuple[Path, ...], as_json: bool, deliverability: bool
) -> None:
    """Check contact files and report each problem as PATH:LINE: error|warning: MESSAGE.

    Without PATH, checks the embedded data set (or the files given with --contacts). Exits 1
    when there are errors, 0 with warnings only.

    \b
    Examples:
      advocacy contacts check
      advocacy contacts check my-council.csv
      advocacy contacts check contacts/ --json
    """
    from advocacy.contacts import load_contacts
    from advocacy.dataset import embedded_officials_load

    state = ctx.find_object(State)
    targets = list(paths) or list(state.contacts if state else ())
    if targets:
        result = load_contacts(targets, deliverability=deliverability)
    else:
        result = embedded_officials_load()
    if as_json:
        _emit_json(
            {
                "officials": len(result.officials),
                "errors": len(result.errors),
                "warnings": len(result.warnings),
                "problems": [p.to_dict() for p in result.problems],
            }
        )
    else:
        for problem in result.problems:
            click.echo(str(problem))
        click.echo(
            f"{len(result.officials)} officials loaded, {len(result.errors)} errors, "
            f"{len(result.warnings)} warnings",
            err=True,
        )
    if result.errors:
        ctx.exit(1)


def main() -> None:
    """Run the command line (the ``advocacy`` console script)."""
    cli(prog_name="advocacy")


def today() -> dt.date:
    return dt.date.today()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
