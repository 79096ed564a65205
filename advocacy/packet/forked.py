"""Work done in a forked child process while this one goes on (the end of a packet run).

When the last letter is written the workers are gone and one CPU is idle, while the parent
writes the overview, the manifests and the state one after the other. :func:`in_child` runs
part of that in a child made with ``fork``: it shares the parent's data as it is (no copying
or pickling), writes its files, and sends back a small JSON result. The child's files are
written atomically like any other, so a child that is killed or fails leaves the old file
or a temporary one that the next run removes, never half a file.

Where ``fork`` is missing, where the process's threads cannot all be counted (other systems
than Linux), or when another thread is running, even one of a C library (a fork copies only
the calling thread, and a lock another thread holds would stay locked in the child), the
function runs at once in this process instead.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from advocacy.exceptions import AdvocacyError, describe

#: a result larger than this is not a small summary: the child reports an error instead
MAX_RESULT = 1 << 20


class Forked:
    """A function running in a child process; :meth:`result` waits for what it returned."""

    def __init__(self, function: Callable[[], Any]):
        self._pid: int | None = None
        self._pipe: int | None = None
        self._value: Any = None
        self._error: BaseException | None = None
        if not hasattr(os, "fork") or not _single_threaded():
            self._run_here(function)
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(function, write)
        os.close(write)
        self._pid, self._pipe = pid, read

    def _run_here(self, function: Callable[[], Any]) -> None:
        try:
            self._value = function()
        except Exception as err:  # noqa: BLE001 - given back by result(), as from a child
            self._error = err

    def result(self) -> Any:
        """What the function returned; its error (an AdvocacyError) if it raised one."""
        if self._pid is not None:
            self._collect()
        if self._error is not None:
            raise self._error
        return self._value

    def _collect(self) -> None:
        pid, pipe = self._pid, self._pipe
        assert pid is not None and pipe is not None
        self._pid = self._pipe = None
        chunks: list[bytes] = []
        try:
            while chunk := os.read(pipe, 1 << 16):
                chunks.append(chunk)
            _, status = os.waitpid(pid, 0)
        except BaseException:  # Ctrl-C while waiting: the child must not outlive us
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise
        finally:
            os.close(pipe)
        try:
            message = json.loads(b"".join(chunks) or b"null")
        except ValueError:
            message = None
        code = os.waitstatus_to_exitcode(status)
        if isinstance(message, dict) and "value" in message and code == 0:
            self._value = message["value"]
        elif isinstance(message, dict) and isinstance(message.get("error"), str):
            self._error = AdvocacyError(message["error"])
        else:
            how = f"was killed by signal {-code}" if code < 0 else f"ended with code {code}"
            self._error = AdvocacyError(f"the child process writing part of the packet {how}")

    def cancel(self) -> None:
        """Stop the child (its files are written atomically: none is left half-written)."""
        pid, pipe = self._pid, self._pipe
        if pid is None or pipe is None:
            return
        self._pid = self._pipe = None
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        os.close(pipe)

    def __del__(self) -> None:  # a result never asked for: reap the child all the same
        if self._pid is not None:
            with contextlib.suppress(Exception):
                self._collect()


def _single_threaded() -> bool:
    """Whether this process surely runs one thread, counting threads of C libraries too.

    Only Linux lists them all (/proc/self/task). Elsewhere the answer is no, and the work
    runs in this process: on macOS a fork is not safe once the system's frameworks are
    loaded (the font libraries of a bundle's cover page load them)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1 and threading.active_count() == 1
    except OSError:
        return False


def _child(function: Callable[[], Any], pipe: int) -> None:
    # The child shares the parent's memory until it writes to it. The cyclic collector
    # writes into every object it visits, so one collection in the child would copy most
    # of the parent's pages (25,000 letters' rows): the child, short-lived, does without.
    gc.disable()
    code = 1
    try:
        try:
            value = function()
            data = json.dumps({"value": value}).encode("utf-8")
            if len(data) > MAX_RESULT:
                raise AdvocacyError(f"a result of {len(data):,} bytes from the child")
            code = 0
        except BaseException as err:  # noqa: BLE001 - sent to the parent, which reports it
            data = json.dumps({"error": describe(err)}).encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(pipe, view) :]
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        # _exit: no atexit handlers, and nothing the parent had buffered (the state's
        # journal, the terminal's output) is written a second time by the child
        os._exit(code)


def in_child(function: Callable[[], Any]) -> Forked:
    """Start ``function`` in a child process (or run it now, see the module docstring)."""
    return Forked(function)
