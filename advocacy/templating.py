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

import os
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import yaml
from jinja2.loaders import split_template_path

from advocacy import blockmemo
from advocacy.budget import BoundedSandbox, OverBudget, bound_filters
from advocacy.exceptions import DataError, TemplateFailed
from advocacy.inputs import (
    MAX_TEXT_BYTES,
    SAFE_LOADER,
    TextDateLoader,
    check_yaml_shape,
    kind_of,
    read_input_text,
    text_problem,
)
from advocacy.models import TIE_STATUSES
from advocacy.template_folders import builtin_dir
from advocacy.template_folders import search_path as search_path  # its old home: still found here
from advocacy.typography import TypographyExtension

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
    if type(value) is str and value.isprintable():
        return value  # no marker and no line break: none of them is printable
    text = _MARKS.sub("", str(value))
    return _NEWLINES.sub(" ", text)


def _finalize(value: Any) -> Any:
    if type(value) is str and value.isprintable():
        return value  # what clean_value() would return, without the call (most values)
    if isinstance(value, Marked):
        return value
    return clean_value(value)


class _Loader(jinja2.BaseLoader):
    """Look a template up along the search path; ``builtin:NAME`` reaches the built-in.

    Files are read with :func:`read_template_source`: a FIFO or a device named like a
    template is an error, not a hang, and no template is larger than ``MAX_TEMPLATE_BYTES``.
    """

    def __init__(self, folders: list[Path]):
        self.folders = folders
        self.builtin = builtin_dir()
        self.user = jinja2.FileSystemLoader([str(f) for f in folders])

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template.startswith(BUILTIN_PREFIX):
            return self._find([self.builtin], template[len(BUILTIN_PREFIX) :])
        return self._find(self.folders, template)

    @staticmethod
    def _find(
        folders: list[Path], template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        pieces = split_template_path(template)
        for folder in folders:
            path = Path(folder).joinpath(*pieces)
            if not os.path.lexists(path) or path.is_dir():
                continue
            source = read_template_source(path)
            filename = os.path.normpath(path)
            try:
                mtime = os.path.getmtime(filename)
            except OSError:
                mtime = 0.0

            def uptodate(filename: str = filename, mtime: float = mtime) -> bool:
                try:
                    return os.path.getmtime(filename) == mtime
                except OSError:
                    return False

            return source, filename, uptodate
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return sorted(set(self.user.list_templates()))


#: ``id()`` of the module-level helper functions templates call (``quote()``, ``section()``):
#: the sandbox would let every call to them through; it skips its checks for these only.
_HELPERS: set[int] = set()
_HELPER_FUNCTIONS: list[Callable[..., Any]] = []  # keeps them alive, so no id is reused


def template_helper(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a module-level function of ours as a helper templates call (see ``_Sandbox.call``).

    Only for functions that live as long as the process, take no context, are not marked
    unsafe and never raise StopIteration: the sandbox's own checks would pass them anyway.
    """
    _HELPER_FUNCTIONS.append(function)
    _HELPERS.add(id(function))
    return function


_METHODS = (types.MethodType, types.BuiltinMethodType)
#: what ``getattr`` finds on a plain dict: its methods and the type's own attributes
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Sandbox(BoundedSandbox):
    """Jinja's sandbox, remembering its verdict on an attribute per (type, attribute name).

    The sandbox checks every attribute a template reads (a sixth of a letter's composing
    time); its verdict depends only on the object's type and the name (``_``-names and the
    internals of functions, methods, types, frames, generators are refused), so it is decided
    once per pair. Values are still looked up, and refused, each time.
    """

    MAX_VERDICTS = 4096

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = super().is_safe_attribute(obj, attr, value)
            if len(self._verdicts) < self.MAX_VERDICTS:
                self._verdicts[key] = verdict
        return verdict

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``SandboxedEnvironment.getattr``, shorter for a (type, name) already found safe:
        the value is looked up, and a method still goes through ``wrap_str_format`` (the
        sandboxed ``str.format``)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            # ``row.name`` on a plain dict: getattr() can only fail there (a dict has no
            # attribute but its methods), and Jinja then returns the item, unchecked, as
            # this does at once (the pages' rows: a quarter of the lookups of a letter)
            return obj[attribute]
        if self._verdicts.get((type(obj), attribute)):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                return super().getattr(obj, attribute)  # then obj[attribute], or undefined
            if isinstance(value, _METHODS):
                wrapped = self.wrap_str_format(value)
                return value if wrapped is None else wrapped
            return value
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Our own helpers (``template_helper``) are called as ``Context.call`` would call
        them; everything else goes through the sandbox's and the budget's checks."""
        if id(__obj) in _HELPERS:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


#: MarkupSafe's escaping of a string, without ``escape``'s Python around it (MarkupSafe 3 has
#: it under this name; elsewhere None, and ``escape`` is used as it is)
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)


def escape(value: Any) -> markupsafe.Markup:
    """``markupsafe.escape(value)``: a string's ``Markup`` made at once (``Markup()`` asks
    the text for ``__html__`` first, in Python: with ``escape`` half the time of a page)."""
    if type(value) is str and _escape_inner is not None:
        return str.__new__(markupsafe.Markup, _escape_inner(value))
    return markupsafe.escape(value)


class _HtmlTemplate(jinja2.Template):
    """A template of an HTML environment: what it prints is escaped by :func:`escape`."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:  # noqa: A002
        if namespace.get("escape") is markupsafe.escape:  # the compiled code's escape()
            namespace["escape"] = escape
        return super()._from_namespace(environment, namespace, globals)


def make_environment(
    folders: Iterable[Path], *, html: bool = False, reload: bool = True, memo: bool = False
) -> jinja2.Environment:
    """Build a sandboxed, strict Jinja environment over ``folders``.

    ``html=True`` autoescapes everything (the layout given to WeasyPrint); otherwise templates
    render plain text and every inserted data value is stripped of marker characters and
    line breaks, and the template's own text gets curly quotes and en dashes
    (:class:`~advocacy.typography.TypographyExtension`; values print as written).
    ``reload=False`` reads each template once: by default every use of a template checks
    its file's time (a ``stat`` for it and each template it extends, every letter).
    ``memo=True`` keeps each block's text for the letters that give it the same inputs
    (:mod:`advocacy.blockmemo`): for an environment that renders many letters.
    """
    environment = _Sandbox(
        auto_reload=reload,
        loader=_Loader(list(folders)),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=None if html else _finalize,
        extensions=() if html else (TypographyExtension,),
    )
    bound_filters(environment)
    if html:
        environment.template_class = _HtmlTemplate
    if not reload:
        _keep_templates(environment)
    if memo:
        blockmemo.enable(environment)
    return environment


def _keep_templates(environment: jinja2.Environment) -> None:
    """Have ``environment.get_template`` find a template it loaded before in a plain dict.

    Only for an environment that never reloads: it then always returns the template it
    loaded first (unless its cache of 400 drops it: then a copy compiled again). Jinja's
    cache takes a lock and a weak reference to find it, three times a letter (the template
    and the two it extends).
    """
    found: dict[tuple[str, str | None], jinja2.Template] = {}
    load = environment.get_template

    def get_template(
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: Any = None,  # noqa: A002
    ) -> jinja2.Template:
        if globals is not None or type(name) is not str:
            return load(name, parent, globals)
        key = (name, parent)
        template = found.get(key)
        if template is None:
            template = found[key] = load(name, parent)
        return template

    environment.get_template = get_template  # type: ignore[method-assign]


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
    #: what follows the salutation (``salutation_punctuation``): a business letter's colon
    salutation_punctuation: str = ":"

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


#: The largest template file read (a template is text written by hand).
MAX_TEMPLATE_BYTES = MAX_TEXT_BYTES
#: Bounds of the numbers in the metadata (a letter of more words would not be read).
MAX_META_NUMBER = 100_000


def read_template_source(path: Path) -> str:
    """A template's text: a regular UTF-8 file of at most ``MAX_TEMPLATE_BYTES``."""
    try:
        return read_input_text(path, MAX_TEMPLATE_BYTES, "template")
    except DataError as err:
        raise TemplateFailed(err.reason, str(path), err.line) from err


def read_meta(path: Path, origin: str) -> TemplateInfo:
    """Read a template's metadata block; a template without one gets defaults.

    Every value is checked for its type and range; an error names the template and the line
    of the key (``max_words: abc`` is "templates/x.j2:4: max_words: expected a whole number").
    """
    name = path.name.removesuffix(TEMPLATE_SUFFIX)
    source = read_template_source(path)
    match = _META.match(source)
    if not match:
        return TemplateInfo(name=name, path=path, origin=origin)
    first = source[: match.start("body")].count("\n")  # lines before the metadata's first
    body = match.group("body")
    try:
        check_yaml_shape(body, str(path), depth=4, aliases=0)
        meta = yaml.load(body, Loader=TextDateLoader) or {}  # noqa: S506 - a SafeLoader
        node = yaml.compose(body, Loader=SAFE_LOADER)
    except DataError as err:
        line = first + (err.line or 1)
        raise TemplateFailed(f"invalid metadata: {err.reason}", str(path), line) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = first + (mark.line + 1 if mark else 1)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]  # one line
        raise TemplateFailed(f"invalid metadata: {problem}", str(path), line) from err
    if not isinstance(meta, dict):
        raise TemplateFailed("metadata must be a mapping of name: value", str(path), 1)
    lines = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(key.value): first + key.start_mark.line + 1 for key, _ in node.value}

    def wrong(key: str, message: str) -> TemplateFailed:
        return TemplateFailed(f"{key}: {message}", str(path), lines.get(key, 1))

    def text(key: str, default: str) -> str:
        value = meta.get(key, default)
        if value is None:
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise wrong(key, f"expected text, found {kind_of(value)}")
        problem = text_problem(str(value))
        if problem:
            raise wrong(key, problem)
        return str(value)

    def number(key: str, whole: bool) -> Any:
        value = meta.get(key)
        if value is None or value == "":
            return None
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise wrong(key, f"expected {kind}, found {kind_of(value)}")
        if not 0 < value <= MAX_META_NUMBER:
            raise wrong(key, f"expected {kind} from 1 to {MAX_META_NUMBER:,}, found {value}")
        return value

    audience = text("audience", "any")
    if audience not in AUDIENCES:
        raise wrong("audience", f"{audience!r} is unknown (use {', '.join(AUDIENCES)})")
    statuses = meta.get("tie_status")
    if statuses is None or statuses == "":
        statuses = []
    elif isinstance(statuses, str):
        statuses = [statuses]
    if not isinstance(statuses, list) or not all(isinstance(v, str) for v in statuses):
        raise wrong("tie_status", f"expected a status or a list of them, found {kind_of(statuses)}")
    unknown = [v for v in statuses if v not in TIE_STATUSES]
    if unknown:
        raise wrong(
            "tie_status",
            f"{unknown[0]!r} is unknown (use {', '.join(TIE_STATUSES)})",
        )
    max_minutes = number("max_minutes", whole=False)
    return TemplateInfo(
        name=name,
        path=path,
        origin=origin,
        description=text("description", ""),
        audience=audience,
        kind=text("kind", "letter"),
        max_words=number("max_words", whole=True),
        words_per_minute=number("words_per_minute", whole=True),
        max_minutes=float(max_minutes) if max_minutes else None,
        tie_statuses=tuple(statuses),
        salutation_punctuation=text("salutation_punctuation", ":"),
    )


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
    elif isinstance(err, (OverBudget, OverflowError)):  # OverflowError: range(10**9)
        message = f"over a limit: {err}"
    elif isinstance(err, jinja2.UndefinedError):
        message = f"undefined variable: {err.message}"
    else:
        message = f"{type(err).__name__}: {err}"
    return TemplateFailed(message, filename, line)
