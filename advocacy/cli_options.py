"""Options and helpers shared by the letter-writing commands (letter, packet, site, templates).

They live here, not in ``cli.py``, so the command modules import one shared module and none of
them imports another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from advocacy.cli_common import State
from advocacy.cli_common import parse_date as _parse_date
from advocacy.models import TIE_STATUSES


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
    from advocacy.formats import parse_formats
    from advocacy.template_folders import search_path

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


def campaign_options(function: Any) -> Any:
    """--city and --status: which cities a campaign command (packet, site) covers."""
    options = [
        click.option(
            "--city",
            "cities",
            multiple=True,
            help='Only this city ("San Jose, CA", "portland-or"); repeatable. Default: every '
            "city whose tie is not terminated.",
        ),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(TIE_STATUSES),
            help="Only cities whose tie has this status; repeatable.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function
