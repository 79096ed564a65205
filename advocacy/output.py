"""Writing files safely: atomic replacement, and paths that cannot leave the output folder."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from advocacy.exceptions import AdvocacyError, OutputError


def inside(folder: Path, *parts: str) -> Path:
    """Join ``parts`` under ``folder`` and refuse any result outside it."""
    base = folder.resolve()
    path = base.joinpath(*parts).resolve()
    if path != base and base not in path.parents:
        raise AdvocacyError(f"refusing to write outside the output folder: {path}")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Temporary files are named ``.advocacy-NAME.XXXX.tmp``: only these are ever cleaned up.
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".advocacy-", ".tmp"

#: Permissions of written files: what ``open()`` would give (mkstemp would give 0600).
FILE_MODE = 0o666 & ~_umask()


_T = TypeVar("_T")
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
_names = itertools.count()


def open_temporary(path: Path | str) -> tuple[int, str]:
    """Create the temporary file ``path`` is first written to; return its descriptor and name.

    The name is ``.advocacy-NAME.<pid>-<n>.tmp`` next to ``path``: unique within the process by
    its counter, and created with ``O_EXCL`` (a name a killed process with the same pid left
    behind is skipped), so, unlike ``tempfile.mkstemp``, no random name is drawn. The file gets
    ``FILE_MODE`` at once (no ``chmod`` after). The folder is made only when it is missing:
    checking it before every file cost a system call a file.
    """
    return _make_temporary(path, lambda temporary: os.open(temporary, _FLAGS, FILE_MODE))


def _make_temporary(path: Path | str, make: Callable[[str], _T]) -> tuple[_T, str]:
    """``make(name)`` (a file or a folder) at the first free temporary name next to ``path``
    (see :func:`open_temporary`); what it returned, and the name."""
    folder, name = os.path.split(os.fspath(path))
    made = False
    while True:
        temporary = os.path.join(
            folder, f"{TEMPORARY_PREFIX}{name}.{os.getpid()}-{next(_names)}{TEMPORARY_SUFFIX}"
        )
        try:
            return make(temporary), temporary
        except FileExistsError:
            continue
        except FileNotFoundError:
            if made:
                raise
            os.makedirs(folder, exist_ok=True)
            made = True


def _write_fully(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


@contextlib.contextmanager
def _temporary(path: Path | str, durable: bool) -> Iterator[tuple[IO[bytes], str]]:
    """A temporary file next to ``path`` and its name; its bytes are flushed (and, when
    ``durable``, synced) when the block ends. On an error it is removed, and an ``OSError``
    becomes an :class:`OutputError` naming ``path``."""
    try:
        handle, temporary = open_temporary(path)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as stream:
            yield stream, temporary
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
    except BaseException as err:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
        raise


def staged(path: Path | str, write: Callable[[IO[bytes]], Any], durable: bool = True) -> str:
    """Write ``path``'s new bytes (``write(stream)``) to a temporary file next to it and
    return its name: the caller renames it into place, or removes it."""
    with _temporary(path, durable) as (stream, temporary):
        write(stream)
    return temporary


@contextlib.contextmanager
def atomic_stream(path: Path, durable: bool = True) -> Iterator[IO[bytes]]:
    """Open ``path`` for writing so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder (named ``.advocacy-NAME.*.tmp``, a
    name only this tool uses, so cleaning up never touches a user's own file), are flushed
    to disk, and the file is renamed over ``path`` when the block ends without an error: a
    process killed at any moment leaves no truncated file, only a temporary one that
    :func:`remove_stale_temporaries` deletes.

    ``durable=False`` skips the ``fsync`` (0.3 ms a file here): the rename is still atomic for
    any process, killed or not; only a power cut could leave the new name with fewer bytes,
    which a caller that records the size can detect (the packet does).
    """
    with _temporary(path, durable) as (stream, temporary):
        yield stream
    try:
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_stream`)."""
    write_all_or_none({path: data}, durable)


def write_all_or_none(files: dict[Path, bytes] | dict[str, bytes], durable: bool = True) -> None:
    """Write several files so that each is replaced only once all the new ones are complete.

    Every file goes to its temporary name first; only when all are written (a full disk shows
    here) are they renamed into place. On an error every temporary is removed and each old
    file is left as it was: a letter's last good PDF is never lost to a failing rerun.

    The bytes go to the descriptor as they are (no buffered file object around them).
    """
    staged: list[tuple[str, Path | str]] = []
    path: Path | str | None = None
    try:
        for path, data in files.items():
            handle, temporary = open_temporary(path)
            staged.append((temporary, path))
            try:
                _write_fully(handle, data)
                if durable:
                    os.fsync(handle)
            finally:
                os.close(handle)
    except OSError as err:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    for index, (temporary, path) in enumerate(staged):
        try:
            os.replace(temporary, path)
        except OSError as err:
            for left, _ in staged[index:]:
                Path(left).unlink(missing_ok=True)
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from err


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files (and folders, :class:`NewFolder`) a killed run of this tool
    left; return how many were removed.

    Only names this tool makes (``.advocacy-*.tmp``) are touched: a user's own ``.x.tmp``
    files in the output folder stay.
    """
    removed = 0
    if folder.is_dir():
        for leftover in list(folder.rglob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}")):
            if leftover.is_symlink():
                continue
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed += 1
            elif leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
                removed += 1
    return removed


class NewFolder:
    """A folder that does not exist yet, written whole and then put in place at once.

    Its files are created directly in a temporary folder next to it
    (``.advocacy-NAME.<pid>-<n>.tmp``), which :meth:`commit` renames to the folder's name:
    one rename for the folder instead of a temporary name and a rename for every file (on
    this tool's main disk a file cost 70 us of CPU that way, 55 us this way). Readers, and
    a run killed at any moment, see the whole folder or none of it; what a killed run left
    is removed by :func:`remove_stale_temporaries`.
    """

    def __init__(self, final: str, durable: bool = True):
        self.final = final
        self.durable = durable
        try:
            _, self.path = _make_temporary(final, os.mkdir)
        except OSError as err:
            raise OutputError(f"cannot write {final}: {err.strerror or err}") from err
        #: the start of every path inside the temporary folder
        self.prefix = self.path + os.sep
        self.written = 0

    def holds(self, paths: Iterable[Path | str]) -> bool:
        """Whether every one of ``paths`` is in this folder (as :meth:`write` needs)."""
        return all(isinstance(path, str) and path.startswith(self.prefix) for path in paths)

    def write(self, files: dict[str, bytes]) -> None:
        """Create ``files`` (paths in :attr:`path`): all of them, or, on an error, none."""
        created: list[str] = []
        path = ""
        try:
            for path, data in files.items():
                handle = os.open(path, _FLAGS, FILE_MODE)
                created.append(path)
                try:
                    _write_fully(handle, data)
                    if self.durable:
                        os.fsync(handle)
                finally:
                    os.close(handle)
        except BaseException as err:
            for done in created:
                with contextlib.suppress(OSError):
                    os.unlink(done)
            if isinstance(err, OSError):
                raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
            raise
        self.written += len(created)

    def commit(self) -> None:
        """Rename the folder into place (an empty one is removed instead). Should a folder of
        that name have appeared meanwhile, the files are moved into it one by one."""
        try:
            if not self.written:
                os.rmdir(self.path)
                return
            try:
                os.rename(self.path, self.final)
                return
            except OSError:
                if not os.path.isdir(self.final) or os.path.islink(self.final):
                    raise
            for name in os.listdir(self.path):
                os.replace(os.path.join(self.path, name), os.path.join(self.final, name))
            os.rmdir(self.path)
        except OSError as err:
            self.discard()
            raise OutputError(f"cannot write {self.final}: {err.strerror or err}") from err

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
