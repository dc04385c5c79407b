"""Batch fitness throughput: timetables evaluated per second, numba vs CuPy, 1k-100k per batch.

    .venv/bin/python benchmarks/gpu.py [--instance comp07] [--sizes 1000,10000,100000] [--numpy]

Every batch holds perturbed copies of one greedy timetable (5% of the lectures moved at random,
as a GA population looks) of an ITC2007 instance. Each back end is warmed up first (numba
compilation / CuPy kernel compilation and the copy of the problem to the device are excluded),
then every batch is evaluated ``--repeat`` times and the best time is kept. Both back ends must
return identical units: the script checks it and fails otherwise. CuPy rows say why they are
missing where no GPU works. ``--numpy`` adds the CuPy array program run by NumPy on the CPU (the
reference the tests use), for sizes up to 10k.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tt_core import hardware  # noqa: E402
from tt_core.benchmark import default_itc_dir  # noqa: E402
from tt_core.io.itc2007 import read_ctt  # noqa: E402
from tt_core.kernels.gpu import batch_evaluate  # noqa: E402
from tt_core.solvers.local_search import construct  # noqa: E402


def population(problem, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    base = construct(problem, seed=0)
    L = problem.n_lectures
    periods = np.repeat(base.period[None, :], n, axis=0)
    rooms = np.repeat(base.room[None, :], n, axis=0)
    moved = rng.random((n, L)) < 0.05
    periods[moved] = rng.integers(0, problem.n_periods, int(moved.sum()))
    rooms[moved] = rng.integers(0, problem.n_rooms, int(moved.sum()))
    return periods, rooms


def timed(problem, periods, rooms, backend: str, repeat: int) -> tuple[float, np.ndarray]:
    best = float("inf")
    units = None
    for _ in range(repeat):
        t = time.perf_counter()
        units = batch_evaluate(problem, periods, rooms, backend=backend)
        if backend == "cupy":
            import cupy

            cupy.cuda.Device().synchronize()
        best = min(best, time.perf_counter() - t)
    return best, units


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="comp07", help="ITC2007 name or .ctt path (default comp07)")
    ap.add_argument("--itc-dir", type=Path, default=None)
    ap.add_argument("--sizes", default="1000,3000,10000,30000,100000")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size and back end (best kept)")
    ap.add_argument("--numpy", action="store_true", help="also time the array program on NumPy (<= 10k)")
    args = ap.parse_args(argv)
    path = Path(args.instance)
    if not path.suffix:
        path = (args.itc_dir or default_itc_dir()) / f"{args.instance}.ctt"
    problem = read_ctt(path)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    hw = hardware.detect()
    import numba

    print(f"{problem.name} ({path.stem}): {problem.n_lectures} lectures, {problem.n_courses} courses, "
          f"{problem.n_rooms} rooms, {problem.n_periods} periods")
    print(f"CPU: {hw.cores} cores, numba threads {numba.get_num_threads()}; "
          f"GPU: {hw.gpu_name if hw.gpu else 'none'} ({hw.reason})")
    backends = ["numba"] + (["numpy"] if args.numpy else []) + ["cupy"]
    rng = np.random.default_rng(0)
    warm_p, warm_r = population(problem, 64, rng)
    for b in backends:
        if b != "cupy" or hw.gpu:
            batch_evaluate(problem, warm_p, warm_r, backend=b)
    head = f"{'batch':>8} {'back end':>9} {'seconds':>9} {'timetables/s':>13} {'vs numba':>9}"
    print()
    print(head)
    print("-" * len(head))
    for n in sizes:
        periods, rooms = population(problem, n, rng)
        t_numba, ref = timed(problem, periods, rooms, "numba", args.repeat)
        print(f"{n:>8} {'numba':>9} {t_numba:>9.4f} {n / t_numba:>13,.0f} {1.0:>9.2f}")
        for b in backends[1:]:
            if b == "cupy" and not hw.gpu:
                print(f"{n:>8} {'cupy':>9} {'-':>9} {'no GPU':>13} {'-':>9}   ({hw.reason})")
                continue
            if b == "numpy" and n > 10_000:
                continue
            t, units = timed(problem, periods, rooms, b, 1 if b == "numpy" else args.repeat)
            if not np.array_equal(units, ref):
                print(f"error: the {b} units differ from numba's for batch {n}", file=sys.stderr)
                return 1
            print(f"{n:>8} {b:>9} {t:>9.4f} {n / t:>13,.0f} {t_numba / t:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
