"""What every command module of the CLI shares: the error translation, the state, output helpers.

The command modules (``cli``, ``cli_data``, ``cli_packet``, ``cli_templates``, ``cli_site``)
import from here and not from each other, so none imports another in a circle.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

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


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None
