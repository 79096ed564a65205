"""What every command module of the CLI shares: the error translation, the state, output helpers.

The command modules (``cli``, ``cli_data``, ``cli_packet``, ``cli_templates``, ``cli_site``)
import from here and not from each other, so none imports another in a circle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import sys
import threading
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


INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class AdvocacyGroup(click.Group):
    """A group that turns every expected failure into a one-line error, Ctrl-C into 130."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AdvocacyError as err:
            raise Failure(err) from err
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            raise click.exceptions.Exit(INTERRUPTED) from None


def _exit_now(signum: int, frame: Any) -> None:
    # a second Ctrl-C: stop at once; the kernel releases the packet's folder lock, workers
    # die with us, and what was half written has a temporary name the next run removes
    os.write(2, b"\nInterrupted again: stopping now.\n")
    os._exit(INTERRUPTED)


_interrupted = False  # a Ctrl-C arrived (main() then ends the process itself)


def _first_interrupt(signum: int, frame: Any) -> None:
    global _interrupted
    _interrupted = True
    signal.signal(signal.SIGINT, _exit_now)
    raise KeyboardInterrupt


def handle_interrupts(ctx: click.Context) -> None:
    """The first Ctrl-C stops cleanly (exit 130); any further one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        return  # ignored (a background job) or someone else's handler: leave it
    signal.signal(signal.SIGINT, _first_interrupt)

    def restore() -> None:  # for callers in the same process (tests); once interrupted,
        if signal.getsignal(signal.SIGINT) is _first_interrupt:  # later Ctrl-Cs stay fatal
            signal.signal(signal.SIGINT, previous)

    ctx.call_on_close(restore)


def leave_if_interrupted(code: Any) -> None:
    """After a Ctrl-C, end the process now with ``code`` (the console script only).

    Python's own shutdown puts SIGINT back to its default, and one more Ctrl-C then would
    kill the process (status -2) instead of it exiting 130.
    """
    if not _interrupted:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else INTERRUPTED)


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
