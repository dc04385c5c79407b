"""The compiled-kernel cache follows the sources a kernel calls into (tt_core.numba_cache)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tt_core import numba_cache

RUN = "import sys; sys.path.insert(0, {root!r}); {pre}from pk.b import g; print(g())"


def _package(tmp_path: Path) -> Path:
    """``pk.b.g`` (cached) calls ``pk.a.f`` (cached, in another file); ``pk.c`` has no kernel."""
    pk = tmp_path / "pk"
    pk.mkdir()
    (pk / "__init__.py").write_text("")
    (pk / "a.py").write_text("from numba import njit\n\n@njit(cache=True)\ndef f():\n    return 1\n")
    (pk / "b.py").write_text(textwrap.dedent("""\
        from numba import njit
        from .a import f

        @njit(cache=True)
        def g():
            return f() * 10
        """))
    (pk / "c.py").write_text("VALUE = 1\n")
    return pk


def _g(pk: Path, refresh: bool) -> int:
    pre = f"from pathlib import Path; from tt_core import numba_cache; numba_cache.refresh(Path({str(pk)!r})); " \
        if refresh else ""
    out = subprocess.run([sys.executable, "-c", RUN.format(root=str(pk.parent), pre=pre)], check=True,
                         capture_output=True, text=True, cwd=pk.parent)
    return int(out.stdout.strip())


def test_numba_alone_keeps_a_callers_stale_code_and_refresh_drops_it(tmp_path):
    pk = _package(tmp_path)
    assert _g(pk, refresh=True) == 10
    assert list(pk.glob("__pycache__/*.nbi")), "numba cached nothing: the test would prove nothing"
    (pk / "a.py").write_text((pk / "a.py").read_text().replace("return 1", "return 2"))
    assert _g(pk, refresh=False) == 10  # the trap: b.py unchanged, so numba reuses g's old machine code
    assert _g(pk, refresh=True) == 20


def test_refresh_deletes_only_when_kernel_sources_change(tmp_path):
    pk = _package(tmp_path)
    cache = pk / "__pycache__"
    cache.mkdir()
    for name in ("b.g-5.py312.nbi", "b.g-5.py312.1.nbc"):
        (cache / name).write_bytes(b"x")
    assert numba_cache.refresh(pk) == 2            # no stamp yet: whatever is cached may be stale
    (cache / "b.g-5.py312.nbi").write_bytes(b"x")
    assert numba_cache.refresh(pk) == 0            # nothing changed
    (pk / "c.py").write_text("VALUE = 2\n")        # no kernel there, none imports it
    assert numba_cache.refresh(pk) == 0
    (pk / "a.py").write_text((pk / "a.py").read_text() + "\n# edited\n")
    assert numba_cache.refresh(pk) == 1
    assert not list(cache.glob("*.nb?"))


def test_kernel_sources_are_the_kernels_and_what_they_import():
    names = {p.relative_to(numba_cache.PACKAGE).as_posix() for p in numba_cache.kernel_sources()}
    # the annealer's kernels, the soft deltas they call in another file, the constants frozen in
    assert {"solvers/local_search/kernels.py", "kernels/soft_delta.py", "kernels/incremental.py",
            "constraints.py"} <= names
    assert "cli.py" not in names and "numba_cache.py" not in names


def test_refresh_never_raises_on_a_read_only_place(tmp_path):
    pk = _package(tmp_path)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert numba_cache.refresh(pk, stamp=blocked / "stamp") == 0
