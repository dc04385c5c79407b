"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A failure (a full disk, an exception while rendering) never leaves a half-written file, and a
replaced file keeps its permissions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import TimetableError


def _umask() -> int:
    """The process umask, read without changing it where ``/proc`` allows (os.umask is not thread safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


@contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it goes."""
    target = Path(path)
    if not target.parent.is_dir():
        raise TimetableError(f"cannot write {target}: the folder {target.parent} does not exist; create it first")
    if target.is_dir():
        raise TimetableError(f"{target} is a folder; give a file name")
    try:  # keep the mode of a file being replaced; a new file gets the usual 0o666 minus umask
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write text (UTF-8, ``\\n`` line ends) or bytes to ``path`` atomically."""
    with atomic_target(path) as tmp:
        if isinstance(data, bytes):
            Path(tmp).write_bytes(data)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)


def save_atomic(path: str | os.PathLike, save: Callable[[str], None]) -> None:
    """Let ``save(tmp_path)`` write the file (e.g. ``workbook.save``), then move it into place."""
    with atomic_target(path) as tmp:
        save(tmp)
