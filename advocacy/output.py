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


#: Permissions of written files: what ``open()`` would give (mkstemp would give 0600).
FILE_MODE = 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_stream(path: Path, durable: bool = True) -> Iterator[IO[bytes]]:
    """Open ``path`` for writing so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder (named ``.NAME.*.tmp``), are flushed
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
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
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


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files left by a killed run; return how many were removed."""
    removed = 0
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
