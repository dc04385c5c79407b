"""Evaluator throughput on the ITC2007 instances: full, reference, delta and batch evaluations per second.

    .venv/bin/python benchmarks/evaluator.py [--instances comp01 comp05] [--seconds 1] [--itc-dir DIR]

For each instance, after a warm-up (numba compiles on the first run and caches to ``__pycache__``),
each measurement runs for ``--seconds``:

* full (numba): ``tt_core.cost.evaluate`` called from Python on random timetables (front door,
  including its checks and the ``CostReport``);
* kernel: the full kernel ``tt_core.kernels.full.full_units`` in a numba loop (no Python per call);
* reference: the plain-Python oracle of the test suite (``tests/reference.py``);
* delta: ``tt_core.kernels.incremental.delta_move`` on random moves (random lecture, period, room;
  unplacing excluded) from a numba loop, starting from the public solution of the instance (a good
  timetable, as during local search); the state is left unchanged by every delta;
* SA moves: what the annealer does per candidate move on that feasible timetable — the
  O(conflict degree) feasibility screen and, when it passes ("soft-delta share"), the exact
  mutation-free soft delta (``tt_core.kernels.soft_delta``);
* batch: ``tt_core.cost.evaluate_batch`` on a population of 1000 perturbed copies of that solution
  (numba ``prange`` over the population, ``NUMBA_NUM_THREADS`` threads).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the reference evaluator lives with the tests

from reference import reference_units  # noqa: E402

from tt_core.benchmark import default_itc_dir, resolve_instances  # noqa: E402
from tt_core.constraints import N_CONSTRAINTS  # noqa: E402
from tt_core.cost import evaluate, evaluate_batch  # noqa: E402
from tt_core.errors import TimetableError  # noqa: E402
from tt_core.io.itc2007 import read_ctt, read_sol  # noqa: E402
from tt_core.kernels.full import full_units  # noqa: E402
from tt_core.kernels.incremental import IncrementalEvaluator, delta_move  # noqa: E402
from tt_core.kernels.soft_delta import soft_delta_move, soft_delta_swap  # noqa: E402
from tt_core.model import Problem, Timetable  # noqa: E402
from tt_core.solvers.local_search.kernels import keeps_feasible  # noqa: E402

POPULATION = 1000


@njit(cache=True)
def delta_loop(ka, st, lectures, periods, rooms, du):
    """``delta_move`` for every (lecture, period, room) triple; returns a checksum of the deltas."""
    acc = 0
    for i in range(lectures.shape[0]):
        delta_move(ka, st, lectures[i], periods[i], rooms[i], du)
        for k in range(du.shape[0]):
            acc += du[k]
    return acc


@njit(cache=True)
def sa_loop(ka, st, lectures, periods, rooms, w, counts):
    """What the annealer does per candidate move on a feasible timetable: the O(degree) feasibility
    screen, then (if it passes) the exact mutation-free soft delta. counts = [screened, soft deltas]."""
    acc = 0.0
    for i in range(lectures.shape[0]):
        l = lectures[i]
        c = ka.lecture_course[l]
        p = periods[i]
        r = rooms[i]
        if (p == st.period[l] and r == st.room[l]) or (st.all_cover[c, p] > 0 and p != st.period[l]):
            continue
        l2 = -1
        if st.room_cnt[r, p] == 1:
            l2 = st.room_lec[r, p]
            if l2 < 0 or ka.lecture_course[l2] == c:
                continue
        counts[0] += 1
        if not keeps_feasible(ka, st, l, c, p, r, l2):
            continue
        counts[1] += 1
        acc += soft_delta_swap(ka, st, l, l2, w) if l2 >= 0 else soft_delta_move(ka, st, l, p, r, w)
    return acc


@njit(cache=True)
def full_loop(ka, periods, rooms, units):
    """The full kernel on every row of ``periods``/``rooms``; returns a checksum of the units."""
    acc = 0
    for i in range(periods.shape[0]):
        full_units(ka, periods[i], rooms[i], units)
        for k in range(units.shape[0]):
            acc += units[k]
    return acc


def timed(step, seconds: float) -> float:
    """Calls of ``step()`` (which returns how many evaluations it did) per second over ``seconds``."""
    n = 0
    start = time.perf_counter()
    while True:
        n += step()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def random_timetables(problem: Problem, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    L = problem.n_lectures
    return (rng.integers(0, problem.n_periods, (n, L)).astype(np.int32),
            rng.integers(0, problem.n_rooms, (n, L)).astype(np.int32))


def perturbed(start: Timetable, problem: Problem, n: int, rng: np.random.Generator, share: float = 0.1):
    """``n`` copies of ``start`` with about ``share`` of the lectures moved at random."""
    periods = np.tile(start.period, (n, 1))
    rooms = np.tile(start.room, (n, 1))
    moved = rng.random(periods.shape) < share
    periods[moved] = rng.integers(0, problem.n_periods, int(moved.sum()))
    rooms[moved] = rng.integers(0, problem.n_rooms, int(moved.sum()))
    return periods, rooms


def solution_of(path: Path, itc_dir: Path) -> Path:
    found = sorted((itc_dir / "solutions").glob(f"{path.stem}_cost*.sol"))
    if not found:
        raise TimetableError(f"no public solution {path.stem}_cost*.sol in {itc_dir / 'solutions'}")
    return found[0]


def measure(path: Path, itc_dir: Path, seconds: float, seed: int) -> dict:
    pb = read_ctt(path)
    start = read_sol(pb, solution_of(path, itc_dir))
    rng = np.random.default_rng(seed)
    ka = IncrementalEvaluator(pb).ka
    units = np.zeros(N_CONSTRAINTS, np.int64)

    periods, rooms = random_timetables(pb, 256, rng)
    tts = [Timetable(periods[i], rooms[i]) for i in range(len(periods))]
    ev = IncrementalEvaluator(pb, start)
    n_moves = 200_000
    lectures = rng.integers(0, pb.n_lectures, n_moves).astype(np.int32)
    targets_p = rng.integers(0, pb.n_periods, n_moves).astype(np.int32)
    targets_r = rng.integers(0, pb.n_rooms, n_moves).astype(np.int32)
    du = np.zeros(N_CONSTRAINTS, np.int64)
    pop_p, pop_r = perturbed(start, pb, POPULATION, rng)
    before = ev.units

    # warm-up: compile (or load from the cache) and touch every path once
    evaluate(pb, tts[0])
    full_loop(ka, periods[:2], rooms[:2], units)
    reference_units(pb, tts[0])
    delta_loop(ev.ka, ev.state, lectures[:100], targets_p[:100], targets_r[:100], du)
    evaluate_batch(pb, pop_p[:10], pop_r[:10])

    counter = {"i": 0}

    def one_full():
        evaluate(pb, tts[counter["i"] % len(tts)])
        counter["i"] += 1
        return 1

    def one_reference():
        reference_units(pb, tts[counter["i"] % len(tts)])
        counter["i"] += 1
        return 1

    def kernel_chunk():
        full_loop(ka, periods, rooms, units)
        return len(periods)

    chunk = 20_000

    def delta_chunk():
        i = counter["i"] % (n_moves // chunk)
        counter["i"] += 1
        s = slice(i * chunk, (i + 1) * chunk)
        delta_loop(ev.ka, ev.state, lectures[s], targets_p[s], targets_r[s], du)
        return chunk

    def batch():
        evaluate_batch(pb, pop_p, pop_r)
        return POPULATION

    from tt_core.constraints import itc_weights

    w = itc_weights()
    counts = np.zeros(2, np.int64)
    sa_loop(ev.ka, ev.state, lectures[:100], targets_p[:100], targets_r[:100], w, counts)

    def sa_chunk():
        i = counter["i"] % (n_moves // chunk)
        counter["i"] += 1
        s = slice(i * chunk, (i + 1) * chunk)
        before = counts[0]
        sa_loop(ev.ka, ev.state, lectures[s], targets_p[s], targets_r[s], w, counts)
        return int(counts[0] - before)

    row = {"instance": path.stem, "lectures": pb.n_lectures}
    row["full"] = timed(one_full, seconds)
    row["kernel"] = timed(kernel_chunk, seconds)
    row["reference"] = timed(one_reference, seconds)
    row["delta"] = timed(delta_chunk, seconds)
    row["batch"] = timed(batch, seconds)
    counts[:] = 0
    row["sa"] = timed(sa_chunk, seconds)
    row["sa_soft_share"] = counts[1] / max(counts[0], 1)
    if ev.units.tolist() != before.tolist() or ev.timetable() != start:
        raise AssertionError(f"{path.stem}: delta_move changed the state")  # never expected
    return row


def format_table(rows: list[dict]) -> str:
    head = ["instance", "lectures", "full/s numba", "kernel/s", "full/s reference", "ratio",
            "delta/s", "SA moves/s", "soft-delta share", f"batch/s (pop {POPULATION})"]
    body = [[r["instance"], str(r["lectures"]), f"{r['full']:,.0f}", f"{r['kernel']:,.0f}",
             f"{r['reference']:,.0f}", f"{r['full'] / r['reference']:,.0f}x", f"{r['delta']:,.0f}",
             f"{r['sa']:,.0f}", f"{r['sa_soft_share']:.0%}", f"{r['batch']:,.0f}"] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    lines = [" | ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    lines.append("-+-".join("-" * w for w in widths))
    for b in body:
        lines.append(" | ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(b, widths))))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", nargs="*", default=None, help="names (comp01 …) or .ctt paths; default all")
    ap.add_argument("--seconds", type=float, default=1.0, help="duration of each measurement")
    ap.add_argument("--itc-dir", type=Path, default=None, help="default ../shared/itc2007 or $TT_ITC_DIR")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    itc_dir = args.itc_dir or default_itc_dir()
    try:
        paths = resolve_instances(args.instances, itc_dir)
        rows = []
        for path in paths:
            rows.append(measure(path, itc_dir, args.seconds, args.seed))
            print(f"  {path.stem} done", file=sys.stderr, flush=True)
    except TimetableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"evaluator throughput, {args.seconds:g} s per measurement, numba {numba.__version__}, "
          f"{numba.get_num_threads()} thread(s) for the batch")
    print("ratio = full/s numba (evaluate, from Python) / full/s reference")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
