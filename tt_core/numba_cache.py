"""Numba's on-disk cache of the compiled kernels, kept in step with the source.

Numba checks a cached function against its own file only: a kernel in
``solvers/local_search/kernels.py`` that calls ``kernels/soft_delta.py`` keeps the compiled
soft-delta code of the day it was cached after ``soft_delta.py`` changes (a ``git pull``, an edit),
and so runs old code against new data — wrong costs, or worse when an array's layout changed.
Reproduced with numba 0.68: ``g`` in ``b.py`` calling ``f`` in ``a.py``, both ``cache=True``; after
``f`` was changed to return 2, ``f()`` gave 2 and ``g()`` still used 1.

:func:`refresh` (called when ``tt_core`` is imported, before any kernel is compiled or loaded)
hashes the sources that end up inside compiled code — every module of the package that uses
``njit`` and the package modules those import (constants such as :mod:`tt_core.constraints` are
frozen into the machine code) — and, when the hash differs from the one recorded beside the cache,
deletes the package's cached kernels so numba compiles them afresh. Other modules' edits cost no
recompilation. Only the cache in the package's ``__pycache__`` folders is handled (numba's default
for a writable checkout); a process still running old code should be restarted after an upgrade.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
STAMP_NAME = "numba-sources.sha256"  # in the package's __pycache__: the digest the cache was built from
_KERNEL = re.compile(r"^\s*@njit\b", re.M)  # a module that compiles (not one that names njit in prose)
_FROM = re.compile(r"^\s*from\s+(\.+)([\w.]*)\s+import\s+\(?([^)#\n]*)", re.M)


def kernel_sources(package: Path = PACKAGE) -> list[Path]:
    """The package's modules whose code or constants compiled kernels contain, sorted."""
    found: set[Path] = set()
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not _KERNEL.search(text):
            continue
        found.add(path)
        found.update(_imported(package, path, text))
    return sorted(found)


def _imported(package: Path, path: Path, text: str) -> set[Path]:
    """The package modules that ``path`` imports with relative ``from`` imports."""
    out: set[Path] = set()
    for dots, module, names in _FROM.findall(text):
        base = path.parent
        for _ in range(len(dots) - 1):
            base = base.parent
        target = base.joinpath(*module.split(".")) if module else base
        own = target.with_suffix(".py")
        if own.is_file():
            out.add(own)
            continue
        for name in names.split(","):  # ``from .. import constraints as K``
            words = name.split()
            sub = target / f"{words[0]}.py" if words else None
            if sub is not None and sub.is_file():
                out.add(sub)
    return {p for p in out if package in p.parents}


def sources_digest(package: Path = PACKAGE) -> str:
    """SHA-256 of the kernel sources' paths (relative to the package) and contents."""
    h = hashlib.sha256()
    for path in kernel_sources(package):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def refresh(package: Path = PACKAGE, stamp: Path | None = None) -> int:
    """Delete the package's cached kernels when their sources changed since they were cached;
    returns how many cache files were deleted. Never raises: a read-only install keeps its cache."""
    stamp = stamp if stamp is not None else package / "__pycache__" / STAMP_NAME
    try:
        digest = sources_digest(package)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return 0
        removed = 0
        for cached in list(package.rglob("__pycache__/*.nb[ci]")):  # numba's index and data files
            try:
                cached.unlink()
                removed += 1
            except FileNotFoundError:  # another process cleared it first
                pass
        stamp.parent.mkdir(exist_ok=True)
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
        tmp.write_text(digest + "\n")
        os.replace(tmp, stamp)
        if removed:
            log.info("kernel sources changed: %d cached numba file(s) deleted, kernels compile afresh", removed)
        return removed
    except OSError as exc:  # read-only package folder: numba keeps its own (per-file) checks
        log.debug("numba cache not refreshed: %s", exc)
        return 0
