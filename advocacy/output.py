"""Writing files safely: atomic replacement, and paths that cannot leave the output folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f"{TEMPORARY_PREFIX}{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
        )
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as stream:
            yield stream
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_stream`)."""
    with atomic_stream(path, durable) as stream:
        stream.write(data)


def write_all_or_none(files: dict[Path, bytes], durable: bool = True) -> None:
    """Write several files so that each is replaced only once all the new ones are complete.

    Every file goes to its temporary name first; only when all are written (a full disk shows
    here) are they renamed into place. On an error every temporary is removed and each old
    file is left as it was: a letter's last good PDF is never lost to a failing rerun.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f"{TEMPORARY_PREFIX}{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
            )
            staged.append((temporary, path))
            with os.fdopen(handle, "wb", buffering=1 << 20) as stream:
                stream.write(data)
                stream.flush()
                if durable:
                    os.fsync(stream.fileno())
            os.chmod(temporary, FILE_MODE)
    except OSError as err:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        where = staged[-1][1] if staged else next(iter(files), "")
        raise OutputError(f"cannot write {where}: {err.strerror or err}") from err
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files a killed run of this tool left; return how many were removed.

    Only names this tool makes (``.advocacy-*.tmp``) are touched: a user's own ``.x.tmp``
    files in the output folder stay.
    """
    removed = 0
    if folder.is_dir():
        for leftover in folder.rglob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink(missing_ok=True)
                removed += 1
    return removed
