"""The one place Jinja environments are built, and where templates are found.

Every environment is sandboxed and strict (an undefined variable is an error). Letter templates
render plain text, so their environment does not autoescape; the HTML layout given to WeasyPrint
autoescapes. Values from the data are inserted as values: a cell holding ``{{ 7*7 }}`` prints
as ``{{ 7*7 }}``, because data is never compiled as a template.

Lookup order: ``--templates DIR``, then ``templates/`` of the campaign workspace (the current
folder), then the built-in templates shipped in the package. A user template with a built-in's
name overrides it; ``{% extends "builtin:mayor.j2" %}`` always reaches the built-in one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from advocacy.exceptions import TemplateFailed

#: Characters the letter engine uses as markers; they are removed from every data value.
MARK_FIRST, MARK_LAST = "\ue000", "\ue01f"
_MARKS = re.compile(f"[{MARK_FIRST}-{MARK_LAST}]")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
BUILTIN_PREFIX = "builtin:"
TEMPLATE_SUFFIX = ".j2"


class Marked(str):
    """Text produced by a helper (quotes, section markers): it may carry markers."""

    __slots__ = ()


def clean_value(value: Any) -> str:
    """Turn a data value into text that cannot carry markers or break a paragraph."""
    if value is None:
        return ""
    text = _MARKS.sub("", str(value))
    return _NEWLINES.sub(" ", text)


def _finalize(value: Any) -> Any:
    if isinstance(value, Marked):
        return value
    return clean_value(value)


def builtin_dir() -> Path:
    """The folder of the built-in templates inside the installed package."""
    return Path(str(resources.files("advocacy.builtin_templates")))


def search_path(templates_dir: Path | None = None, workspace: Path | None = None) -> list[Path]:
    """Folders to look templates up in, first match wins; the built-ins come last."""
    folders: list[Path] = []
    if templates_dir is not None:
        folders.append(templates_dir)
    workspace_templates = (workspace or Path.cwd()) / "templates"
    if workspace_templates.is_dir() and workspace_templates.resolve() != builtin_dir().resolve():
        folders.append(workspace_templates)
    folders.append(builtin_dir())
    return folders


class _Loader(jinja2.BaseLoader):
    """Look a template up along the search path; ``builtin:NAME`` reaches the built-in."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        self.builtin = jinja2.FileSystemLoader(str(builtin_dir()))
        self.user = jinja2.FileSystemLoader([str(f) for f in folders])

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template.startswith(BUILTIN_PREFIX):
            return self.builtin.get_source(environment, template[len(BUILTIN_PREFIX) :])
        return self.user.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return sorted(set(self.user.list_templates()))


def make_environment(folders: Iterable[Path], *, html: bool = False) -> jinja2.Environment:
    """Build a sandboxed, strict Jinja environment over ``folders``.

    ``html=True`` autoescapes everything (the layout given to WeasyPrint); otherwise templates
    render plain text and every inserted data value is stripped of marker characters and
    line breaks.
    """
    environment = SandboxedEnvironment(
        loader=_Loader(list(folders)),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=None if html else _finalize,
    )
    return environment


@lru_cache(maxsize=16)
def shared_environment(folders: tuple[Path, ...], *, html: bool = False) -> jinja2.Environment:
    """One environment per search path, so each template is compiled once per process."""
    return make_environment(folders, html=html)


@dataclass(frozen=True)
class TemplateInfo:
    """A letter template's metadata, read from the ``{#- meta ... -#}`` comment at its top."""

    name: str
    path: Path
    origin: str  # "built-in", "user", or "user (overrides built-in)"
    description: str = ""
    audience: str = "any"  # mayor, council_member or any
    kind: str = "letter"  # letter or public-comment
    max_words: int | None = None
    words_per_minute: int | None = None
    max_minutes: float | None = None
    #: tie statuses the template is written for (``tie_status`` in the metadata); empty: all
    tie_statuses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "origin": self.origin,
            "description": self.description,
            "audience": self.audience,
            "kind": self.kind,
            "max_words": self.max_words,
            "max_minutes": self.max_minutes,
            "tie_statuses": list(self.tie_statuses),
        }


_META = re.compile(r"\A\s*\{#-?\s*meta\b(?P<body>.*?)-?#\}", re.DOTALL)
AUDIENCES = ("mayor", "council_member", "any")


def read_meta(path: Path, origin: str) -> TemplateInfo:
    """Read a template's metadata block; a template without one gets defaults."""
    name = path.name.removesuffix(TEMPLATE_SUFFIX)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TemplateFailed(f"cannot read template: {err}", str(path)) from err
    match = _META.match(source)
    if not match:
        return TemplateInfo(name=name, path=path, origin=origin)
    try:
        meta = yaml.safe_load(match.group("body")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = source[: match.start("body")].count("\n") + (mark.line + 1 if mark else 1)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]  # one line
        raise TemplateFailed(f"invalid metadata: {problem}", str(path), line) from err
    if not isinstance(meta, dict):
        raise TemplateFailed("metadata must be a mapping of name: value", str(path), 1)
    audience = str(meta.get("audience", "any"))
    if audience not in AUDIENCES:
        raise TemplateFailed(
            f"unknown audience {audience!r} (use {', '.join(AUDIENCES)})", str(path), 1
        )
    return TemplateInfo(
        name=name,
        path=path,
        origin=origin,
        description=str(meta.get("description", "")),
        audience=audience,
        kind=str(meta.get("kind", "letter")),
        max_words=_int_or_none(meta.get("max_words")),
        words_per_minute=_int_or_none(meta.get("words_per_minute")),
        max_minutes=float(meta["max_minutes"]) if meta.get("max_minutes") else None,
        tie_statuses=_strings(meta.get("tie_status")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def scan_templates(
    folders: list[Path],
) -> tuple[list[TemplateInfo], dict[str, TemplateFailed]]:
    """Every letter template along the search path (names starting with ``_`` are layouts).

    Returns the usable templates and, by name, the ones whose metadata cannot be read: one
    broken template must not make the others unusable.
    """
    builtin = builtin_dir().resolve()
    builtin_names = {p.name for p in builtin.glob(f"*{TEMPLATE_SUFFIX}")}
    found: dict[str, TemplateInfo] = {}
    broken: dict[str, TemplateFailed] = {}
    for folder in folders:
        is_builtin = folder.resolve() == builtin
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            if path.name.startswith(("_", ".")) or path.name.endswith(".html.j2"):
                continue
            name = path.name.removesuffix(TEMPLATE_SUFFIX)
            if name in found or name in broken:
                continue
            if is_builtin:
                origin = "built-in"
            elif path.name in builtin_names:
                origin = "user (overrides built-in)"
            else:
                origin = "user"
            try:
                found[name] = read_meta(path, origin)
            except TemplateFailed as err:
                broken[name] = err
    return sorted(found.values(), key=lambda info: info.name), broken


def list_templates(folders: list[Path]) -> list[TemplateInfo]:
    """The usable letter templates along the search path (see :func:`scan_templates`)."""
    return scan_templates(folders)[0]


def find_template(folders: list[Path], name: str) -> TemplateInfo:
    """Return the template called ``name`` (with or without ``.j2``), or list what exists."""
    from advocacy.exceptions import LookupFailed

    wanted = name.removesuffix(TEMPLATE_SUFFIX)
    templates, broken = scan_templates(folders)
    if wanted in broken:
        raise broken[wanted]
    for info in templates:
        if info.name == wanted:
            return info
    names = [info.name for info in templates]
    import difflib

    close = difflib.get_close_matches(wanted, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise LookupFailed(f"no template named {name!r}{hint} (available: {', '.join(names)})", names)


def template_error(err: Exception, fallback_name: str) -> TemplateFailed:
    """Wrap a Jinja error with the template file and line it happened at."""
    if isinstance(err, jinja2.TemplateSyntaxError):
        where = err.filename or err.name or fallback_name
        return TemplateFailed(f"syntax error: {err.message}", where, err.lineno)
    if isinstance(err, jinja2.TemplateNotFound):
        return TemplateFailed(f"template not found: {err.name}", fallback_name)
    # Runtime errors: find the innermost template frame in the traceback.
    filename, line = fallback_name, None
    tb = err.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(TEMPLATE_SUFFIX) or "<template>" in code.co_filename:
            filename, line = code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(err, jinja2.exceptions.SecurityError):
        message = f"blocked by the sandbox: {err}"
    elif isinstance(err, jinja2.UndefinedError):
        message = f"undefined variable: {err.message}"
    else:
        message = f"{type(err).__name__}: {err}"
    return TemplateFailed(message, filename, line)
