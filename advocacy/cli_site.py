"""``advocacy site``: the action page residents write their own letters from.

Only the option parsing and the reporting live here; :mod:`advocacy.site` does the work. This
module imports nothing from ``advocacy.cli``: the group's state arrives through click's
context object.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from advocacy.cli_common import parse_date
from advocacy.cli_options import campaign_options

if TYPE_CHECKING:
    from advocacy.cli_common import State


@click.command()
@campaign_options
@click.option("--template", help="Template name (default: mayor / council by role).")
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of your own templates, looked up before the built-ins.",
)
@click.option(
    "--date",
    "date",
    callback=parse_date,
    help="Build date, YYYY-MM-DD (default: today): the letters' text is rendered for it, and "
    "the page is then the same byte for byte. The date line is the reader's day.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Output folder.",
)
@click.pass_obj
def site(
    state: State,
    cities: tuple[str, ...],
    statuses: tuple[str, ...],
    template: str | None,
    templates_dir: Path | None,
    date: dt.date,
    out: Path,
) -> None:
    """Write the action page: residents find their city and send their own letters.

    Writes OUT/index.html, one self-contained file: the letters of every selected city,
    rendered from the same templates and data as the packet, which the page fills with the
    name, address and email the resident types. It makes no network request at all, keeps
    nothing, and works opened from disk or from any static web host. Rewritten only when its
    content changes.

    \b
    Examples:
      advocacy site
      advocacy site --city "San Jose, CA" --city portland-or --out campaign-site
      advocacy site --status kept --templates my-templates --date 2026-12-01
    """
    from advocacy.packet import select_cities
    from advocacy.site import build_site
    from advocacy.template_folders import search_path

    data = state.dataset()
    selected = select_cities(data, cities, statuses)
    result = build_site(data, selected, search_path(templates_dir), out, date, template)
    for city, skip in result.skipped:
        click.echo(f"Warning: {city.label}: skipped {skip.official.name}: {skip.reason}", err=True)
    without = result.cities - result.cities_with_letters
    verb = "Wrote" if result.written else "Up to date:"
    click.echo(
        f"{verb} {result.path} ({result.size / 1000:.0f} KB): {result.cities} cities, "
        f"letters to {result.officials} officials in {result.cities_with_letters} of them"
        + (f" ({without} with no officials on record)" if without else "")
        + "."
    )
    click.echo(f"Open it: {result.path.resolve().as_uri()} (it works from disk, offline).")
    click.echo(
        f"Publish it: copy the folder {out} to any static web host (GitHub Pages, Netlify, "
        "an S3 bucket, your own web server) or share the file itself; it needs no server "
        "code and loads nothing from elsewhere."
    )
