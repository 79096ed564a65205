"""advocacy.packet.forked: work in a child process, its result or its error back."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from advocacy.exceptions import AdvocacyError, OutputError
from advocacy.packet.forked import in_child

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")


@needs_fork
def test_the_child_writes_and_returns_its_result(tmp_path):
    target = tmp_path / "out.txt"

    def work():
        target.write_text("written by the child", encoding="utf-8")
        return {"pid": os.getpid(), "files": ["out.txt"]}

    child = in_child(work)
    value = child.result()
    assert value["files"] == ["out.txt"]
    assert value["pid"] != os.getpid()  # it did run in another process
    assert target.read_text(encoding="utf-8") == "written by the child"


@needs_fork
def test_an_error_in_the_child_is_raised_with_its_message():
    def work():
        raise OutputError("cannot write /x/index.html: No space left on device")

    with pytest.raises(AdvocacyError, match="No space left on device"):
        in_child(work).result()


@needs_fork
def test_another_error_names_its_type():
    def work():
        raise KeyError("missing")

    with pytest.raises(AdvocacyError, match="KeyError"):
        in_child(work).result()


@needs_fork
def test_a_killed_child_is_reported():
    def work():
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(AdvocacyError, match="killed by signal 9"):
        in_child(work).result()


@needs_fork
def test_cancel_stops_the_child(tmp_path):
    marker = tmp_path / "done"

    def work():
        time.sleep(30)
        marker.write_text("late", encoding="utf-8")

    started = time.monotonic()
    child = in_child(work)
    child.cancel()
    assert time.monotonic() - started < 10
    assert not marker.exists()
    assert child.result() is None  # nothing to wait for any more


def test_with_another_thread_running_it_runs_here():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        child = in_child(os.getpid)
        assert child.result() == os.getpid()
        failing = in_child(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result()
    finally:
        stop.set()
        thread.join()


@needs_fork
def test_buffered_output_of_the_parent_is_not_written_twice(tmp_path):
    path = tmp_path / "journal"
    with path.open("a", encoding="utf-8") as journal:
        journal.write("one line\n")  # still in the buffer when the child starts
        in_child(lambda: None).result()
    assert path.read_text(encoding="utf-8") == "one line\n"


def test_where_threads_cannot_be_counted_it_runs_here(monkeypatch):
    import advocacy.packet.forked as forked

    def unreadable(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(forked.os, "listdir", unreadable)
    assert in_child(os.getpid).result() == os.getpid()
