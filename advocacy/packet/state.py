"""The packet's state file (which letter was made from what) and the lock on its folder."""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any

from advocacy import __version__
from advocacy.exceptions import AdvocacyError, OutputError
from advocacy.output import atomic_write, inside
from advocacy.packet.plan import PlannedLetter

STATE_NAME = ".advocacy-state.json"
JOURNAL_NAME = ".advocacy-state.jsonl"
LOCK_NAME = ".advocacy-packet.lock"
STATE_FORMAT = 1
#: the keys of ``PacketState.combined`` that are not a city folder
COMBINED_KEYS = ("packet", "packet_pages")


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
