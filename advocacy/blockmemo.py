"""Blocks rendered once for every letter that gives them the same inputs.

A packet renders one template thousands of times, and most of a letter's blocks read the
same values each time: the city, the tie, the quotes, the official, and a few facts about
the sender (resident or not, district, organisation). A supporter's name, email and note
change from letter to letter, but only the blocks that print them read them.

A block is a function of what it reads: templates run sandboxed, and every value they can
reach is either immutable or refused here. So each block's text is kept with the list of
what it read, in the order it read it; another letter gets that text without running the
block when each of those reads gives the same value again (a decision tree over the reads:
the reads a block makes depend only on the values of the reads before them).

What is recorded, while a block runs:

- each variable it looks up in the context (:class:`MemoContext`), with its value; a value
  is compared by value (strings, numbers, dates, tuples of these) or by identity (frozen
  dataclasses such as the official or the city, functions), and anything else (a list, a
  dict, a namespace, a cycler, an object of a user's extension) keeps the block from being
  kept: it could change between letters;
- each attribute read on an object of a :func:`tracked` class (the sender as templates see
  it), with its value: letters from two residents of one district share their opening.

A block is kept only when it contains no other block (``body`` holds the paragraphs; each
paragraph is a block of its own and is kept on its own) and called nothing impure
(``random``). A block that hardly ever gives the same text (one that prints a supporter's
email) stops being kept after a while, and a block's tree has a bounded size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2.runtime import Context, missing

#: The frames of the blocks being rendered, innermost last: the generators of nested blocks
#: run inside their parent's ``next()``. Only the main thread keeps blocks (a packet's
#: workers render there); a block rendered in another thread runs as compiled, and its
#: reads are not recorded.
_FRAMES: list[_Frame] = []
_MAIN = threading.main_thread().ident
_thread = threading.get_ident

#: Classes whose attribute reads are recorded (see :func:`tracked`).
_TRACKED: set[type] = set()

#: After this many lookups, a block found in less than this share of them is not kept any
#: more (it costs the recording and gains nothing).
TRIAL_LOOKUPS = 128
MIN_HIT_SHARE = 0.125
#: Nodes in one block's tree at most: past it, new texts are not kept (found ones still are).
MAX_NODES = 4096

_VAR, _ATTR = 0, 1
_SENDER = ("tracked",)  # the key of a variable holding the tracked object
_BY_VALUE = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})
_BY_IDENTITY = (types.FunctionType, types.BuiltinFunctionType, type, type(missing))


def tracked(cls: type) -> type:
    """Record the attribute reads of ``cls``'s objects made while a block renders.

    Every read goes through ``__getattribute__``, however the template makes it (an
    attribute, ``attr()``, printing the object whole, comparing it): nothing escapes.
    """

    def __getattribute__(self: Any, name: str) -> Any:  # noqa: N807
        value = object.__getattribute__(self, name)
        if _FRAMES and _thread() == _MAIN and (name[:2] != "__" or name == "__dict__"):
            # ``isinstance()`` reads ``__class__`` (the type: the same for every letter);
            # the fields are only reached by name or through ``__dict__``
            _FRAMES[-1].attribute(self, name, value)
        return value

    cls.__getattribute__ = __getattribute__  # type: ignore[method-assign,assignment]
    _TRACKED.add(cls)
    _MODES[cls] = _SUBJECT  # found through a variable, then read attribute by attribute
    return cls


# How a value of each type is compared: a string by itself, other plain values by type and
# value, frozen dataclasses and functions by identity, a tuple by its items; None: refused.
_STR, _VALUE, _IDENTITY, _TUPLE, _REFUSED, _SUBJECT = range(6)
_MODES: dict[type, int] = {str: _STR, tuple: _TUPLE}


def _mode(kind: type) -> int:
    if kind in _BY_VALUE or issubclass(kind, str):
        mode = _VALUE
    elif issubclass(kind, _BY_IDENTITY):
        mode = _IDENTITY
    else:
        params = getattr(kind, "__dataclass_params__", None)
        frozen = dataclasses.is_dataclass(kind) and params is not None and params.frozen
        mode = _IDENTITY if frozen else _REFUSED
    _MODES[kind] = mode
    return mode


def value_key(value: Any) -> Any:
    """What a read value is compared by (None: it cannot be compared; the block is not kept).

    Keys of different kinds never compare equal: a string is its own key, another plain
    value is (type, value), an object compared by identity is its ``id`` (an int), a tuple is
    (tuple, its items' keys).
    """
    kind = type(value)
    mode = _MODES.get(kind)
    if mode is None:
        mode = _mode(kind)
    if mode == _STR:
        return value
    if mode == _IDENTITY:
        return id(value)
    if mode == _VALUE:
        return (kind, value)
    if mode == _TUPLE:
        keys = tuple(map(value_key, value))
        return None if None in keys else (tuple, keys)
    return None


class _Frame:
    """What one run of a block read."""

    __slots__ = ("events", "subject", "keep")

    def __init__(self) -> None:
        self.events: list[tuple[int, str, Any, Any]] = []
        self.subject: Any = None  # the tracked object the block found in a variable
        self.keep = True

    def variable(self, name: str, value: Any) -> None:
        if not self.keep:
            return
        if type(value) in _TRACKED:
            if self.subject is None:
                self.subject = value
            elif self.subject is not value:
                self.keep = False
                return
            self.events.append((_VAR, name, _SENDER, None))
            return
        key = value_key(value)
        if key is None:
            self.keep = False
            return
        self.events.append((_VAR, name, key, value))  # the value: its identity stays taken

    def attribute(self, owner: Any, name: str, value: Any) -> None:
        if not self.keep:
            return
        key = value_key(value)
        if owner is not self.subject or key is None:
            self.keep = False  # read through something else than a variable, or a method
            return
        self.events.append((_ATTR, name, key, value))


def impure(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (the ``random`` filter), marking the block that calls it as not kept."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if _FRAMES and _thread() == _MAIN:
            _FRAMES[-1].keep = False
        return function(*args, **kwargs)

    if hasattr(function, "jinja_pass_arg"):  # pass_context and the like: Jinja passes it on
        call.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
    return call


class _Node:
    __slots__ = ("read", "children", "text")

    def __init__(self) -> None:
        self.read: tuple[int, str] | None = None  # the next read, on a node with children
        self.children: dict[Any, tuple[_Node, Any]] = {}
        self.text: str | None = None  # the block's text, on a leaf


class MemoBlock:
    """A template's block function, keeping its text by what it read (see the module)."""

    def __init__(self, function: Callable[..., Iterator[str]]):
        self.function = function
        self.root = _Node()
        self.nodes = 1
        self.lookups = self.found = 0
        self.enabled = True

    # ``context.super(name, block_name)`` finds the block after this one by the function
    # compiled in the template: it is this one
    def __eq__(self, other: object) -> bool:
        return other is self or other is self.function

    def __hash__(self) -> int:
        return hash(self.function)

    def __call__(self, context: Context, *args: Any, **kwargs: Any) -> Iterable[str]:
        """The block's text: kept (a tuple of it), or rendered (the block's generator)."""
        main = _thread() == _MAIN
        if _FRAMES and main:
            _FRAMES[-1].keep = False  # a block holding blocks: only the inner ones are kept
        if not self.enabled or args or kwargs or not main:
            return self.function(context, *args, **kwargs)
        self.lookups += 1
        text = self._find(context)
        if text is not None:
            self.found += 1
            return (text,) if text else ()
        if self.lookups >= TRIAL_LOOKUPS and self.found < self.lookups * MIN_HIT_SHARE:
            self.enabled = False
            self.root, self.nodes = _Node(), 1  # what it kept goes
            return self.function(context)
        return self._render(context)

    def _render(self, context: Context) -> Iterator[str]:
        frame = _Frame()
        pieces: list[str] = []
        generator = self.function(context)
        frames = _FRAMES
        depth = len(frames)
        while True:
            try:
                frames.append(frame)
                piece = next(generator)
            except StopIteration:
                break
            finally:
                # the frame goes whatever stopped the block, the time limit's signal included
                del frames[depth:]
            pieces.append(piece)
            yield piece
        if frame.keep and self.enabled:
            self._keep(frame.events, "".join(pieces))

    def _find(self, context: Context) -> str | None:
        node = self.root
        subject = None
        names, parent, modes = context.vars, context.parent, _MODES
        while node.text is None:
            read = node.read
            if read is None:
                return None
            kind, name = read
            if kind == _VAR:
                value = names[name] if name in names else parent.get(name, missing)
            elif subject is None:
                return None
            else:
                value = object.__getattribute__(subject, name)
            # value_key(), its common cases written out: this runs for every read
            mode = modes.get(type(value))
            if mode == _STR:
                key = value
            elif mode == _IDENTITY:
                key = id(value)
            elif mode == _VALUE:  # a flag, a number, None
                key = (type(value), value)
            elif mode == _SUBJECT and kind == _VAR:
                if subject is not None and subject is not value:
                    return None
                subject, key = value, _SENDER
            else:
                key = value_key(value)
                if key is None:
                    return None
            child = node.children.get(key)
            if child is None:
                return None
            node = child[0]
        return node.text

    def _keep(self, events: list[tuple[int, str, Any, Any]], text: str) -> None:
        node = self.root
        for kind, name, key, value in events:
            if node.text is not None:
                return  # a leaf where this run read on: the block is not a function of its reads
            if node.read is None:
                node.read = (kind, name)
            elif node.read != (kind, name):
                return
            child = node.children.get(key)
            if child is None:
                if self.nodes >= MAX_NODES:
                    return
                child = node.children[key] = (_Node(), value)
                self.nodes += 1
            node = child[0]
        if node.read is None and node.text is None:
            node.text = text


class MemoContext(Context):
    """A context that tells the block being rendered which variables it read."""

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            value = self.vars[key]
        elif key in self.parent:
            value = self.parent[key]
        else:
            value = missing
        if _FRAMES and _thread() == _MAIN:
            _FRAMES[-1].variable(key, value)
        return value


class MemoTemplate(jinja2.Template):
    """A template whose blocks are :class:`MemoBlock`\\ s."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:  # noqa: A002
        template = super()._from_namespace(environment, namespace, globals)
        blocks: dict[str, Any] = {name: MemoBlock(fn) for name, fn in template.blocks.items()}
        template.blocks = blocks
        return template


def enable(environment: jinja2.Environment) -> None:
    """Keep the blocks of the templates ``environment`` compiles from now on."""
    environment.template_class = MemoTemplate
    environment.context_class = MemoContext
    if "random" in environment.filters:
        environment.filters["random"] = impure(environment.filters["random"])
