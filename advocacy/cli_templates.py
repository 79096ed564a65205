"""The ``templates`` commands (list, show, copy, check) and ``init`` (a campaign workspace).

Registered at the end of ``advocacy/cli.py``; like the rest of the CLI, each command parses
options, calls one core function (``advocacy.workspace``, ``advocacy.checks``) and prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from advocacy.cli_common import AdvocacyGroup, State
from advocacy.cli_common import emit_json as _emit_json
from advocacy.cli_common import parse_date as _parse_date
from advocacy.cli_common import table as _table
from advocacy.cli_options import letter_extras

if TYPE_CHECKING:
    from advocacy.checks import TemplateReport
    from advocacy.templating import TemplateInfo

TEMPLATES_OPTION = click.option(
    "--templates",
    "templates_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of your own templates, looked up before ./templates and the built-ins.",
)


def _folders(templates_dir: Path | None) -> list[Path]:
    from advocacy.template_folders import search_path

    return search_path(templates_dir)


@click.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Create a campaign workspace in FOLDER (default: the current folder).

    Writes advocacy.toml (defaults for every command, commented), templates/ with a README on
    overriding templates, contacts/sample.csv (the contact columns), and a .gitignore for out/.
    Existing files are never overwritten; a folder that has advocacy.toml is left alone.

    \b
    Examples:
      advocacy init
      advocacy init my-campaign
    """
    from advocacy.workspace import init_workspace

    result = init_workspace(folder)
    for path in result.created:
        click.echo(f"created {path}")
    for path in result.kept:
        click.echo(f"kept    {path} (exists; not overwritten)")
    where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder}\n  "
    click.echo(
        "\nNext steps:\n"
        f"  {where}edit advocacy.toml (your name and address under [sender])\n"
        "  advocacy templates copy mayor --block ask   # then edit templates/mayor.j2\n"
        "  advocacy templates check\n"
        '  advocacy letter --city "San Jose, CA" --to mayor'
    )


@click.group(cls=AdvocacyGroup)
def templates() -> None:
    """List, show, copy and check letter templates.

    Templates are looked up in --templates DIR, then ./templates, then the built-ins; a
    template of yours with a built-in's name overrides it. See templates/README.md after
    `advocacy init`.
    """


@templates.command("list")
@TEMPLATES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def templates_list(templates_dir: Path | None, as_json: bool) -> None:
    """List the letter templates: name, audience, origin and description.

    \b
    Examples:
      advocacy templates list
      advocacy templates list --templates my-templates --json
    """
    from advocacy.templating import scan_templates

    found, broken = scan_templates(_folders(templates_dir))
    if as_json:
        _emit_json([info.to_dict() for info in found])
    else:
        _print_templates(found)
    for error in broken.values():  # after the usable ones, which still work
        click.echo(f"Error: {error}", err=True)
    if broken:
        raise click.exceptions.Exit(1)


def _print_templates(found: list[TemplateInfo]) -> None:
    from advocacy.checks import shown_path

    rows = []
    for info in found:
        origin = info.origin if info.origin == "built-in" else f"{info.origin}: "
        if info.origin != "built-in":
            origin += shown_path(info.path)
        rows.append([info.name, info.audience, info.kind, origin, info.description])
    click.echo(_table(rows, ["name", "audience", "kind", "from", "description"]))


@templates.command("show")
@click.argument("name")
@TEMPLATES_OPTION
def templates_show(name: str, templates_dir: Path | None) -> None:
    """Print the source of template NAME, to start your own from it.

    NAME is a template (mayor), a layout or stylesheet by file name (_campaign.j2,
    letter.css), or builtin:NAME for the built-in one when yours overrides it.

    \b
    Examples:
      advocacy templates show mayor
      advocacy templates show builtin:mayor
      advocacy templates show _campaign.j2
    """
    from advocacy.templating import read_template_source
    from advocacy.workspace import locate_template

    path = locate_template(_folders(templates_dir), name)
    click.echo(read_template_source(path), nl=False)


@templates.command("copy")
@click.argument("name")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
@click.option(
    "--block",
    "blocks",
    multiple=True,
    help="Write only this block (repeatable) in a template that extends the built-in.",
)
@TEMPLATES_OPTION
@click.pass_context
def templates_copy(
    ctx: click.Context,
    name: str,
    dest: Path | None,
    force: bool,
    blocks: tuple[str, ...],
    templates_dir: Path | None,
) -> None:
    """Copy built-in template NAME into ./templates (or DEST) to edit it.

    With --block, write a short template instead that extends the built-in one and repeats
    only the blocks named (subject, salutation, opening, situation, quotes, ask, thanks,
    closing, short_ask): your edits stay small and later fixes to the rest reach you.

    \b
    Examples:
      advocacy templates copy mayor --block ask
      advocacy templates copy council
      advocacy templates copy letter.css
      advocacy templates copy mayor templates/mayor-short.j2 --force
    """
    from advocacy.checks import shown_path
    from advocacy.workspace import copy_template

    state = ctx.find_object(State)
    folder = templates_dir or ((state.config.folder if state else Path.cwd()) / "templates")
    copied = copy_template(name, dest or folder, force=force, blocks=blocks)
    what = f"block(s) {', '.join(blocks)} of " if blocks else ""
    click.echo(f"copied {what}built-in {copied.source.name} to {shown_path(copied.destination)}")


@templates.command("check")
@click.argument("targets", nargs=-1)
@click.option("--city", help="Only the officials of this city (default: every city).")
@TEMPLATES_OPTION
@click.option(
    "--sender",
    "sender_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file with the sender (default: [sender] of advocacy.toml).",
)
@click.option("--date", "date", callback=_parse_date, help="Date on the letters, YYYY-MM-DD.")
@click.option(
    "--signers",
    "signers_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Petition signatures (CSV) for the petition template.",
)
@click.option("--meeting-date", help="Council meeting date, for the public-comment template.")
@click.option("--agenda-item", help="Agenda item, for the public-comment template.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_context
def templates_check(
    ctx: click.Context,
    targets: tuple[str, ...],
    city: str | None,
    templates_dir: Path | None,
    sender_path: Path | None,
    date: dt.date,
    signers_path: Path | None,
    meeting_date: str | None,
    agenda_item: str | None,
    as_json: bool,
) -> None:
    """Render templates for every official without writing files, and report problems.

    TARGETS are template names or files (default: every letter template). Problems print as
    PATH:LINE: error|warning: MESSAGE: syntax errors, undefined variables, sandbox
    violations, leftover placeholders such as [Your name], mailto bodies over the length
    limit, public comments over their time limit. Exits 1 when there are errors.

    \b
    Examples:
      advocacy templates check
      advocacy templates check mayor --city "San Jose, CA"
      advocacy templates check templates/mayor.j2 --json
      advocacy templates check public-comment --meeting-date 2026-02-10
    """
    from advocacy.checks import CheckInputs, check_templates, resolve_targets, sender_problems
    from advocacy.config import load_sender
    from advocacy.models import Sender

    state = ctx.find_object(State)
    assert state is not None
    folders, chosen = resolve_targets(_folders(templates_dir), targets)
    data = state.dataset()
    sender = load_sender(sender_path, state.config) or Sender()
    general = sender_problems(
        sender, str(sender_path or (state.config.path and state.config.path.name) or "--sender")
    )
    inputs = CheckInputs(
        data=data,
        sender=sender,
        date=date,
        extras=letter_extras(signers_path, meeting_date, agenda_item),
        city=data.find_city(city) if city else None,
    )
    reports = check_templates(folders, chosen, inputs)
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports) + len(general)
    if as_json:
        _emit_json(
            {
                "templates": len(reports),
                "errors": errors,
                "warnings": warnings,
                "problems": [p.to_dict() for p in general],
                "reports": [r.to_dict() for r in reports],
            }
        )
    else:
        for problem in general:
            click.echo(str(problem))
        for report in reports:
            for problem in report.problems:
                click.echo(str(problem))
        for report in reports:
            click.echo(_summary(report))
        click.echo(
            f"{len(reports)} template(s) checked, {errors} error(s), {warnings} warning(s)",
            err=True,
        )
    if errors:
        ctx.exit(1)


def _summary(report: TemplateReport) -> str:
    from advocacy.checks import shown_path

    overrides = ", overrides the built-in" if "overrides" in report.origin else ""
    text = f"{shown_path(report.path)}{overrides}: "
    if report.info is None or (report.letters == 0 and report.failed == 0):
        text += "not rendered" if report.errors else "no letters to render"
        if report.path.name.startswith("_") and not report.errors:
            text = f"{shown_path(report.path)}: layout, syntax ok"
    else:
        text += f"{report.letters} letter(s) rendered"
        if report.failed:
            text += f", {report.failed} failed"
    if report.longest is not None:
        text += f"; longest {report.longest.describe()}"
    return text
