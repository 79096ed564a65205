"""Rendering the letters, in worker processes when there are several CPUs."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advocacy.exceptions import AdvocacyError, WorkerDied, describe
from advocacy.generate import LetterFactory, LetterJob, LetterResult
from advocacy.packet.plan import PacketSettings, PlannedLetter, usable_cpus
from advocacy.packet.supporter_pages import write_page

# -- rendering in worker processes --------------------------------------------------------------


_FACTORY: LetterFactory | None = None


def _factory_arguments(settings: PacketSettings) -> tuple[Any, ...]:
    return (
        list(settings.folders),
        settings.formats,
        settings.sender,
        settings.date,
        settings.quotes,
        settings.extras,
        settings.style,
        False,  # not durable: sizes are recorded and checked instead of an fsync a file
    )


def _start_worker(arguments: tuple[Any, ...], lock_fd: int | None, parent: int) -> None:
    """Build this worker's one LetterFactory; Ctrl-C is left to the parent, which stops us."""
    global _FACTORY
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    if lock_fd is not None:
        # the copy of the parent's lock: a worker outliving a killed parent must not hold it
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    _FACTORY = LetterFactory(*arguments)
    # A renderer that cannot be built (a broken reference .docx) fails each letter with its
    # own message later, instead of breaking the pool here.
    with contextlib.suppress(AdvocacyError):
        _FACTORY.prepare()
    # A worker only renders: what exists now (modules, fonts, the data) lives as long as it
    # does, so the cyclic collector need not scan it again and again. (Also raising the
    # collector's thresholds saved 4 % of the instructions a letter under callgrind, but
    # raised the peak memory of a 5,000-letter packet from 237 to 306 MB: not kept.)
    gc.freeze()


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the parent dies (even by SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it died before prctl: do not render for nobody
            os._exit(1)
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class Unit:
    """Letters a worker renders together. With a supporter's ``group`` (a supporters packet),
    the worker writes the supporter's page right after their letters, from their results."""

    letters: Sequence[PlannedLetter]
    group: Any = None


#: A page a worker wrote: its path in the output folder and its size, or the error.
Page = tuple[str, int, str | None]

#: The units of the run, as the parent planned them: forked workers find their work here by
#: position, so a batch is sent as two numbers instead of pickled officials and cities.
_UNITS: Sequence[Unit] = ()

#: Letters a worker takes at a time when they are text only (~2 ms each): one round trip to
#: the parent per batch instead of per letter. With PDF or DOCX (~50 ms), one at a time.
#: (16 a batch cost the parent 2.5 s of CPU at 23,000 letters, taken from the workers; 64: 1.4 s.)
TEXT_BATCH = 64
TEXT_FORMATS = frozenset(("eml", "txt", "mailto"))
#: Letters a worker takes at a time with PDF: laid out as one document (0.9 of the CPU time
#: of one at a time; advocacy.formats.pdf_batch.BATCH).
PDF_BATCH = 8


def _render_in_worker(
    work: Sequence[Unit] | tuple[int, int], out: Path
) -> list[tuple[list[dict[str, Any]], Page | None]]:
    """Render a batch: units, or (start, stop) positions in ``_UNITS`` (forked workers)."""
    assert _FACTORY is not None, "worker started without its LetterFactory"
    if isinstance(work, tuple):
        start, stop = work
        work = _UNITS[start:stop]
    return list(write_units(_FACTORY, work, out))


def write_units(
    factory: LetterFactory, units: Sequence[Unit], out: Path
) -> Iterator[tuple[list[dict[str, Any]], Page | None]]:
    """Write the units' letters, their PDFs laid out together (advocacy.formats.pdf_batch);
    yield each unit's records as soon as its files are written."""
    if "pdf" not in factory.formats:
        for unit in units:
            yield write_unit(factory, unit, out)
        return
    from advocacy.formats.pdf_batch import rendered_together

    with rendered_together(factory, [planned.job for unit in units for planned in unit.letters]):
        for unit in units:
            yield write_unit(factory, unit, out)


def batch_size(formats: Sequence[str]) -> int:
    if "pdf" in formats:
        return PDF_BATCH
    return TEXT_BATCH if TEXT_FORMATS.issuperset(formats) else 1


def write_unit(
    factory: LetterFactory, unit: Unit, out: Path
) -> tuple[list[dict[str, Any]], Page | None]:
    """Write a unit's letters (and its supporter's page); return their records and the page.

    A new supporter's folder is written whole (``LetterFactory.new_folder``). A supporter's
    records leave out the ``mailto:`` link itself (it is on their page): the parent keeps
    25,000 records, and the links would be most of their size.
    """
    if unit.group is None:
        results = [_write_result(factory, planned.job, out) for planned in unit.letters]
        return [record_of(result) for result in results], None
    page: Page | None = None
    try:
        with factory.new_folder(out, unit.group.folder):
            results = [_write_result(factory, planned.job, out) for planned in unit.letters]
            page = _write_page(factory, unit, out, results)
    except (OSError, AdvocacyError) as err:  # the folder could not be made or put in place
        error = describe(err)
        results = [LetterResult(p.job, status="failed", error=error) for p in unit.letters]
        page = ("", 0, error)
    return [record_of(result, mailto=False) for result in results], page


def _write_page(factory: LetterFactory, unit: Unit, out: Path, results: list[LetterResult]) -> Page:
    try:
        path, size = write_page(
            out,
            factory.folders,
            factory.formats,
            factory.date,
            unit.group,
            results,
            factory.file,
            factory.write_files,
            factory.html_environment,
        )
        return (path, size, None)
    except Exception as err:  # noqa: BLE001 - reported with the supporter's name
        return ("", 0, describe(err))


def _write_result(factory: LetterFactory, job: LetterJob, out: Path) -> LetterResult:
    try:
        return factory.write(job, out)
    except Exception as err:  # noqa: BLE001 - one failing letter must not stop the packet
        return LetterResult(job, status="failed", error=describe(err))


def record_of(result: LetterResult, mailto: bool = True) -> dict[str, Any]:
    """What the state, index and manifests keep of a letter (no bytes, nothing of the job)."""
    return {
        "status": result.status,
        "files": dict(result.files),
        "sizes": dict(result.sizes),
        "subject": result.subject,
        "mailto": result.mailto if mailto else None,
        "mailto_length": result.mailto_length,
        "warnings": list(result.warnings),
        "error": result.error,
        "body": result.body,
    }


def result_of(job: LetterJob, record: dict[str, Any]) -> LetterResult:
    return LetterResult(
        job,
        status=record.get("status", "failed"),
        files=dict(record.get("files") or {}),
        sizes=dict(record.get("sizes") or {}),
        mailto=record.get("mailto"),
        mailto_length=int(record.get("mailto_length") or 0),
        warnings=list(record.get("warnings") or []),
        error=record.get("error"),
        subject=record.get("subject") or "",
        body=record.get("body") or "",
    )


def _pool_context() -> Any:
    # fork: workers start at once, without importing the program again (spawn and forkserver
    # re-run the main module, which breaks under `python -c` or an embedding host). The pool
    # forks every worker before it starts its own threads, so the fork is safe.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def render_letters(
    letters: Sequence[PlannedLetter], settings: PacketSettings, lock_fd: int | None = None
) -> Iterator[tuple[PlannedLetter, dict[str, Any]]]:
    """Render ``letters`` and yield each with its record as soon as it is written."""
    units = [Unit((letter,)) for letter in letters]
    for unit, records, _ in render_units(units, settings, lock_fd):
        yield from zip(unit.letters, records, strict=True)


def _batches(units: Sequence[Unit], size: int) -> list[tuple[int, int]]:
    """Consecutive runs of units holding about ``size`` letters each (a unit is never split)."""
    batches: list[tuple[int, int]] = []
    start = count = 0
    for index, unit in enumerate(units):
        count += max(1, len(unit.letters))
        if count >= size:
            batches.append((start, index + 1))
            start, count = index + 1, 0
    if start < len(units):
        batches.append((start, len(units)))
    return batches


def render_units(
    units: Sequence[Unit], settings: PacketSettings, lock_fd: int | None = None
) -> Iterator[tuple[Unit, list[dict[str, Any]], Page | None]]:
    """Render ``units`` and yield each with its records (and page) as soon as it is written.

    With ``settings.jobs`` > 1, units go to that many worker processes in batches (about 16
    text-only letters, 8 with PDF, or one unit with DOCX), a few batches at a time, so neither
    side holds more than a handful. Stopping the iteration (Ctrl-C, an error) cancels what
    has not started and waits for the letters being written, so no worker is left behind.
    """
    letters = sum(len(unit.letters) for unit in units)
    # never more workers than letters or than CPUs: --jobs 1000 would start 1,000 processes
    workers = min(settings.jobs, max(letters, len(units)), usable_cpus())
    if workers <= 1:
        factory = LetterFactory(*_factory_arguments(settings))
        for start, stop in _batches(units, batch_size(settings.formats)):
            batch = write_units(factory, units[start:stop], settings.out)
            for unit, (records, page) in zip(units[start:stop], batch, strict=True):
                yield unit, records, page  # as soon as its files are written
        return
    global _UNITS
    context = _pool_context()
    forked = context.get_start_method() == "fork"
    if forked:
        _UNITS = units  # set before the pool forks its workers (at the first submit)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(_factory_arguments(settings), lock_fd, os.getpid()),
    )
    size = batch_size(settings.formats)
    # a few batches per worker keep it busy; the last ones are smaller, so both end together
    size = max(1, min(size, letters // (workers * 4)))
    pending: dict[Future[list[Any]], tuple[int, int]] = {}
    batches = iter(_batches(units, size))
    window = workers * 4  # enough to keep every worker busy, small enough to stay lean
    died = WorkerDied(
        "a worker process stopped before finishing its letter (killed, or out of memory?); "
        "the letters written so far are kept: run the same command again to finish"
    )
    try:
        while True:
            for start, stop in batches:
                work: Any = (start, stop) if forked else list(units[start:stop])
                try:
                    future = executor.submit(_render_in_worker, work, settings.out)
                except BrokenProcessPool as err:  # a worker died since the last result
                    raise died from err
                pending[future] = (start, stop)
                if len(pending) >= window:
                    break
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                start, stop = pending.pop(future)
                try:
                    written = future.result()
                except BrokenProcessPool as err:
                    raise died from err
                except Exception as err:  # noqa: BLE001 - e.g. a record that cannot be pickled
                    error = describe(err)
                    written = [
                        ([_failed(p.job, error) for p in unit.letters], None)
                        for unit in units[start:stop]
                    ]
                for unit, (records, page) in zip(units[start:stop], written, strict=True):
                    yield unit, records, page
    except BaseException:
        # Ctrl-C or an error: do not wait for the letters being written (a large one takes
        # a while); their temporary files are removed by the next run
        _stop_workers(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        _UNITS = ()


def _failed(job: LetterJob, error: str) -> dict[str, Any]:
    return record_of(LetterResult(job, "failed", error=error))


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
