"""Fixtures shared by the whole test suite.

The ITC2007 instances live beside the project in ``../shared/itc2007`` and are never copied into the
repository; tests that need them are skipped (not failed) where that folder is absent.
"""

from __future__ import annotations

import gc
import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from paths import CHROMIUM, ITC2019_DIR, ITC_DIR


@pytest.fixture(scope="session")
def warm_solvers():
    """Every strategy's code imported and the numba kernels loaded before a clock starts (a first
    call loads them from numba's cache: a second or two a strategy; after a change, or on a fresh
    clone, it compiles them: run alone there, test_hierarchical.py's first solve compiled inside
    its 3-s limit and left 41 lectures unplaced)."""
    from tt_core.benchmark import _WARM_UP_CTT, warm_up
    from tt_core.io.itc2007 import parse_ctt
    from tt_core.solvers import STRATEGIES, solve
    from tt_core.synth import Recipe, generate

    warm_up()
    for module, _ in STRATEGIES.values():
        importlib.import_module(module)
    # numba specialises on the array types: a generated problem's and a parsed one's can differ
    for problem in (generate(Recipe.preset("tiny")).problem, parse_ctt(_WARM_UP_CTT, source="<warm-up>")):
        for strategy in STRATEGIES:
            solve(problem, strategy=strategy, time_limit=1.0, seed=1)


@pytest.fixture
def frozen_heap():
    """For tests that time a solver's progress heartbeat or its stop: the objects earlier tests left
    in this process are moved out of the garbage collector's reach during the test.

    The suite runs in one process; by the time the solver tests run it holds hundreds of thousands
    of objects (Bokeh documents, DuckDB results, ...). A full collection scans them all with every
    thread held: 0.28-0.45 s a time on the development machine (measured with ``gc.callbacks``), and
    a 1.58-s gap between two heartbeats of the hierarchical solver on CI's slower machine. A solve
    in the product runs in a job worker of its own, where a full collection takes ~0.06 s.
    ``gc.freeze`` keeps those old objects out of collections; the test's own objects are collected
    as usual."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def itc2019_dir() -> Path:
    """The ITC2019 folder (``*.xml`` instances and ``solutions/``); skips when absent."""
    if not ITC2019_DIR.is_dir():
        pytest.skip(f"ITC2019 instances not found at {ITC2019_DIR}")
    return ITC2019_DIR


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright (browser tests only): the system Chromium, headless, no network chatter
    (without --disable-background-networking and friends its connections are refused, many at a
    time, by a closed network). Each browser test module sets its own ``browser_context_args``.
    Assertions on a page wait up to 20 s for their state (Playwright's default is 5 s; a loaded
    2-core CI machine renders a Panel update slower than that)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def itc_dir() -> Path:
    """The ITC2007 track 3 folder (``comp01.ctt`` … and ``solutions/``); skips when absent."""
    if not ITC_DIR.is_dir():
        pytest.skip(f"ITC2007 instances not found at {ITC_DIR}")
    return ITC_DIR


@pytest.fixture(scope="session")
def itc_instance(itc_dir: Path) -> Callable[[str], Path]:
    """A function ``name -> Path`` of an instance file: ``itc_instance("comp01")``.

    The name may be given with or without ``.ctt``; a missing file skips the test.
    """

    def find(name: str) -> Path:
        path = itc_dir / (name if name.endswith(".ctt") else f"{name}.ctt")
        if not path.is_file():
            pytest.skip(f"ITC2007 instance {path} not found")
        return path

    return find


@pytest.fixture(scope="session")
def itc_solution(itc_dir: Path) -> Callable[[str], tuple[Path, int]]:
    """A function ``name -> (Path, cost)`` of the public solution of an instance.

    Solution files are named ``<instance>_cost<N>.sol``; ``N`` is the total soft cost under the
    competition's rules (0 hard violations). A missing file skips the test.
    """

    def find(name: str) -> tuple[Path, int]:
        name = name.removesuffix(".ctt")
        for path in sorted((itc_dir / "solutions").glob(f"{name}_cost*.sol")):
            match = re.fullmatch(rf"{re.escape(name)}_cost(\d+)\.sol", path.name)
            if match:
                return path, int(match.group(1))
        pytest.skip(f"no ITC2007 solution for {name} in {itc_dir / 'solutions'}")

    return find


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """Path of a not-yet-existing DuckDB file inside the test's own temporary folder."""
    return tmp_path / "test.duckdb"
