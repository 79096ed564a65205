"""What rendering one letter may cost: time, memory and the size of its text.

Templates are code a user (or whoever sent them a template) wrote; the sandbox keeps them
from reaching files or the network, and this module keeps them from taking the machine:

- :class:`BoundedSandbox` refuses, before doing it, an operation that would build a value
  over ``MAX_LETTER_CHARS`` (``'x' * 10**9``, ``'x'|center(10**9)``, ``'%9999999d' % 1``)
  or a number of more than ``MAX_INT_DIGITS`` digits (``10 ** 10 ** 10``);
- :func:`letter_budget` bounds one letter's rendering in time (``MAX_RENDER_SECONDS``, for
  loops such as two nested ``range(100000)``) and memory (``MAX_RENDER_MEMORY`` over what
  the process uses, for a value doubled in a loop), and :func:`render_bounded` stops once
  the letter's text passes ``MAX_LETTER_CHARS``.

Each raises :class:`OverBudget`, which the caller turns into ``template:line: ...`` for that
letter only; the other letters go on.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

try:  # the functions ``signal`` wraps, without turning every handler into an enum member
    import _signal as _signals  # (that took a third of the time limit's cost a letter)
except ImportError:  # pragma: no cover - another Python than CPython
    _signals = signal  # type: ignore[assignment]

#: The text of one letter (a 2,500-signature petition with long comments is about 3 MB).
MAX_LETTER_CHARS = 4_000_000
#: Seconds to render one letter's template (a letter takes a few milliseconds; a petition of
#: 2,500 signatures 0.2 s).
MAX_RENDER_SECONDS = 5.0
#: Memory one letter's template may take beyond what the process holds already.
MAX_RENDER_MEMORY = 512 * 1024 * 1024
#: Digits of a number a template computes.
MAX_INT_DIGITS = 4300  # Python's own limit for int <-> str conversion
#: A width or precision in a format (``'%10s'``, ``'{:>10}'``, ``center(10)``).
MAX_WIDTH = 10_000


class OverBudget(Exception):  # noqa: N818 - it reads as what happened
    """A template went over one of the limits above."""

    #: time or memory ran out (rather than one operation refused before it ran)
    exhausted = False


def _refuse(message: str, exhausted: bool = False) -> OverBudget:
    error = OverBudget(message)
    error.exhausted = exhausted
    return error


def _size(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


_FORMAT_NUMBERS = re.compile(r"%[-+ #0]*(\d*)(?:\.(\d+))?|\{[^{}]*?[:!][^{}]*?(\d+)[^{}]*\}")


def _check_widths(text: str) -> None:
    for match in _FORMAT_NUMBERS.finditer(text):
        for number in match.groups():
            if number and len(number) > 6 or (number and int(number) > MAX_WIDTH):
                raise _refuse(f"a format width of {number} (the limit is {MAX_WIDTH:,})")


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, refusing operations whose result would be too large to build."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                size = _size(sequence)
                if size is not None and isinstance(count, int) and size * count > MAX_LETTER_CHARS:
                    raise _refuse(
                        f"a value of {size:,} repeated {count:,} times is over the limit of "
                        f"{MAX_LETTER_CHARS:,} a letter may hold"
                    )
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            digits = abs(left).bit_length() * right * 0.302  # log10(2)
            if right > 0 and digits > MAX_INT_DIGITS:
                raise _refuse(f"{left} ** {right} has over {MAX_INT_DIGITS:,} digits")
        elif operator == "%" and isinstance(left, str):
            _check_widths(left)
        elif operator == "+":
            sizes = (_size(left), _size(right))
            if None not in sizes and sum(sizes) > MAX_LETTER_CHARS:  # type: ignore[arg-type]
                raise _refuse(f"a value over the limit of {MAX_LETTER_CHARS:,} characters")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int) and result.bit_length() > MAX_INT_DIGITS * 3.33:
            raise _refuse(f"a number of over {MAX_INT_DIGITS:,} digits")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if name in ("ljust", "rjust", "center", "zfill") and args:
                _check_count(args[0], len(owner))
            elif name == "expandtabs":
                _check_count(len(owner) * (args[0] if args else 8), 0)
            elif name in ("format", "format_map"):
                _check_widths(owner)
            elif name == "replace" and len(args) >= 2:
                _check_count(owner.count(str(args[0])) * len(str(args[1])), len(owner))
            elif name == "join" and args:
                _check_join(owner, args[0])
        return super().call(__context, __obj, *args, **kwargs)


def _check_count(width: Any, base: int) -> None:
    if isinstance(width, int) and width + base > MAX_LETTER_CHARS:
        raise _refuse(f"a value of {width:,} characters is over the limit of {MAX_LETTER_CHARS:,}")


def _check_join(separator: str, items: Any) -> None:
    size = _size(items)
    if size is not None and len(separator) * size > MAX_LETTER_CHARS:
        raise _refuse(f"joining {size:,} values is over the limit of {MAX_LETTER_CHARS:,}")


def _bounded_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``center``, ``indent``, ``format``, ``replace``, ``wordwrap`` checked before they run."""

    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        text = str(value) if not isinstance(value, str) else value
        if name in ("center", "indent") and args:
            width = args[0]
            lines = text.count("\n") + 1
            if isinstance(width, str):
                _check_count(len(width) * lines, len(text))
            else:
                _check_count((width if name == "center" else width * lines), len(text))
        elif name == "format":
            _check_widths(text)
        elif name == "replace" and len(args) >= 2:
            _check_count(text.count(str(args[0])) * len(str(args[1])), len(text))
        return original(value, *args, **kwargs)

    bounded.__name__ = getattr(original, "__name__", name)
    return bounded


def bound_filters(environment: jinja2.Environment) -> None:
    """Replace the filters that can multiply a value's size with checked ones."""
    for name in ("center", "indent", "format", "replace"):
        if name in environment.filters:
            environment.filters[name] = _bounded_filter(name, environment.filters[name])
    environment.globals.pop("lipsum", None)  # lipsum(n=10**9): placeholder text, not a letter


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render ``template``; stop with OverBudget once its text passes ``MAX_LETTER_CHARS``.

    An error in the template gets the template's lines (as ``template.render`` gives it),
    or, when Jinja cannot find them, its own message: Jinja maps each frame of the error's
    traceback to a line of the template, and a frame stopped by the time limit's signal at
    an instruction without a line number (in a loop) made that mapping fail with a
    ``TypeError``, which then stood for the error itself. The template is still named, and
    the error keeps what it says (and that the budget is spent).
    """
    environment = template.environment
    pieces: list[str] = []
    append, limit, size = pieces.append, MAX_LETTER_CHARS, 0  # locals: ~80 pieces a letter
    # the root's generator iterated here, not through one of ours: each of a letter's ~40
    # pieces comes up through every generator between its block and this loop
    try:
        for piece in template.root_render_func(_new_context(template, context)):
            size += len(piece)
            if size > limit:
                break
            append(piece)
    except Exception as error:
        try:
            environment.handle_exception()  # raises ``error``, with template lines
        except TypeError as failed:
            if failed is error:
                raise
            raise error.with_traceback(None) from error.__cause__
    if size > limit:
        raise _refuse(f"the letter is over {limit:,} characters, the limit of one letter")
    return "".join(pieces)


def _new_context(template: jinja2.Template, context: dict[str, Any]) -> Any:
    """``template.new_context(context)``, without its ChainMap of globals walked twice for
    every letter (35 -> 3 us): the globals as one dict, kept on the template."""
    globals_ = template.__dict__.get("_plain_globals")
    if globals_ is None:
        globals_ = template.__dict__["_plain_globals"] = dict(template.globals)
    variables = dict(globals_)
    variables.update(context)  # a copy: the template's assignments stay its own
    environment = template.environment
    return environment.context_class(
        environment, variables, template.name, template.blocks, globals=globals_
    )


# -- time and memory --------------------------------------------------------------------------

try:
    import resource
except ImportError:  # not on a POSIX system: time only
    resource = None  # type: ignore[assignment]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: (pid, descriptor) of this process's ``/proc/self/statm``, read again for every letter;
#: kept open (``/proc/self`` names the process that opened it: a forked child opens its own)
_statm: tuple[int, int] | None = None


def _address_space() -> int | None:
    """The process's address space in bytes (what ``RLIMIT_AS`` limits), or None."""
    global _statm
    pid = os.getpid()
    try:
        if _statm is None or _statm[0] != pid:
            if _statm is not None:
                with contextlib.suppress(OSError):
                    os.close(_statm[1])  # the parent's, inherited by a fork
                _statm = None
            _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC))
        return int(os.pread(_statm[1], 128, 0).split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


_TIMED = hasattr(signal, "setitimer")
if _TIMED:
    _SIGALRM, _ITIMER_REAL = int(signal.SIGALRM), int(signal.ITIMER_REAL)
_SIG_DFL = int(signal.SIG_DFL)


class _Budget:
    """The limits of one letter, set on entry and taken back on exit (see letter_budget).

    One object rather than three generator-based context managers: the checks and system
    calls are the same, at a tenth of the Python overhead (they ran for every letter).
    """

    __slots__ = ("seconds", "memory", "timed", "limits")

    def __init__(self, seconds: float, memory: int):
        self.seconds = seconds
        self.memory = memory
        self.timed = False
        self.limits: tuple[int, int] | None = None  # the RLIMIT_AS to put back

    def __enter__(self) -> None:
        if (
            _TIMED
            and _signals.getsignal(_SIGALRM) in (_SIG_DFL, None)
            and threading.current_thread() is threading.main_thread()
            and _signals.getitimer(_ITIMER_REAL) == (0.0, 0.0)
        ):
            _signals.signal(_SIGALRM, self._expired)
            _signals.setitimer(_ITIMER_REAL, self.seconds)
            self.timed = True
        try:
            self._limit_memory()
        except BaseException:
            self._stop_timer()
            raise

    def _expired(self, signum: int, frame: Any) -> None:
        raise _refuse(
            f"rendering took more than {self.seconds:g} s, the limit for one letter", True
        )

    def _limit_memory(self) -> None:
        if resource is None:
            return
        used = _address_space()
        if used is None:
            return
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = used + self.memory
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft <= wanted:
            return  # a tighter limit is already set (e.g. by a test)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
        self.limits = (soft, hard)

    def _stop_timer(self) -> None:
        if self.timed:
            self.timed = False
            _signals.setitimer(_ITIMER_REAL, 0)
            _signals.signal(_SIGALRM, _SIG_DFL)

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        try:
            if self.limits is not None:
                resource.setrlimit(resource.RLIMIT_AS, self.limits)
                self.limits = None
        finally:
            self._stop_timer()
        if isinstance(error, MemoryError):
            # keep the traceback: it holds the template line that asked for the memory
            raise _refuse(
                f"rendering took more than {self.memory // (1024 * 1024):,} MB of memory, the "
                "limit for one letter",
                True,
            ).with_traceback(traceback) from error


def letter_budget(seconds: float | None = None, memory: int | None = None) -> _Budget:
    """Bound the rendering of one letter in time and memory (see the module docstring).

    Use as ``with letter_budget(): ...``. The time limit needs the main thread (SIGALRM);
    elsewhere only memory is bounded. A MemoryError inside becomes OverBudget.
    """
    return _Budget(
        MAX_RENDER_SECONDS if seconds is None else seconds,
        MAX_RENDER_MEMORY if memory is None else memory,
    )
