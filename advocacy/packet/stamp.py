"""The stamp of a finished packet run: a rerun that changes nothing ends here, in a second.

A packet run that wrote every letter without a failure leaves ``.advocacy-stamp.json`` in the
output folder: the run's *fingerprint* (a hash of every input: the tool's version, the
templates, style files, sender, date, quotes and formats, the data set, the supporters file's
bytes and the command's options), every file the run left with its size, and what the summary
said. The next run computes its fingerprint first, from the raw inputs, before reading the
supporters or planning a letter; when it is the stamp's and every listed file is there with its
size, the folder is up to date and the run reports so without planning 25,000 letters.

Anything else (another fingerprint, a file missing or of another size, no stamp) takes the
usual way, which checks letter by letter; a run removes the stamp before it writes anything,
so a stamp never describes a folder that a later run changed or left half done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG
from typing import Any

from advocacy.exceptions import AdvocacyError
from advocacy.output import TEMPORARY_PREFIX, atomic_write

STAMP_NAME = ".advocacy-stamp.json"
STAMP_FORMAT = 1
#: a stamp is about 70 bytes a file; 25,000 letters in three formats are ~6 MB
MAX_STAMP_BYTES = 64 * 1024 * 1024


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (a supporters or contacts file)."""
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def fingerprint(settings: Any, data: Any, **options: Any) -> str:
    """The hash of a run's inputs: ``settings`` (PacketSettings: templates, style, sender,
    date, quotes, formats, version), the data set, and the command's ``options`` (which
    cities, to whom, the supporters file's digest...)."""
    from advocacy.packet.plan import digest, inputs_digest

    return digest(
        inputs_digest(settings),
        [official.to_dict() for official in data.officials],
        [tie.to_dict() for tie in data.ties],
        str(settings.out.resolve()),
        settings.duplex,
        settings.envelopes,
        settings.labels,
        options,
    )


def clear(out: Path) -> bool:
    """Remove the stamp: this run is about to change the folder. True if there was one."""
    try:
        (out / STAMP_NAME).unlink()
    except OSError:
        return False
    return True


def write(
    out: Path,
    fingerprint: str,
    files: Iterable[str],
    summary: dict[str, Any],
    known: dict[str, int] | None = None,
) -> None:
    """Stamp the folder: ``files`` (relative paths) as they are now, and the run's summary.

    ``known`` gives the sizes of files this run wrote or checked (the letters, the pages):
    they are listed without a stat each (25,000 letters: ~50,000 calls).

    A file that is not there now is left out, and so are the lock, the stamp and temporary
    files.
    """
    known = known or {}
    base = str(out)
    listed = [
        (relative, size)
        for relative, size in known.items()
        # the names of a run's letters and pages never start with a dot: the check is kept
        # to the few that do
        if not ("/." in relative or relative.startswith(".")) or _listed(relative)
    ]
    for relative in set(files).difference(known):
        if not _listed(relative):
            continue
        try:
            info = os.stat(os.path.join(base, relative))
        except OSError:
            continue
        if S_ISREG(info.st_mode):
            listed.append((relative, info.st_size))
    listed.sort()
    document = {
        "format": STAMP_FORMAT,
        "fingerprint": fingerprint,
        "summary": summary,
        "files": listed,
    }
    atomic_write(out / STAMP_NAME, json.dumps(document, ensure_ascii=False).encode("utf-8"))


def _listed(relative: str) -> bool:
    """Whether the stamp lists this file: not the lock, the stamp or a temporary file."""
    from advocacy.packet.state import LOCK_NAME

    name = relative.rsplit("/", 1)[-1]
    return name not in (STAMP_NAME, LOCK_NAME) and not (
        name.startswith(TEMPORARY_PREFIX) and name.endswith(".tmp")
    )


def check(out: Path, fingerprint: str | None) -> dict[str, Any] | None:
    """The stamped summary if the folder is exactly as the last run with ``fingerprint`` left
    it (every listed file there, of its size); else None. ``fingerprint=None`` accepts the
    stamp's own (:func:`check_early`: the caller compares it)."""
    found = _checked(out, fingerprint)
    return None if found is None else found[1]


def _checked(
    out: Path, fingerprint: str | None = None, split: bool = False
) -> tuple[str, dict[str, Any]] | None:
    """The stamp's fingerprint and summary if every file it lists is there, of its size (and
    the fingerprint is ``fingerprint``, if given)."""
    path = out / STAMP_NAME
    try:
        info = path.stat()
        if not S_ISREG(info.st_mode) or info.st_size > MAX_STAMP_BYTES:
            return None
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != STAMP_FORMAT
        or not isinstance(document.get("fingerprint"), str)
        or (fingerprint is not None and document["fingerprint"] != fingerprint)
        or not isinstance(document.get("summary"), dict)
        or not isinstance(document.get("files"), list)
    ):
        return None
    files = document["files"]
    try:
        # every name a relative path inside the folder (checked at once: 50,000 names)
        names = "\n".join([relative for relative, _ in files])
    except (ValueError, TypeError):
        return None
    if ".." in names or names.startswith("/") or "\n/" in names or "\x00" in names:
        return None
    try:
        # looked up from the folder's descriptor: the kernel walks only the relative part of
        # each path (50,000 stats: a third less time than from the full path)
        folder = os.open(out, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        split = split and len(files) >= SPLIT_FILES
        if not (_halves_as_listed(folder, files) if split else _as_listed(folder, files)):
            return None
    finally:
        os.close(folder)
    return document["fingerprint"], document["summary"]


#: a stamp listing this many files is checked by two processes (:func:`check_early`)
SPLIT_FILES = 5000


def _as_listed(folder: int, files: list[Any], parent: int | None = None) -> bool:
    """Whether every file is there (relative to ``folder``, a descriptor), of its size;
    with ``parent``, False as soon as that process is gone (stopped: not wanted any more)."""
    stat = os.stat
    try:
        for index, (relative, size) in enumerate(files):
            found = stat(relative, dir_fd=folder)
            if found.st_size != size or not S_ISREG(found.st_mode):
                return False
            if parent is not None and not index % 1024 and os.getppid() != parent:
                return False
    except (OSError, ValueError, TypeError):
        return False
    return True


def _halves_as_listed(folder: int, files: list[Any]) -> bool:
    """:func:`_as_listed`, the second half in a fork of this process (the early check's
    child, which runs one thread): once the parent has read its inputs, both CPUs stat."""
    half = len(files) // 2
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        return _as_listed(folder, files)
    if pid == 0:  # never returns
        found = False
        try:
            found = _as_listed(folder, files[half:], parent)
        finally:
            os._exit(0 if found else 1)
    found = _as_listed(folder, files[:half])
    if not found:  # the other half no longer matters
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return found and os.waitstatus_to_exitcode(status) == 0


class EarlyCheck:
    """The stamp's files checked by a child process while this one reads its inputs.

    An unchanged rerun spends most of its time in 50,000 stats of the stamp's files, which
    need nothing of the inputs: the child (:class:`advocacy.packet.forked.Forked`; with a
    fork of its own for half of a long list) does them while this process loads the data
    set and computes the fingerprint, and
    :func:`up_to_date` takes its verdict. The child holds no lock; a run that changes the
    folder removes the stamp first (under the lock), so the verdict counts only if the stamp
    is still the very file the child read (same inode, size and times) once this process
    holds the lock.
    """

    def __init__(self, out: Path, identity: tuple[int, ...]):
        from advocacy.packet.forked import Forked

        self.out = out
        self.identity = identity
        self.child = Forked(lambda: _checked_as(out, identity))

    def cancel(self) -> None:
        self.child.cancel()


def check_early(out: Path) -> EarlyCheck | None:
    """Start checking the stamp's files in a child process; None when there is no stamp, or
    no child can be made (the check would run here at once, before the fingerprint says
    whether it is needed: :func:`up_to_date` then checks as usual)."""
    from advocacy.packet.forked import _single_threaded

    if not hasattr(os, "fork") or not _single_threaded():
        return None
    identity = _identity(out / STAMP_NAME)
    return EarlyCheck(out, identity) if identity is not None else None


def _identity(path: Path) -> tuple[int, ...] | None:
    """What tells this stamp file from any other, even one with the same name and bytes."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not S_ISREG(info.st_mode):
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _checked_as(out: Path, identity: tuple[int, ...]) -> list[Any] | None:
    """:func:`_checked` of the stamp file with ``identity`` (None if it is another now)."""
    found = _checked(out, split=True)
    if found is None or _identity(out / STAMP_NAME) != identity:
        return None
    return list(found)


def _stamped_fingerprint(out: Path) -> str | None:
    """The fingerprint at the head of the stamp (:func:`write` puts it there), read without
    parsing the rest; None if it is not where it should be."""
    try:
        with (out / STAMP_NAME).open("rb") as handle:
            head = handle.read(128)
    except OSError:
        return None
    found = _HEAD.match(head)
    return found.group(1).decode("ascii") if found else None


_HEAD = re.compile(rb'\{"format": %d, "fingerprint": "([0-9a-f]{64})", ' % STAMP_FORMAT)


def up_to_date(
    out: Path, fingerprint: str, early: EarlyCheck | None = None
) -> dict[str, Any] | None:
    """:func:`check` under the folder's lock; None when there is no stamp or the lock is held
    (the usual way then reports the other run). With ``early`` (:func:`check_early`), the
    files were checked by its child: this waits for its verdict, unless the stamp's
    fingerprint is already another."""
    if early is not None:
        return _up_to_date_early(out, fingerprint, early)
    from advocacy.packet.state import exclusive_lock

    if not (out / STAMP_NAME).is_file():
        return None
    try:
        with exclusive_lock(out):
            return check(out, fingerprint)
    except AdvocacyError:
        return None


def _up_to_date_early(out: Path, fingerprint: str, early: EarlyCheck) -> dict[str, Any] | None:
    stamped = _stamped_fingerprint(out)
    if stamped is not None and stamped != fingerprint:
        early.cancel()  # inputs changed: its verdict is not needed
        return None
    try:
        found = early.child.result()
    except AdvocacyError:  # the child failed (killed, a summary too large): check here
        return up_to_date(out, fingerprint)
    if not isinstance(found, list) or len(found) != 2 or found[0] != fingerprint:
        return None
    from advocacy.packet.state import exclusive_lock

    try:
        with exclusive_lock(out):
            if _identity(out / STAMP_NAME) != early.identity:
                return None  # another run changed the folder since
    except AdvocacyError:
        return None
    summary = found[1]
    return summary if isinstance(summary, dict) else None
