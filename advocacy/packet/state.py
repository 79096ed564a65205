"""The packet's state file (which letter was made from what) and the lock on its folder."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from advocacy import __version__
from advocacy.exceptions import AdvocacyError, DataError, OutputError
from advocacy.formats import FILE_FORMATS, suffix
from advocacy.inputs import read_input
from advocacy.jsonfile import compact, encoded_lines
from advocacy.output import atomic_stream, inside
from advocacy.packet.plan import PlannedLetter

STATE_NAME = ".advocacy-state.json"
JOURNAL_NAME = ".advocacy-state.jsonl"
LOCK_NAME = ".advocacy-packet.lock"
STATE_FORMAT = 1
#: the keys of ``PacketState.combined`` that are not a city folder
COMBINED_KEYS = ("packet", "packet_pages", "mailing", "bundles")


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
        self._journal: BinaryIO | None = None
        #: each letter recorded by this run as its journal line has it (compact JSON of its
        #: entry, UTF-8): the snapshot reuses it instead of encoding 25,000 entries again
        self._encoded: dict[str, bytes] = {}
        #: where a corrupt state file was moved to, if it was
        self.set_aside: Path | None = None
        #: what the snapshot on disk holds, when it is all there is (no journal): a run that
        #: changes nothing need not write it again (25,000 letters: ~1 s of a rerun)
        self._on_disk: tuple[dict[str, Any], dict[str, str]] | None = None

    @property
    def path(self) -> Path:
        return self.out / STATE_NAME

    @property
    def _base(self) -> str:
        return str(self.out)

    def file_sizes(self) -> dict[str, int]:
        """The letters' files with the sizes recorded when they were written (and checked by
        :meth:`up_to_date` since)."""
        sizes: dict[str, int] = {}
        for entry in self.letters.values():
            record = entry.get("record") or {}
            recorded = record.get("sizes") or {}
            for name, relative in (record.get("files") or {}).items():
                size = recorded.get(name)
                if isinstance(size, int):
                    sizes[relative] = size
        return sizes

    @property
    def journal_path(self) -> Path:
        return self.out / JOURNAL_NAME

    @classmethod
    def load(cls, out: Path) -> PacketState:
        """Read the snapshot and the journal; a corrupt snapshot is set aside, never trusted.

        Every entry is checked (types, and file names that are this letter's own), so a
        damaged or edited state file can neither crash a run nor make one delete a file the
        packet did not write. The letters it described are then rendered again.
        """
        state = cls(out)
        read_whole = False  # the snapshot was read, all of it valid
        text = _read_own(state.path)
        if text is not None:
            letters, combined = _valid_snapshot(text)
            if letters is None or combined is None:
                state.set_aside = _set_aside(state.path)
            else:
                state.letters, state.combined = letters, combined
                read_whole = True
        lines = (_read_own(state.journal_path) or "").splitlines()
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed run
            if isinstance(entry, dict) and _valid_entry(entry.get("key"), entry):
                state.letters[entry["key"]] = {"hash": entry["hash"], "record": entry["record"]}
        if read_whole and not lines and not state.journal_path.exists():
            state._on_disk = (dict(state.letters), dict(state.combined))
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
        base = self._base
        for name, relative in (record.get("files") or {}).items():
            try:
                info = os.stat(f"{base}/{relative}")  # a str path: pathlib costs 3x the stat
            except OSError:
                return None
            # a file cut short (by a power cut: letters are not fsynced) or changed by hand
            if not S_ISREG(info.st_mode) or info.st_size != sizes.get(name, info.st_size):
                return None
        return record

    def record(self, letter: PlannedLetter, record: dict[str, Any], flush: bool = True) -> None:
        """Remember a finished letter now (journal line), and drop files it no longer has.

        A failed letter drops nothing: it lists the files of its last good run, still there.
        ``flush=False`` leaves the line in the buffer until :meth:`flush` (the letters of one
        supporter, written together): a run killed before then renders them again.
        """
        old = (self.letters.get(letter.key) or {}).get("record") or {}
        if record.get("status") != "ok":
            old = {}
        keep = set((record.get("files") or {}).values())
        for relative in (old.get("files") or {}).values():
            if relative not in keep:
                self.remove(relative)
        self.letters[letter.key] = entry = {"hash": letter.digest, "record": record}
        if self._journal is None:
            self._journal = self.journal_path.open("ab")
        # the entry's JSON once: '{"hash": ..., "record": ...}'; the journal line is the same
        # object with the key first, '{"key": ..., "hash": ..., "record": ...}'
        encoded = self._encoded[letter.key] = compact(entry).encode("utf-8")
        self._journal.write(
            b'{"key": %s, %s\n' % (compact(letter.key).encode("utf-8"), encoded[1:])
        )
        if flush:
            self._journal.flush()

    def flush(self) -> None:
        if self._journal is not None:
            self._journal.flush()

    def forget(self, key: str) -> None:
        """Drop a letter that is no longer planned, and the files it made."""
        entry = self.letters.pop(key, None) or {}
        self._encoded.pop(key, None)
        for relative in ((entry.get("record") or {}).get("files") or {}).values():
            self.remove(relative)

    def remove(self, relative: str) -> None:
        """Delete a file this packet wrote (``relative`` to the output folder), if it is there."""
        with contextlib.suppress(AdvocacyError, OSError):
            inside(self.out, relative).unlink(missing_ok=True)

    def save(self, finishing: Callable[[], None] | None = None) -> None:
        """Write the snapshot atomically, then drop the journal it now contains.

        ``finishing``, if given, is called once the letters are encoded and before the
        combined hashes are, which it may change: the end of a run waits there for the files
        a child process writes, so that the state claims them only once they are in place,
        and the letters are encoded meanwhile. It must not raise.

        Nothing is written when the snapshot on disk already holds exactly this state.
        """
        if self._journal is None and self._on_disk is not None:
            if finishing is not None:
                finishing()
                finishing = None
            if self._on_disk == (self.letters, self.combined):
                return
        encoded = self._encoded
        snapshot = {
            "format": STATE_FORMAT,
            "advocacy_version": __version__,
            "letters": {
                key: encoded.get(key, entry) for key, entry in sorted(self.letters.items())
            },
        }

        def combined() -> dict[str, Any]:
            if finishing is not None:
                finishing()
            return {"combined": self.combined}

        with atomic_stream(self.path) as stream:  # chunk by chunk: never whole in memory
            for chunk in encoded_lines(snapshot, later=combined):
                stream.write(chunk)
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.journal_path.unlink(missing_ok=True)


#: "city/stem", or a supporter's letter "supporters/<slug>/stem" (advocacy packet --supporters)
_KEY = re.compile(r"(?:supporters/)?[a-z0-9-]{1,200}/[a-z0-9-]{1,200}")
_STATUSES = ("ok", "failed")


#: The state file and journal: about 1 KB a letter.
MAX_STATE_BYTES = 256 * 1024 * 1024


def _read_own(path: Path) -> str | None:
    """A state file's text; None if there is none, "" if it cannot be read (a FIFO...)."""
    if not os.path.lexists(path):
        return None
    try:
        return read_input(path, MAX_STATE_BYTES, "state file").decode("utf-8")
    except (DataError, UnicodeDecodeError):
        return ""


def _valid_snapshot(text: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The letters and combined hashes of a snapshot, or (None, None) if anything is off."""
    try:
        snapshot = json.loads(text)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(snapshot, dict) or snapshot.get("format") != STATE_FORMAT:
        return None, None
    letters = snapshot.get("letters")
    combined = snapshot.get("combined")
    if not isinstance(letters, dict) or not isinstance(combined, dict):
        return None, None
    if not all(_valid_entry(key, entry) for key, entry in letters.items()):
        return None, None
    if not all(
        isinstance(key, str) and isinstance(value, (str, int)) and not isinstance(value, bool)
        for key, value in combined.items()
    ):
        return None, None
    return letters, combined


def _valid_entry(key: Any, entry: Any) -> bool:
    """A letter's entry as this tool writes it: its files are named after the letter."""
    if not isinstance(key, str) or not _KEY.fullmatch(key) or not isinstance(entry, dict):
        return False
    record = entry.get("record")
    if not isinstance(entry.get("hash"), str) or not isinstance(record, dict):
        return False
    files, sizes = record.get("files"), record.get("sizes")
    if record.get("status") not in _STATUSES or not isinstance(files, dict):
        return False
    if not isinstance(sizes, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in sizes.values()
    ):
        return False
    if any(name not in FILE_FORMATS or path != key + suffix(name) for name, path in files.items()):
        return False
    warnings = record.get("warnings", [])
    return (
        isinstance(record.get("subject", ""), str)
        and isinstance(record.get("mailto"), (str, type(None)))
        and isinstance(record.get("mailto_length", 0), int)
        and isinstance(record.get("error"), (str, type(None)))
        and isinstance(warnings, list)
        and all(isinstance(w, str) for w in warnings)
    )


def _set_aside(path: Path) -> Path | None:
    """Move a corrupt state file out of the way (kept for a look), return where it went."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f".advocacy-state.corrupt-{stamp}.json")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target


@contextlib.contextmanager
def exclusive_lock(out: Path) -> Iterator[int]:
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
