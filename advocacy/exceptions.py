"""Every exception the core raises; the CLI translates them into one-line errors."""

from __future__ import annotations


class AdvocacyError(Exception):
    """Base class: an expected failure with a message a user can act on."""

    exit_code = 1


def describe(err: BaseException) -> str:
    """An error as one line: our own message, or the type and message of any other."""
    return str(err) if isinstance(err, AdvocacyError) else f"{type(err).__name__}: {err}"


class DataError(AdvocacyError):
    """A data file cannot be read or a record in it is invalid."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.reason = message
        where = path if path else ""
        if path and line:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class LookupFailed(AdvocacyError):
    """A name given on the command line (city, official, template) matches nothing or too much."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[str] | None = None):
        self.candidates = candidates or []
        super().__init__(message)


class TemplateFailed(AdvocacyError):
    """A template has a syntax error, an undefined variable or breaks the sandbox."""

    #: the template went over its time or memory budget: rendering it again for another
    #: letter would cost as much again (advocacy.budget)
    exhausted = False

    def __init__(self, message: str, template: str | None = None, line: int | None = None):
        self.template = template
        self.line = line
        self.reason = message
        where = template or ""
        if template and line:
            where = f"{template}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class RenderFailed(AdvocacyError):
    """One output format could not be produced for one letter."""


class OutputError(AdvocacyError):
    """A file cannot be written (no such folder, no permission, disk full)."""


class WorkerDied(AdvocacyError):
    """A worker process ended without finishing its letter (killed, or out of memory)."""


class ConfigError(AdvocacyError):
    """A sender file or advocacy.toml is missing or malformed."""
