"""The campaign packet: every selected city's letters, plus the files that tie them together.

``build_packet`` writes, under the output folder, each city's folder exactly as ``advocacy
letter`` does, and at the top ``packet.pdf`` (every letter, with bookmarks), ``index.html``,
``manifest.csv``, ``manifest.json`` and ``README.txt``.

Incremental: each letter has a content hash covering everything it is made from (the template
folders, the official's record, the tie, the quotes, the sender, the date, the formats, the
style files and the tool's version). The hashes live in ``.advocacy-state.json`` in the output
folder; a letter whose hash is unchanged and whose files all exist is not rendered again, and
the combined files are rewritten only when one of their inputs changed.

Safe to interrupt: every file is written atomically, and each finished letter is appended to a
journal (``.advocacy-state.jsonl``) at once, so a run killed at any moment, even with SIGKILL,
leaves only complete files and the next run renders only what is missing. Ctrl-C stops the
workers and returns a report marked ``interrupted``.

Fast: letters are rendered by a pool of worker processes, each with one
:class:`~advocacy.generate.LetterFactory` (WeasyPrint, python-docx, fonts and stylesheets loaded
once per worker). ``packet.pdf`` is not laid out again: the letters' own PDFs are copied into
it object by object and streamed to disk, so memory stays flat however many letters there are.

Nothing here prints; the CLI (``advocacy.cli_packet``) reports what :class:`PacketReport` holds.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import gc
import hashlib
import io
import json
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    create_string_object,
)

from advocacy import __version__
from advocacy.dataset import City, DataSet
from advocacy.exceptions import AdvocacyError, OutputError, TemplateFailed, WorkerDied
from advocacy.formats import FILE_FORMATS, Style
from advocacy.generate import (
    LetterFactory,
    LetterJob,
    LetterResult,
    Skipped,
    plan_city,
    write_city_index,
)
from advocacy.models import Quote, Sender
from advocacy.output import atomic_stream, atomic_write, inside, remove_stale_temporaries
from advocacy.templating import TemplateInfo, shared_environment
from advocacy.text import name_key

STATE_NAME = ".advocacy-state.json"
JOURNAL_NAME = ".advocacy-state.jsonl"
LOCK_NAME = ".advocacy-packet.lock"
STATE_FORMAT = 1
#: the keys of ``PacketState.combined`` that are not a city folder
COMBINED_KEYS = ("packet", "packet_pages")
PACKET_PDF = "packet.pdf"
#: packet.pdf while it is being built; a name remove_stale_temporaries() cleans up.
PACKET_PDF_BUILDING = ".packet.pdf.building.tmp"
INDEX_HTML = "index.html"
MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
README_TXT = "README.txt"
INDEX_TEMPLATE = "_packet-index.html.j2"
README_TEMPLATE = "_packet-readme.txt.j2"
NO_OFFICIALS = "no officials on record"
#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MANIFEST_COLUMNS = (
    "city", "official", "role", "title", "district", "email", "template", "subject", "files",
    "mailto_length", "warnings", "status", "error",
)  # fmt: skip


# -- what to build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketSettings:
    """Everything a packet run depends on besides the data set."""

    out: Path
    folders: tuple[Path, ...]
    formats: tuple[str, ...]
    sender: Sender
    date: dt.date
    quotes: tuple[Quote, ...]
    style: Style
    extras: dict[str, Any] = field(default_factory=dict)
    jobs: int = 1
    force: bool = False
    duplex: bool = False


@dataclass(frozen=True)
class PlannedLetter:
    """One letter of the packet with its content hash; ``key`` is ``city-slug/stem``."""

    job: LetterJob
    digest: str

    @property
    def key(self) -> str:
        return f"{self.job.folder}/{self.job.stem}"


@dataclass
class CityPlan:
    """A city of the packet: its letters and the officials who get none."""

    city: City
    letters: list[PlannedLetter]
    skipped: list[Skipped]
    officials: int  # officials on record (all roles), before choosing who gets letters


@dataclass
class PacketPlan:
    cities: list[CityPlan]
    inputs_digest: str

    @property
    def letters(self) -> Iterator[PlannedLetter]:
        for city in self.cities:
            yield from city.letters

    @property
    def letter_count(self) -> int:
        return sum(len(c.letters) for c in self.cities)


def select_cities(
    data: DataSet, names: Sequence[str] = (), statuses: Sequence[str] = ()
) -> list[City]:
    """The cities of the packet, in packet order.

    With ``names``, those cities in the order given; without, every city whose tie is not
    terminated, alphabetically. ``statuses`` keeps only ties with one of those statuses.
    """
    if names:
        chosen: list[City] = []
        for name in names:
            city = data.find_city(name)
            if city not in chosen:
                chosen.append(city)
    else:
        chosen = sorted(
            (c for c in data.cities() if statuses or c.tie.status != "terminated"),
            key=lambda c: c.label.casefold(),
        )
    if statuses:
        chosen = [c for c in chosen if c.tie.status in statuses]
    return chosen


def plan_packet(
    data: DataSet,
    cities: Sequence[City],
    settings: PacketSettings,
    *,
    to: str = "all",
    template_name: str | None = None,
) -> PacketPlan:
    """Choose the letters of every city and compute each letter's content hash."""
    folders = list(settings.folders)
    inputs = inputs_digest(settings)
    on_record = Counter((name_key(o.city), o.state) for o in data.officials)
    plans = []
    templates: dict[str, TemplateInfo] = {}  # looked up once for all cities
    for city in cities:
        jobs, skipped = plan_city(
            data, city, folders, to=to, template_name=template_name, templates=templates
        )
        letters = [PlannedLetter(job, letter_digest(inputs, job)) for job in jobs]
        count = on_record[(name_key(city.name), city.state)]
        plans.append(CityPlan(city, letters, skipped, count))
    return PacketPlan(plans, inputs)


# -- content hashes -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-able stand-in for values json cannot encode (dataclasses, paths, dates)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def template_files_digest(folders: Iterable[Path]) -> str:
    """Hash every file in the template folders: a template, whatever it extends or includes,
    the layout and the stylesheet all live there, so any edit changes this hash."""
    hasher = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        hasher.update(f"folder {folder.resolve()}\n".encode())
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(p.startswith(".") or p == "__pycache__" for p in relative.parts):
                continue
            if path.is_file():
                hasher.update(f"file {relative.as_posix()} {_file_digest(path)}\n".encode())
    return hasher.hexdigest()


def inputs_digest(settings: PacketSettings) -> str:
    """Hash what every letter shares: templates, style, sender, date, quotes, formats, version."""
    style = settings.style
    return _digest(
        __version__,
        template_files_digest(settings.folders),
        {
            "stylesheet": _file_digest(style.stylesheet),
            "reference_docx": _file_digest(style.reference_docx),
            "letterhead": style.letterhead,
        },
        settings.sender.to_dict(),
        settings.date.isoformat(),
        [q.to_dict() for q in settings.quotes],
        list(settings.formats),
        settings.extras,
    )


def letter_digest(inputs: str, job: LetterJob) -> str:
    """Hash one letter: the shared inputs, the official's record, the ties and the template."""
    return _digest(
        inputs,
        job.official.to_dict(),
        [tie.to_dict() for tie in job.city.ties],
        job.city.label,
        job.template.to_dict(),
        job.stem,
    )


# -- the state file: which letter was made from what ------------------------------------------


class PacketState:
    """Per-letter hashes and results from earlier runs, read from and written to ``out``.

    ``.advocacy-state.json`` is a snapshot written atomically at the end of a run; while a run
    goes, each finished letter is appended to ``.advocacy-state.jsonl`` (one JSON object a
    line), so a killed run loses nothing it finished. A torn last line is ignored.
    """

    def __init__(self, out: Path):
        self.out = out
        self.letters: dict[str, dict[str, Any]] = {}
        self.combined: dict[str, str] = {}
        self._journal: IO[str] | None = None

    @property
    def path(self) -> Path:
        return self.out / STATE_NAME

    @property
    def journal_path(self) -> Path:
        return self.out / JOURNAL_NAME

    @classmethod
    def load(cls, out: Path) -> PacketState:
        state = cls(out)
        try:
            snapshot = json.loads(state.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            snapshot = {}
        if isinstance(snapshot, dict) and snapshot.get("format") == STATE_FORMAT:
            state.letters = dict(snapshot.get("letters") or {})
            state.combined = dict(snapshot.get("combined") or {})
        try:
            lines = state.journal_path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        for line in lines:
            try:
                entry = json.loads(line)
                state.letters[entry["key"]] = {"hash": entry["hash"], "record": entry["record"]}
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a killed run
        return state

    def up_to_date(self, letter: PlannedLetter) -> dict[str, Any] | None:
        """The stored record of ``letter`` if it needs no rendering, else None."""
        entry = self.letters.get(letter.key)
        if not entry or entry.get("hash") != letter.digest:
            return None
        record = entry.get("record") or {}
        if record.get("status") != "ok":
            return None
        sizes = record.get("sizes") or {}
        for name, relative in (record.get("files") or {}).items():
            try:
                info = (self.out / relative).stat()
            except OSError:
                return None
            # a file cut short (by a power cut: letters are not fsynced) or changed by hand
            if not S_ISREG(info.st_mode) or info.st_size != sizes.get(name, info.st_size):
                return None
        return record

    def record(self, letter: PlannedLetter, record: dict[str, Any]) -> None:
        """Remember a finished letter now (journal line), and drop files it no longer has."""
        old = (self.letters.get(letter.key) or {}).get("record") or {}
        keep = set((record.get("files") or {}).values())
        for relative in (old.get("files") or {}).values():
            if relative not in keep:
                self.remove(relative)
        self.letters[letter.key] = {"hash": letter.digest, "record": record}
        if self._journal is None:
            self._journal = self.journal_path.open("a", encoding="utf-8")
        entry = {"key": letter.key, "hash": letter.digest, "record": record}
        self._journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._journal.flush()

    def forget(self, key: str) -> None:
        """Drop a letter that is no longer planned, and the files it made."""
        entry = self.letters.pop(key, None) or {}
        for relative in ((entry.get("record") or {}).get("files") or {}).values():
            self.remove(relative)

    def remove(self, relative: str) -> None:
        """Delete a file this packet wrote (``relative`` to the output folder), if it is there."""
        with contextlib.suppress(AdvocacyError, OSError):
            inside(self.out, relative).unlink(missing_ok=True)

    def save(self) -> None:
        """Write the snapshot atomically, then drop the journal it now contains."""
        snapshot = {
            "format": STATE_FORMAT,
            "advocacy_version": __version__,
            "letters": dict(sorted(self.letters.items())),
            "combined": self.combined,
        }
        data = json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n"
        atomic_write(self.path, data.encode("utf-8"))
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.journal_path.unlink(missing_ok=True)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[int]:
    """Hold a lock on ``out`` so two packet runs never write the same folder at once.

    The kernel releases the lock when the process ends, however it ends.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = (out / LOCK_NAME).open("a")
    except OSError as err:
        raise OutputError(f"cannot write to {out}: {err.strerror or err}") from err
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            raise AdvocacyError(
                f"another `advocacy packet` run is writing to {out}; wait for it to finish"
            ) from err
        try:
            yield handle.fileno()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- rendering in worker processes --------------------------------------------------------------


def usable_cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


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


def _render_in_worker(job: LetterJob, out: Path) -> dict[str, Any]:
    assert _FACTORY is not None, "worker started without its LetterFactory"
    return _write_letter(_FACTORY, job, out)


def _write_letter(factory: LetterFactory, job: LetterJob, out: Path) -> dict[str, Any]:
    try:
        result = factory.write(job, out)
    except Exception as err:  # noqa: BLE001 - one failing letter must not stop the packet
        result = LetterResult(job, status="failed", error=_describe(err))
    return _record(result)


def _describe(err: BaseException) -> str:
    return str(err) if isinstance(err, AdvocacyError) else f"{type(err).__name__}: {err}"


def _record(result: LetterResult) -> dict[str, Any]:
    """What the state, index and manifests keep of a letter (no bytes, nothing of the job)."""
    return {
        "status": result.status,
        "files": dict(result.files),
        "sizes": dict(result.sizes),
        "subject": result.subject,
        "mailto": result.mailto,
        "mailto_length": result.mailto_length,
        "warnings": list(result.warnings),
        "error": result.error,
    }


def _result(job: LetterJob, record: dict[str, Any]) -> LetterResult:
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
    """Render ``letters`` and yield each with its record as soon as it is written.

    With ``settings.jobs`` > 1, letters go to that many worker processes, a few at a time, so
    neither side holds more than a handful. Stopping the iteration (Ctrl-C, an error) cancels
    what has not started and waits for the letters being written, so no worker is left behind.
    """
    workers = min(settings.jobs, len(letters))
    if workers <= 1:
        factory = LetterFactory(*_factory_arguments(settings))
        for letter in letters:
            yield letter, _write_letter(factory, letter.job, settings.out)
        return
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(),
        initializer=_start_worker,
        initargs=(_factory_arguments(settings), lock_fd, os.getpid()),
    )
    pending: dict[Future[dict[str, Any]], PlannedLetter] = {}
    queue = iter(letters)
    window = workers * 4  # enough to keep every worker busy, small enough to stay lean
    died = WorkerDied(
        "a worker process stopped before finishing its letter (killed, or out of memory?); "
        "the letters written so far are kept: run the same command again to finish"
    )
    try:
        while True:
            for letter in queue:
                try:
                    future = executor.submit(_render_in_worker, letter.job, settings.out)
                except BrokenProcessPool as err:  # a worker died since the last result
                    raise died from err
                pending[future] = letter
                if len(pending) >= window:
                    break
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                letter = pending.pop(future)
                try:
                    record = future.result()
                except BrokenProcessPool as err:
                    raise died from err
                except Exception as err:  # noqa: BLE001 - e.g. a record that cannot be pickled
                    record = _record(LetterResult(letter.job, "failed", error=_describe(err)))
                yield letter, record
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


# -- packet.pdf: the letters' PDFs copied into one file, streamed ----------------------------


_NAMES: dict[str, bytes] = {}


def _written(value: Any) -> bytes:
    """A pypdf object as it is written in a PDF file."""
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


@dataclass
class Bookmark:
    title: str
    page: int  # object number of the page it opens
    children: list[Bookmark] = field(default_factory=list)


class PdfConcatenator:
    """Write a PDF made of other PDFs' pages, one source file at a time, to a stream.

    Each source is parsed with pypdf; its pages and everything they use (content streams,
    fonts, images, link annotations) are written out at once with new object numbers, and the
    source is dropped. Only object offsets and page numbers stay in memory. Streams are copied
    as they are, still compressed. Pages are grouped under one page-tree node per section
    (a city), and the outline (bookmarks) is written at the end.
    """

    HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.next_number = 3  # 1: catalog, 2: root of the page tree
        self.sections: list[tuple[int, list[int]]] = []  # (page-tree node, its pages)
        self.outline: list[Bookmark] = []
        self.pages = 0
        self._write(self.HEADER)

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.position += len(data)

    def _allocate(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def start_section(self) -> None:
        self.sections.append((self._allocate(), []))

    def add(self, source: Path | bytes) -> list[int]:
        """Append every page of ``source``; return the object numbers of the new pages."""
        if not self.sections:
            self.start_section()
        parent, kids = self.sections[-1]
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        reader = PdfReader(io.BytesIO(data), strict=False)
        numbers: dict[tuple[int, int], int] = {}
        queue: list[tuple[int, IndirectObject]] = []

        def renumber(reference: IndirectObject) -> int:
            key = (reference.idnum, reference.generation)
            if key not in numbers:
                target = reference.get_object()
                kind = target.get("/Type") if isinstance(target, DictionaryObject) else None
                if kind == "/Pages":
                    numbers[key] = parent
                elif kind == "/Catalog":
                    numbers[key] = 1
                else:
                    numbers[key] = self._allocate()
                    queue.append((numbers[key], reference))
            return numbers[key]

        page_numbers = []
        for page in reader.pages:
            reference = page.indirect_reference
            number = self._allocate()
            if reference is not None:
                numbers[(reference.idnum, reference.generation)] = number
            page_numbers.append((number, page))
        for number, page in page_numbers:
            # pypdf has already copied inherited attributes (/Resources, /MediaBox...) onto
            # each page; the page's parent becomes this section's node of the page tree.
            items = [
                self._leaf(key) + b" " + self._serialize(value, renumber)
                for key, value in page.items()
                if key not in ("/Parent", "/StructParents")
            ]
            items.append(b"/Parent %d 0 R" % parent)
            self._object(number, b"<<" + b" ".join(items) + b">>")
            kids.append(number)
        while queue:
            number, reference = queue.pop()
            self._object(number, self._serialize(reference.get_object(), renumber))
        self.pages += len(page_numbers)
        return [number for number, _ in page_numbers]

    def add_blank_page(self, like: int | None = None) -> int:
        """Append an empty page (US Letter), e.g. so the next letter starts on a new sheet."""
        if not self.sections:
            self.start_section()
        parent, kids = self.sections[-1]
        number = self._allocate()
        self._object(
            number,
            b"<</Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources <<>>>>" % parent,
        )
        kids.append(number)
        self.pages += 1
        return number

    def _serialize(self, value: Any, renumber: Callable[[Any], int]) -> bytes:
        if isinstance(value, IndirectObject):
            return b"%d 0 R" % renumber(value)
        if isinstance(value, DictionaryObject):
            items = []
            for key, item in value.items():
                if isinstance(value, StreamObject) and key == "/Length":
                    continue
                items.append(self._leaf(key) + b" " + self._serialize(item, renumber))
            if isinstance(value, StreamObject):
                # pypdf keeps a stream's bytes as stored (still compressed) in ``_data``.
                raw = value._data  # noqa: SLF001
                items.append(b"/Length %d" % len(raw))
                return b"<<" + b" ".join(items) + b">>\nstream\n" + raw + b"\nendstream"
            return b"<<" + b" ".join(items) + b">>"
        if isinstance(value, ArrayObject):
            return b"[" + b" ".join(self._serialize(item, renumber) for item in value) + b"]"
        return self._leaf(value)

    @staticmethod
    def _leaf(value: Any) -> bytes:
        kind = type(value)
        if kind is NumberObject:
            return b"%d" % value
        if kind is NameObject:  # few distinct names, used over and over
            cached = _NAMES.get(value)
            if cached is None:
                cached = _NAMES[value] = _written(value)
            return cached
        return _written(value)

    def bookmark(self, title: str, page: int, parent: Bookmark | None = None) -> Bookmark:
        mark = Bookmark(title, page)
        (parent.children if parent else self.outline).append(mark)
        return mark

    def _text(self, text: str) -> bytes:
        return self._leaf(create_string_object(text))

    def _write_outline(self, marks: list[Bookmark], parent: int) -> tuple[int, int, int]:
        """Write ``marks`` under ``parent``; return (first, last, count of visible items)."""
        numbers = [self._allocate() for _ in marks]
        count = len(marks)
        for index, (mark, number) in enumerate(zip(marks, numbers, strict=True)):
            parts = [
                b"/Title " + self._text(mark.title),
                b"/Parent %d 0 R" % parent,
                b"/Dest [%d 0 R /XYZ null null null]" % mark.page,
            ]
            if index:
                parts.append(b"/Prev %d 0 R" % numbers[index - 1])
            if index + 1 < len(numbers):
                parts.append(b"/Next %d 0 R" % numbers[index + 1])
            if mark.children:
                first, last, _ = self._write_outline(mark.children, number)
                # a negative count: the item starts closed (city -> letters stays tidy)
                parts.append(
                    b"/First %d 0 R /Last %d 0 R /Count -%d" % (first, last, len(mark.children))
                )
            self._object(number, b"<<" + b" ".join(parts) + b">>")
        return numbers[0], numbers[-1], count

    def finish(self, info: dict[str, str], identifier: bytes) -> None:
        """Write the page tree, the outline, the catalog, the cross-reference table."""
        for node, kids in self.sections:
            refs = b" ".join(b"%d 0 R" % kid for kid in kids)
            self._object(
                node, b"<</Type /Pages /Parent 2 0 R /Kids [%s] /Count %d>>" % (refs, len(kids))
            )
        refs = b" ".join(b"%d 0 R" % node for node, _ in self.sections)
        self._object(2, b"<</Type /Pages /Kids [%s] /Count %d>>" % (refs, self.pages))
        catalog = [b"/Type /Catalog", b"/Pages 2 0 R"]
        if self.outline:
            root = self._allocate()
            first, last, count = self._write_outline(self.outline, root)
            self._object(
                root,
                b"<</Type /Outlines /First %d 0 R /Last %d 0 R /Count %d>>" % (first, last, count),
            )
            catalog += [b"/Outlines %d 0 R" % root, b"/PageMode /UseOutlines"]
        self._object(1, b"<<" + b" ".join(catalog) + b">>")
        info_number = self._allocate()
        entries = b" ".join(b"/" + key.encode() + b" " + self._text(v) for key, v in info.items())
        self._object(info_number, b"<<" + entries + b">>")
        start = self.position
        size = self.next_number
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for number in range(1, size):
            lines.append(b"%010d 00000 n \n" % self.offsets[number])
        hexid = identifier.hex().encode()
        lines.append(
            b"trailer\n<</Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>]>>\n"
            % (size, info_number, hexid, hexid)
        )
        lines.append(b"startxref\n%d\n%%%%EOF\n" % start)
        self._write(b"".join(lines))


def write_packet_pdf(
    path: Path,
    out: Path,
    sections: Iterable[tuple[str, Iterable[tuple[str, str]]]],
    *,
    duplex: bool,
    info: dict[str, str],
    identifier: bytes,
) -> int:
    """Write ``packet.pdf`` from the letters' PDFs; return its page count.

    ``sections`` is ``[(city title, [(letter title, pdf path relative to out), ...]), ...]``;
    both levels may be lazy (the packet feeds letters in as the workers finish them). With
    ``duplex``, a letter with an odd number of pages is followed by a blank page, so every
    letter starts on a new sheet when printed on both sides.
    """
    with atomic_stream(path) as stream:
        writer = PdfConcatenator(stream)
        odd = False  # the letter before has an odd number of pages
        for city_title, letters in sections:
            city_mark: Bookmark | None = None
            for letter_title, relative in letters:
                if duplex and odd:
                    writer.add_blank_page()
                if city_mark is None:
                    writer.start_section()
                try:
                    pages = writer.add(inside(out, relative))
                except Exception as err:  # noqa: BLE001 - pypdf raises many kinds
                    raise AdvocacyError(f"{relative}: cannot read this PDF: {err}") from err
                odd = len(pages) % 2 == 1
                if city_mark is None:
                    city_mark = writer.bookmark(city_title, pages[0])
                writer.bookmark(letter_title, pages[0], city_mark)
        writer.finish(info, identifier)
        return writer.pages


def packet_pdf_options(plan: PacketPlan, settings: PacketSettings) -> dict[str, Any]:
    """packet.pdf's metadata and file identifier: the same inputs give the same bytes."""
    identifier = _digest(plan.inputs_digest, [p.digest for p in plan.letters], settings.duplex)
    return {
        "duplex": settings.duplex,
        "info": {
            "Title": f"Sister-city campaign letters, {settings.date.isoformat()}",
            "Producer": f"advocacy {__version__}",
            "CreationDate": "D:" + settings.date.strftime("%Y%m%d") + "000000Z",
        },
        "identifier": bytes.fromhex(identifier[:32]),
    }


class PacketPdfBuilder:
    """Build packet.pdf in a thread of the parent while the workers render.

    The parent mostly waits for its workers: copying each finished letter into the packet
    meanwhile, in city order, takes that work off the end of the run. The file is built under
    a temporary name and becomes packet.pdf only when the run is complete (:meth:`install`).
    Start it after the workers exist (after the first result): forking a process while a
    thread runs is not safe.
    """

    def __init__(self, plan: PacketPlan, settings: PacketSettings, records: dict[str, Any]):
        self.plan = plan
        self.settings = settings
        self.records = records
        self.path = settings.out / PACKET_PDF_BUILDING
        self.pages: int | None = None
        self.error: BaseException | None = None
        self._arrived = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def arrived(self, key: str, record: dict[str, Any]) -> None:
        """Hand over a finished letter (starting the builder at the first one)."""
        with self._arrived:
            self.records[key] = record
            self._arrived.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="packet.pdf", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """No more letters will arrive: let the builder finish, or give up, and stop."""
        with self._arrived:
            self._closed = True
            self._arrived.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _wait(self, key: str) -> dict[str, Any] | None:
        with self._arrived:
            while key not in self.records and not self._closed:
                self._arrived.wait()
            return self.records.get(key)

    def _letters(self, city_plan: CityPlan) -> Iterator[tuple[str, str]]:
        for planned in city_plan.letters:
            record = self._wait(planned.key)
            if record is None:
                raise _Abandoned
            result = _result(planned.job, record)
            if result.status == "ok" and "pdf" in result.files:
                yield _letter_title(planned.job), result.files["pdf"]

    def _run(self) -> None:
        sections = ((c.city.label, self._letters(c)) for c in self.plan.cities)
        options = packet_pdf_options(self.plan, self.settings)
        try:
            self.pages = write_packet_pdf(self.path, self.settings.out, sections, **options)
        except _Abandoned:
            self.pages = None
        except BaseException as err:  # noqa: BLE001 - handed to the main thread by install()
            self.error = err

    def install(self) -> int | None:
        """Move the finished file into place as packet.pdf; return its page count."""
        if self.error is not None:
            raise self.error
        if self.pages is None:
            return None
        os.replace(self.path, self.settings.out / PACKET_PDF)
        return self.pages

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Abandoned(Exception):
    """The run stopped before every letter arrived: the packet.pdf being built is dropped."""


# -- manifests and index ------------------------------------------------------------------------


def csv_safe(value: Any) -> Any:
    """Neutralise a spreadsheet formula: a text cell starting with = + - @, tab or CR gets a
    leading apostrophe, so a spreadsheet shows it as text (OWASP CSV injection guidance)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def manifest_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    """The manifest as CSV: UTF-8 with a byte-order mark (Excel), every cell quoted, safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    for row in rows:
        cells = dict(row)
        cells["files"] = " ".join(row["files"].values())
        cells["warnings"] = "; ".join(row["warnings"])
        writer.writerow([csv_safe(cells.get(column)) for column in MANIFEST_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _manifest_row(city: City, result: LetterResult) -> dict[str, Any]:
    row = result.to_dict()
    return {
        "city": city.label,
        "city_folder": city.slug,
        **{key: row[key] for key in row if key != "city"},
    }


def _tie_dict(city: City) -> dict[str, Any]:
    tie = city.tie
    source = tie.source or ""
    return {
        "russian_city": tie.russian_city,
        "status": tie.status,
        "status_date": tie.status_date,
        "status_note": tie.status_note,
        "source": source,
        "source_url": source if source.lower().startswith(("https://", "http://")) else "",
        "as_of": tie.as_of,
    }


def _letter_title(job: LetterJob) -> str:
    official = job.official
    where = f", District {official.district}" if official.district else ""
    return f"{official.name} ({official.display_title}{where})"


# -- the run ------------------------------------------------------------------------------------


@dataclass
class PacketReport:
    """What a packet run did, for the CLI to summarise."""

    out: Path
    cities: int = 0
    letters: int = 0
    rendered: int = 0
    up_to_date: int = 0
    pending: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, error
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, reason
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, text
    without_officials: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # format -> letters that have it
    combined_written: list[str] = field(default_factory=list)
    removed_cities: list[str] = field(default_factory=list)  # folders of cities left out now
    pages: int | None = None
    elapsed: float = 0.0
    interrupted: bool = False
    error: str | None = None

    @property
    def all_up_to_date(self) -> bool:
        return (
            self.rendered == 0
            and not self.combined_written
            and not self.pending
            and not self.removed_cities
        )

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.error else 0


def build_packet(
    plan: PacketPlan,
    settings: PacketSettings,
    *,
    progress: Callable[[PlannedLetter, dict[str, Any]], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PacketReport:
    """Render what is out of date, then write the combined files; return what happened.

    ``on_start(n)`` is called with the number of letters to render, ``progress`` after each.
    Ctrl-C (KeyboardInterrupt) stops the run cleanly: the report says ``interrupted``.
    """
    started = clock()
    out = settings.out
    report = PacketReport(out, cities=len(plan.cities), letters=plan.letter_count)
    with _exclusive(out) as lock_fd:
        remove_stale_temporaries(out)
        state = PacketState.load(out)
        records: dict[str, dict[str, Any]] = {}
        todo: list[PlannedLetter] = []
        for letter in plan.letters:
            cached = None if settings.force else state.up_to_date(letter)
            if cached is None:
                todo.append(letter)
            else:
                records[letter.key] = cached
        report.up_to_date = len(records)
        report.removed_cities = _forget_unplanned(state, plan)
        if on_start is not None:
            on_start(len(todo))
        builder = None
        if todo and "pdf" in settings.formats:
            builder = PacketPdfBuilder(plan, settings, records)
        try:
            try:
                for letter, record in render_letters(todo, settings, lock_fd):
                    if builder is not None:
                        builder.arrived(letter.key, record)
                    else:
                        records[letter.key] = record
                    state.record(letter, record)
                    report.rendered += 1
                    if progress is not None:
                        progress(letter, record)
            except KeyboardInterrupt:
                report.interrupted = True
            except WorkerDied as err:
                report.error = str(err)
            report.pending = report.letters - len(records)
            if builder is not None:
                builder.close()
            _write_combined(plan, settings, state, records, report, builder)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            if builder is not None:
                builder.close()
                builder.discard()
            state.save()
    report.elapsed = clock() - started
    return report


def _forget_unplanned(state: PacketState, plan: PacketPlan) -> list[str]:
    """Remove the letters (and their files) this packet no longer has; return dropped cities.

    A letter of one of the packet's cities that is no longer planned (``--to mayor`` after
    ``--to all``) goes, and so does a city left out of this run (``--city`` or ``--status``
    changed): its letters, its index and manifest, and its folder when nothing else is in it.
    Only files a packet run wrote and recorded are removed.
    """
    planned = {letter.key for letter in plan.letters}
    folders = {city.city.slug for city in plan.cities}
    gone: set[str] = set()
    for key in [k for k in state.letters if k not in planned]:
        state.forget(key)
        gone.add(key.split("/", 1)[0])
    # a city folder's index is recorded in ``combined`` under the folder's name
    dropped = sorted((gone | set(state.combined)) - folders - set(COMBINED_KEYS))
    for folder in dropped:
        state.combined.pop(folder, None)
        for name in (INDEX_HTML, MANIFEST_JSON):
            state.remove(f"{folder}/{name}")
        with contextlib.suppress(OSError, AdvocacyError):
            inside(state.out, folder).rmdir()  # only when empty: nothing of the user's is lost
    return dropped


PENDING = {"status": "pending", "error": "not written yet: the run stopped before this letter"}


def _write_combined(
    plan: PacketPlan,
    settings: PacketSettings,
    state: PacketState,
    records: dict[str, dict[str, Any]],
    report: PacketReport,
    builder: PacketPdfBuilder | None = None,
) -> None:
    """Write each city's index and manifest, then the packet's own files, where they changed.

    ``builder``, if given, has built packet.pdf while the letters were rendered.
    """
    out = settings.out
    folders = list(settings.folders)
    complete = not report.pending and not report.interrupted and not report.error
    rows: list[dict[str, Any]] = []
    cities: list[dict[str, Any]] = []
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for city_plan in plan.cities:
        city = city_plan.city
        results = [_result(p.job, records.get(p.key, PENDING)) for p in city_plan.letters]
        city_rows = [_manifest_row(city, r) for r in results]
        skipped = [
            {"official": s.official.name, "role": s.official.role, "reason": s.reason}
            for s in city_plan.skipped
        ]
        digests = [p.digest for p in city_plan.letters]
        city_hash = _digest(
            plan.inputs_digest, city.label, _tie_dict(city), city_rows, skipped, digests
        )
        city_files = [f"{city.slug}/{INDEX_HTML}", f"{city.slug}/{MANIFEST_JSON}"]
        has_folder = bool(city_plan.letters or city_plan.skipped)
        changed = state.combined.get(city.slug) != city_hash or not _all_exist(out, city_files)
        if has_folder and changed:
            state.combined.pop(city.slug, None)
            write_city_index(
                out, city, results, city_plan.skipped, folders, settings.date, settings.formats
            )
            state.combined[city.slug] = city_hash
            report.combined_written.append(city.slug)
        for result in results:
            name = result.job.official.name
            if result.status == "failed":
                report.failed.append((city.label, name, result.error or "failed"))
            report.warnings.extend((city.label, name, w) for w in result.warnings)
            for format_name in result.files:
                report.files[format_name] = report.files.get(format_name, 0) + 1
            if result.mailto:
                report.files["mailto"] = report.files.get("mailto", 0) + 1
        report.skipped.extend((city.label, s.official.name, s.reason) for s in city_plan.skipped)
        if not city_plan.officials:
            report.without_officials.append(city.label)
        rows.extend(city_rows)
        cities.append(
            {
                "city": city.label,
                "folder": city.slug,
                "tie": _tie_dict(city),
                "letters": city_rows,
                "skipped": skipped,
                "officials_on_record": city_plan.officials,
                "note": NO_OFFICIALS if not city_plan.officials else "",
            }
        )
        pdfs = [
            (_letter_title(r.job), r.files["pdf"])
            for r in results
            if r.status == "ok" and "pdf" in r.files
        ]
        sections.append((city.label, pdfs))

    totals = {
        "cities": len(cities),
        "letters": len(rows),
        "ok": sum(1 for r in rows if r["status"] == "ok"),
        "failed": sum(1 for r in rows if r["status"] == "failed"),
        "pending": sum(1 for r in rows if r["status"] == "pending"),
        "skipped": len(report.skipped),
        "files": dict(report.files),
        "without_officials": len(report.without_officials),
    }
    combined_hash = _digest(
        plan.inputs_digest, cities, [p.digest for p in plan.letters], settings.duplex, complete
    )
    wants_pdf = "pdf" in settings.formats and any(letters for _, letters in sections)
    names = [INDEX_HTML, MANIFEST_CSV, MANIFEST_JSON, README_TXT]
    if wants_pdf and complete:
        names.append(PACKET_PDF)
    if state.combined.get("packet") == combined_hash and _all_exist(out, names):
        if wants_pdf and complete:
            report.pages = state.combined.get("packet_pages")  # type: ignore[assignment]
        return
    state.combined.pop("packet", None)
    manifest = {
        "advocacy_version": __version__,
        "date": settings.date.isoformat(),
        "formats": list(settings.formats),
        "duplex": settings.duplex,
        "complete": complete,
        "totals": totals,
        "cities": [{key: value for key, value in c.items() if key != "letters"} for c in cities],
        "letters": rows,
    }
    atomic_write(
        out / MANIFEST_JSON,
        (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    )
    atomic_write(out / MANIFEST_CSV, manifest_csv(rows))
    if not wants_pdf and state.combined.pop("packet_pages", None) is not None:
        (out / PACKET_PDF).unlink(missing_ok=True)  # ours, from a run that had PDFs
    if wants_pdf and complete:
        built = builder.install() if builder is not None else None
        if built is None:
            options = packet_pdf_options(plan, settings)
            built = write_packet_pdf(out / PACKET_PDF, out, sections, **options)
        report.pages = built
        state.combined["packet_pages"] = report.pages  # type: ignore[assignment]
    context = {
        "cities": cities,
        "totals": totals,
        "formats": [f for f in settings.formats if f in FILE_FORMATS],
        "mailto": "mailto" in settings.formats,
        "date": settings.date,
        "version": __version__,
        "duplex": settings.duplex,
        "packet_pdf": PACKET_PDF if wants_pdf and complete else None,
        "pages": report.pages,
        "complete": complete,
        "sender": settings.sender,
    }
    _render_template(folders, INDEX_TEMPLATE, context, out / INDEX_HTML, html=True)
    _render_template(folders, README_TEMPLATE, context, out / README_TXT, html=False)
    report.combined_written += names
    if complete:
        state.combined["packet"] = combined_hash


def _all_exist(out: Path, names: Iterable[str]) -> bool:
    return all((out / name).is_file() for name in names)


def _render_template(
    folders: list[Path], name: str, context: dict[str, Any], path: Path, *, html: bool
) -> None:
    import jinja2

    from advocacy.templating import template_error

    try:
        text = shared_environment(tuple(folders), html=html).get_template(name).render(context)
    except jinja2.TemplateError as err:
        raise template_error(err, name) from err
    except TemplateFailed:
        raise
    atomic_write(path, text.encode("utf-8"))
