"""The command-line interface: the ``advocacy`` group, ``contacts check`` and ``letter``.

The other commands live in ``cli_data``, ``cli_packet``, ``cli_site`` and ``cli_templates``;
what several of them share is in ``cli_common`` and ``cli_options``, so no command module
imports another. Only the ``cli*`` modules import click. WeasyPrint and python-docx are imported
by the output modules when a letter is rendered, so ``--help`` and the listing commands start fast.
"""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

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
from advocacy.cli_options import letter_inputs, letter_options


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
        # The process ends now and what it holds goes with it: Python's last full passes of
        # the cyclic collector over every object it still has took 0.13 s after a packet of
        # 10,000 supporters (0.05 s after an unchanged rerun). Its outputs are all closed.
        gc.freeze()
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
