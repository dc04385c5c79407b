"""Batch fitness back ends: the CuPy array program equals the numba kernel, and the dispatcher.

The array program that CuPy runs on a GPU is checked here on the CPU with NumPy as its array
module (same code path, ``xp=numpy``), so its logic is tested on every machine; the CuPy run
itself is compared with numba only where a CUDA GPU works, and skipped with the reason elsewhere.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tt_core import constraints as K
from tt_core import hardware
from tt_core.cost import evaluate, evaluate_batch
from tt_core.errors import TimetableError
from tt_core.io.itc2007 import read_ctt
from tt_core.kernels.arrays import kernel_arrays
from tt_core.kernels.full import batch_units
from tt_core.kernels.gpu import array_batch_units, batch_evaluate, weighted
from tt_core.model import Problem, Timetable
from tt_core.synth import Recipe, generate

CUPY_INSTALLED = importlib.util.find_spec("cupy") is not None


@pytest.fixture(scope="module")
def synth():
    """The tiny synthetic university: labs (2-3 period lectures), room types, teacher loads and
    preferences, curriculum daily maxima — every extension term is non-zero somewhere."""
    return generate(Recipe.preset("tiny"))


def population(problem: Problem, n: int, seed: int, base: Timetable | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Timetables that exercise every branch of the validator semantics: random placements
    (labs spilling past the day's end), unplaced lectures, lectures of a course stacked in one
    period (not taught), and near-feasible rows derived from ``base``."""
    rng = np.random.default_rng(seed)
    L = problem.n_lectures
    periods = rng.integers(0, problem.n_periods, (n, L)).astype(np.int32)
    rooms = rng.integers(0, problem.n_rooms, (n, L)).astype(np.int32)
    periods[rng.random((n, L)) < 0.05] = -1
    rooms[rng.random((n, L)) < 0.03] = -1
    ptr = problem.course_lecture_ptr
    for i in range(0, n, 3):  # a course's lectures in one period
        c = int(rng.integers(problem.n_courses))
        periods[i, ptr[c]:ptr[c + 1]] = periods[i, ptr[c]]
    if base is not None:
        for i in range(1, n, 2):  # the hidden feasible timetable with a few changes
            periods[i], rooms[i] = base.period, base.room
            k = rng.choice(L, size=3, replace=False)
            periods[i, k] = rng.integers(0, problem.n_periods, 3)
    return periods, rooms


def test_array_program_equals_numba_on_synth(synth):
    pb = synth.problem
    periods, rooms = population(pb, 90, seed=1, base=synth.hidden)
    want = batch_units(kernel_arrays(pb), periods, rooms)
    got = array_batch_units(pb, periods, rooms, np)
    assert np.array_equal(got, want)
    # the population really exercises the extension terms and the hard ones
    assert (want[:, [K.ROOM_SUITABILITY, K.TEACHER_PREFERENCE, K.CURRICULUM_LOAD, K.TEACHER_LOAD]] > 0).any(axis=0).all()
    # and both near-feasible rows (few hard units) and random ones (many)
    hard = want[:, K.HARD_MASK].sum(axis=1)
    assert hard[1::2].max() < hard[0::2].min()


def test_array_program_equals_numba_on_itc(itc_instance):
    pb = read_ctt(itc_instance("comp01"))
    periods, rooms = population(pb, 60, seed=2)
    assert np.array_equal(array_batch_units(pb, periods, rooms, np), batch_units(kernel_arrays(pb), periods, rooms))


def test_array_program_agrees_with_the_evaluator_row_by_row(synth):
    pb = synth.problem
    periods, rooms = population(pb, 12, seed=3, base=synth.hidden)
    got = array_batch_units(pb, periods, rooms, np)
    for i in range(len(periods)):
        assert np.array_equal(got[i], evaluate(pb, Timetable(periods[i], rooms[i])).units), f"row {i}"


def test_chunks_give_the_same_units(synth):
    pb = synth.problem
    periods, rooms = population(pb, 25, seed=4)
    whole = array_batch_units(pb, periods, rooms, np)
    one_by_one = array_batch_units(pb, periods, rooms, np, chunk_bytes=1)  # one timetable per chunk
    assert np.array_equal(whole, one_by_one)


def test_empty_batch(synth):
    pb = synth.problem
    empty = np.zeros((0, pb.n_lectures), np.int32)
    for backend in ("numba", "numpy"):
        assert batch_evaluate(pb, empty, empty, backend=backend).shape == (0, K.N_CONSTRAINTS)


# --- the dispatcher ------------------------------------------------------------------------------


def test_dispatcher_numba_path_equals_kernel_and_evaluate_batch(synth):
    pb = synth.problem
    periods, rooms = population(pb, 40, seed=5, base=synth.hidden)
    units = batch_evaluate(pb, periods, rooms, backend="numba")
    assert np.array_equal(units, batch_units(kernel_arrays(pb), periods, rooms))
    ref_units, ref_hard, ref_soft = evaluate_batch(pb, periods, rooms)
    hard, soft = weighted(units, np.asarray(K.itc_weights()))
    assert np.array_equal(units, ref_units)
    assert np.array_equal(hard, ref_hard)
    assert np.allclose(soft, ref_soft)


def test_dispatcher_default_follows_tt_backend(synth, monkeypatch):
    pb = synth.problem
    periods, rooms = population(pb, 8, seed=6)
    monkeypatch.setenv("TT_BACKEND", "numba")
    assert hardware.batch_backend() == "numba"
    assert np.array_equal(batch_evaluate(pb, periods, rooms), batch_units(kernel_arrays(pb), periods, rooms))


@pytest.mark.skipif(hardware.detect().gpu, reason="a GPU is present: the automatic choice is CuPy")
def test_dispatcher_default_is_numba_without_a_gpu(synth, monkeypatch):
    monkeypatch.delenv("TT_BACKEND", raising=False)
    assert hardware.batch_backend() == "numba"
    pb = synth.problem
    periods, rooms = population(pb, 8, seed=7)
    assert np.array_equal(batch_evaluate(pb, periods, rooms), batch_units(kernel_arrays(pb), periods, rooms))


def test_dispatcher_rejects_bad_input(synth):
    pb = synth.problem
    periods, rooms = population(pb, 4, seed=8)
    with pytest.raises(TimetableError, match="unknown batch back end 'opencl'"):
        batch_evaluate(pb, periods, rooms, backend="opencl")
    with pytest.raises(TimetableError, match="shape"):
        batch_evaluate(pb, periods[:, :-1], rooms[:, :-1], backend="numba")
    bad = periods.copy()
    bad[2, 5] = pb.n_periods  # one past the grid: the kernel would read foreign memory
    with pytest.raises(TimetableError, match="timetable 2, lecture 5"):
        batch_evaluate(pb, bad, rooms, backend="numba")


@pytest.mark.skipif(CUPY_INSTALLED, reason="CuPy is installed")
def test_cupy_backend_without_cupy_says_how_to_install(synth):
    pb = synth.problem
    periods, rooms = population(pb, 2, seed=9)
    with pytest.raises(TimetableError, match=r"uv sync --locked --extra dev --extra gpu"):
        batch_evaluate(pb, periods, rooms, backend="cupy")


# --- the GPU itself ------------------------------------------------------------------------------

_HW = hardware.detect()


@pytest.mark.gpu
@pytest.mark.skipif(not _HW.gpu, reason=f"no usable CUDA GPU: {_HW.reason}")
def test_cupy_equals_numba(synth, itc_dir):
    pb = synth.problem
    periods, rooms = population(pb, 3000, seed=10, base=synth.hidden)
    want = batch_units(kernel_arrays(pb), periods, rooms)
    assert np.array_equal(batch_evaluate(pb, periods, rooms, backend="cupy"), want)
    import cupy

    # several chunks on the device
    assert np.array_equal(array_batch_units(pb, periods, rooms, cupy, chunk_bytes=50_000_000), want)
    itc = read_ctt(itc_dir / "comp07.ctt")
    periods, rooms = population(itc, 2000, seed=11)
    assert np.array_equal(batch_evaluate(itc, periods, rooms, backend="cupy"),
                          batch_units(kernel_arrays(itc), periods, rooms))
