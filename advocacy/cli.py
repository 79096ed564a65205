"""The command-line interface: parses options, calls the core, formats what it returns.

Only this module imports click. WeasyPrint and python-docx are imported by the output modules
when a letter is rendered, so ``--help`` and the listing commands start fast.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from advocacy import __version__
from advocacy.cli_common import (
    CONTEXT_SETTINGS,
    AdvocacyGroup,
    State,
    handle_interrupts,
    leave_if_interrupted,
    pass_state,
)
from advocacy.cli_common import emit_json as _emit_json
from advocacy.cli_common import parse_date as _parse_date


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
    handle_interrupts(ctx)


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


def _sender(state: State, path: Path | None, warn: bool = True) -> Any:
    from advocacy.config import load_sender
    from advocacy.models import Sender

    sender = load_sender(path, state.config)
    if warn and (sender is None or sender.is_placeholder):
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
    from advocacy.inputs import text_problem

    for option, value in (("--meeting-date", meeting_date), ("--agenda-item", agenda_item)):
        wrong = text_problem(value or "")
        if wrong:  # checked where it enters, like every data value
            raise click.BadParameter(wrong, param_hint=option)
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
    warn_sender: bool = True,
) -> LetterInputs:
    """Resolve the options `letter_options` adds (template folders, formats, sender, extras).

    ``warn_sender=False`` (--supporters: each supporter signs their own letters) says nothing
    about a missing sender.
    """
    from advocacy.generate import parse_formats
    from advocacy.templating import search_path

    chosen_formats = parse_formats(formats)
    folders = search_path(templates_dir)
    return LetterInputs(
        folders=folders,
        formats=chosen_formats,
        sender=_sender(state, sender_path, warn_sender),
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
@click.option(
    "--supporters",
    "supporters_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Supporters (CSV, YAML or JSON): each of this city's writes their own letters.",
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
    supporters_path: Path | None,
) -> None:
    """Write letters to the mayor and council members of one city.

    Writes OUT/<city>/<official>.pdf, .docx, .eml and .txt, plus index.html (with mailto
    links) and manifest.json. Exits 1 if any letter failed (the others are still written).

    \b
    Examples:
      advocacy letter --city "San Jose, CA"
      advocacy letter --city portland-or --to mayor --format pdf,mailto
      advocacy letter --city "San Diego" --official LaCava --sender me.toml --date 2026-12-01
      advocacy letter --city "San Jose" --supporters supporters.csv

    With --supporters FILE, each supporter living in the city writes their own letters to
    its mayor, its at-large members and their district's member(s), as `advocacy packet
    --supporters` does for one city.
    """
    from advocacy.generate import LetterFactory, plan_city, write_city_index

    data = state.dataset()
    target = data.find_city(city)
    inputs = letter_inputs(
        state,
        templates_dir,
        formats,
        sender_path,
        signers_path,
        meeting_date,
        agenda_item,
        warn_sender=supporters_path is None,
    )
    folders, chosen_formats = inputs.folders, inputs.formats
    if supporters_path is not None:
        from advocacy.cli_packet import run_supporters
        from advocacy.packet import PacketSettings

        settings = PacketSettings(
            out=out,
            folders=tuple(folders),
            formats=chosen_formats,
            sender=inputs.sender,
            date=date,
            quotes=tuple(data.quotes),
            style=inputs.style,
            extras=inputs.extras,
        )
        run_supporters(data, supporters_path, settings, [target], to, template, quiet=False)
        return
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
    from advocacy.reading import public_comment_notes

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
    try:
        cli(prog_name="advocacy")
    except SystemExit as done:
        leave_if_interrupted(done.code)
        raise


from advocacy.cli_data import cities, contacts_import, officials, quotes  # noqa: E402

cli.add_command(cities)
cli.add_command(officials)
cli.add_command(quotes)
contacts.add_command(contacts_import)

from advocacy.cli_templates import init, templates  # noqa: E402

cli.add_command(templates)
cli.add_command(init)

from advocacy.cli_packet import packet  # noqa: E402

cli.add_command(packet)

from advocacy.cli_site import site  # noqa: E402

cli.add_command(site)


if __name__ == "__main__":  # pragma: no cover
    main()
