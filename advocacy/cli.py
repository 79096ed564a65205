"""The command-line interface: parses options, calls the core, formats what it returns.

Only this module imports click. WeasyPrint and python-docx are imported by the output modules
when a letter is rendered, so ``--help`` and the listing commands start fast.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
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
        self.error = error

    @property  # click declares a class-wide exit code; ours depends on the error
    def exit_code(self) -> int:  # type: ignore[override]
        return self.error.exit_code


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
        self._dataset: Any = None

    def dataset(self, deliverability: bool = False) -> Any:
        from advocacy.dataset import load_dataset

        if self._dataset is None:
            self._dataset = load_dataset(self.contacts, deliverability=deliverability)
            for problem in self._dataset.problems:
                if problem.severity == "error":
                    click.echo(f"{problem} (record skipped)", err=True)
        return self._dataset


pass_state: Callable[..., Any] = click.make_pass_decorator(State)


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
        [t.us_city, t.state, t.russian_city, t.status, t.status_date or "", t.source] for t in ties
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
    click.echo(_table(rows, ["city", "name", "title", "district", "email", "term", "as of"]))
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


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@cli.group(cls=AdvocacyGroup)
def contacts() -> None:
    """Check contact data: the embedded data set or your own files."""


@contacts.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
@click.option(
    "--deliverability", is_flag=True, help="Also look up each email domain in DNS (network)."
)
@click.option(
    "--as-of",
    "--date",
    "as_of",
    callback=_parse_date,
    help="Check the records for this day, YYYY-MM-DD, e.g. the letters' date (default: today).",
)
@click.pass_context
def contacts_check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    as_json: bool,
    deliverability: bool,
    as_of: dt.date,
) -> None:
    """Check contact files and report each problem as PATH:LINE: error|warning: MESSAGE.

    Without PATH, checks the embedded data set (or the files given with --contacts). Exits 1
    when there are errors, 0 with warnings only. Warns about terms that have ended, or end
    within 60 days of --as-of, and seats whose election was held after a record's as_of.

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
        result = load_contacts(targets, today=as_of, deliverability=deliverability)
    else:
        result = embedded_officials_load(as_of)
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


def _sender(state: State, path: Path | None) -> Any:
    from advocacy.config import load_sender
    from advocacy.models import Sender

    sender = load_sender(path, state.config)
    if sender is None or sender.is_placeholder:
        click.echo(
            "Warning: no sender set; letters carry placeholders such as [Your name]. "
            "Use --sender FILE (TOML with name, address, email, phone) or add a [sender] "
            "table to advocacy.toml.",
            err=True,
        )
    return sender or Sender()


def letter_extras(
    signers_path: Path | None, meeting_date: str | None, agenda_item: str | None
) -> dict[str, Any]:
    """Extra template variables from --signers, --meeting-date and --agenda-item."""
    extras: dict[str, Any] = {"meeting_date": meeting_date, "agenda_item": agenda_item}
    if signers_path is not None:
        from advocacy.signers import load_signers

        petition = load_signers(signers_path)
        for problem in petition.problems:
            click.echo(str(problem), err=True)
        extras["petition"] = petition
    else:
        extras["petition"] = None
    return extras


@dataclass(frozen=True)
class LetterInputs:
    """What `letter` and `packet` make letters from, beside the data: resolved once."""

    folders: list[Path]
    formats: tuple[str, ...]
    sender: Any
    extras: dict[str, Any]
    style: Any


def letter_inputs(
    state: State,
    templates_dir: Path | None,
    formats: str,
    sender_path: Path | None,
    signers_path: Path | None,
    meeting_date: str | None,
    agenda_item: str | None,
) -> LetterInputs:
    """Resolve the options `letter_options` adds (template folders, formats, sender, extras)."""
    from advocacy.generate import parse_formats
    from advocacy.templating import search_path

    chosen_formats = parse_formats(formats)
    folders = search_path(templates_dir)
    return LetterInputs(
        folders=folders,
        formats=chosen_formats,
        sender=_sender(state, sender_path),
        extras=letter_extras(signers_path, meeting_date, agenda_item),
        style=state.config.style(folders),
    )


def letter_options(function: Any) -> Any:
    """Options shared by `letter` and `packet`."""
    options = [
        click.option(
            "--to",
            type=click.Choice(["mayor", "council", "all"]),
            default="all",
            show_default=True,
            help="Who gets letters.",
        ),
        click.option("--template", help="Template name (default: mayor / council by role)."),
        click.option(
            "--templates",
            "templates_dir",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Folder of your own templates, looked up before the built-ins.",
        ),
        click.option(
            "--format",
            "formats",
            default="pdf,docx,eml,mailto,txt",
            show_default=True,
            help="Comma-separated formats: pdf, docx, eml, mailto, txt.",
        ),
        click.option(
            "--sender",
            "sender_path",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="TOML file with the sender's name, address, email, phone.",
        ),
        click.option(
            "--date",
            "date",
            callback=_parse_date,
            help="Date on the letters, YYYY-MM-DD (default: today). Fixes outputs byte for byte.",
        ),
        click.option(
            "--signers",
            "signers_path",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Petition signatures (CSV: name, city or ZIP, comment) for the petition template.",
        ),
        click.option(
            "--meeting-date", help="Council meeting date, for the public-comment template."
        ),
        click.option("--agenda-item", help="Agenda item, for the public-comment template."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@cli.command()
@click.option(
    "--city", required=True, help='The city ("San Jose, CA", "Portland, OR", "san-jose").'
)
@click.option("--official", "official_name", help="Only this official (name or surname).")
@letter_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@pass_state
def letter(
    state: State,
    city: str,
    official_name: str | None,
    to: str,
    template: str | None,
    templates_dir: Path | None,
    formats: str,
    sender_path: Path | None,
    date: dt.date,
    signers_path: Path | None,
    meeting_date: str | None,
    agenda_item: str | None,
    out: Path,
) -> None:
    """Write letters to the mayor and council members of one city.

    Writes OUT/<city>/<official>.pdf, .docx, .eml and .txt, plus index.html (with mailto
    links) and manifest.json. Exits 1 if any letter failed (the others are still written).

    \b
    Examples:
      advocacy letter --city "San Jose, CA"
      advocacy letter --city portland-or --to mayor --format pdf,mailto
      advocacy letter --city "San Diego" --official LaCava --sender me.toml --date 2026-12-01
    """
    from advocacy.generate import LetterFactory, plan_city, write_city_index

    data = state.dataset()
    target = data.find_city(city)
    inputs = letter_inputs(
        state, templates_dir, formats, sender_path, signers_path, meeting_date, agenda_item
    )
    folders, chosen_formats = inputs.folders, inputs.formats
    jobs, skipped = plan_city(
        data, target, folders, to=to, official_name=official_name, template_name=template, date=date
    )
    factory = LetterFactory(
        folders, chosen_formats, inputs.sender, date, data.quotes, inputs.extras, inputs.style
    )
    results = []
    errors: dict[str, list[str]] = {}  # a broken template fails every letter the same way
    for job in jobs:
        result = factory.write(job, out)
        results.append(result)
        if result.status == "failed":
            errors.setdefault(result.error or "failed", []).append(job.official.name)
    for error, names in errors.items():
        others = f" (and {len(names) - 1} more letters)" if len(names) > 1 else ""
        click.echo(f"Error: {names[0]}{others}: {error}", err=True)
    for skip in skipped:
        click.echo(f"Warning: skipped {skip.official.name}: {skip.reason}", err=True)
    from advocacy.checks import public_comment_notes

    for message, over_limit in public_comment_notes(factory, results):
        click.echo(message, err=over_limit)
    index, _ = write_city_index(out, target, results, skipped, folders, date, chosen_formats)
    made = sum(len(r.files) for r in results)
    failed = sum(1 for r in results if r.status == "failed")
    links = sum(1 for r in results if r.mailto)
    click.echo(
        f"{target.label}: {len(results) - failed} of {len(results)} letters written "
        f"({made} files, {links} mailto links) in {index.parent}"
    )
    click.echo(f"Open {index} to see them.")
    if failed:
        ctx = click.get_current_context()
        ctx.exit(1)


def main() -> None:
    """Run the command line (the ``advocacy`` console script)."""
    cli(prog_name="advocacy")


from advocacy.cli_templates import init, templates  # noqa: E402

cli.add_command(templates)
cli.add_command(init)

from advocacy.cli_packet import packet  # noqa: E402

cli.add_command(packet)

from advocacy.cli_site import site  # noqa: E402

cli.add_command(site)


if __name__ == "__main__":  # pragma: no cover
    main()
