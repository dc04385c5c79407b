"""ITC2019 reader and evaluator on every instance of ``../shared/itc2019`` (or the paths given).

    .venv/bin/python benchmarks/itc2019_evaluator.py [INSTANCE.xml ...] [--seconds 1] [--seed 1]

Per instance:

* parse: ``read_problem_xml`` wall and CPU time (best of 2) and the peak of Python + numpy
  allocations while parsing (``tracemalloc``, a separate run), next to the file size;
* the solution evaluated: the published one in ``solutions/`` when there is one (its total is
  printed), else a random assignment (a random time and room per class, each student a random
  config and one class per subpart with the parents of the chosen classes);
* full evaluation: ``tt_core.classes.evaluate`` (Python entry point: checks, copies, report) and the
  numba kernel ``full_units`` alone, milliseconds per call;
* delta: ``move_delta`` for random class moves (random class, random time option, random room
  option) from a numba loop on the incremental state, per second; the state is unchanged.

The first call of each kernel compiles (or loads numba's cache); everything is warmed up first.
Rates are the best of three runs of ``--seconds`` each; timings on a shared machine are still
noisy (a descheduled process costs a delta loop hundreds of microseconds): compare versions on a
quiet one.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tt_core.classes import ClassSolution, evaluate
from tt_core.classes.kernels import (
    N_UNITS,
    class_arrays,
    full_units,
    init_state,
    move_delta,
    solution_arrays,
)
from tt_core.errors import TimetableError
from tt_core.io.itc2019 import read_problem_xml, read_solution_xml

DEFAULT_DIR = ROOT.parent / "shared" / "itc2019"


# Not cached (numba's cache of a caller would keep stale copies of the kernels it calls), and
# without reference counting like the kernels themselves: what a solver's loop would look like.
@njit(nogil=True, _nrt=False)
def delta_loop(ka, st, classes, times, rooms):
    """``move_delta`` for every (class, time, room) triple; returns a checksum of the deltas."""
    acc = 0
    for i in range(classes.shape[0]):
        acc += move_delta(ka, st, classes[i], times[i], rooms[i])
    return acc


def random_moves(problem, n: int, rng: np.random.Generator):
    c = rng.integers(0, problem.n_classes, n)
    nt = np.diff(problem.time_ptr)[c]
    nr = np.diff(problem.room_option_ptr)[c]
    t = (rng.random(n) * nt).astype(np.int64)
    o = np.where(nr > 0, (rng.random(n) * np.maximum(nr, 1)).astype(np.int64), -1)
    return c.astype(np.int64), t, o


def random_solution(problem, rng: np.random.Generator) -> ClassSolution:
    """A random assignment and a random sectioning that takes the parents of the classes it picks."""
    nt = np.diff(problem.time_ptr)
    nr = np.diff(problem.room_option_ptr)
    time = (rng.random(problem.n_classes) * nt).astype(np.int32)
    room = np.where(nr > 0, (rng.random(problem.n_classes) * np.maximum(nr, 1)).astype(np.int32), -1)
    students = []
    for s in range(problem.n_students):
        mine: set[int] = set()
        for k in problem.student_courses[problem.student_ptr[s]:problem.student_ptr[s + 1]]:
            f = int(rng.integers(problem.course_config_ptr[k], problem.course_config_ptr[k + 1]))
            chosen: dict[int, int] = {}
            for sp in reversed(range(problem.config_subpart_ptr[f], problem.config_subpart_ptr[f + 1])):
                if sp in chosen:
                    continue
                c = int(rng.integers(problem.subpart_class_ptr[sp], problem.subpart_class_ptr[sp + 1]))
                while c >= 0 and int(problem.class_subpart[c]) not in chosen:
                    chosen[int(problem.class_subpart[c])] = c
                    c = int(problem.class_parent[c])
            mine.update(chosen.values())
        students.append(sorted(mine))
    return ClassSolution.create(problem, time, room, students=students)


def per_second(fn, seconds: float, repeats: int = 3) -> float:
    """Calls of ``fn`` per second over about ``seconds``, the best of ``repeats`` runs."""
    best = 0.0
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, n / elapsed)
    return best


def measure(path: Path, seconds: float, seed: int) -> dict:
    best, best_cpu = float("inf"), float("inf")
    for _ in range(2):
        start, cpu = time.perf_counter(), time.process_time()
        problem = read_problem_xml(path)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    tracemalloc.start()
    read_problem_xml(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rng = np.random.default_rng(seed)
    sol_path = path.parent / "solutions" / path.name
    if sol_path.is_file():
        solution, which = read_solution_xml(problem, sol_path), "published"
    else:
        solution, which = random_solution(problem, rng), "random"
    report = evaluate(problem, solution)  # warm-up (compiles or loads the cache)
    python_rate = per_second(lambda: evaluate(problem, solution), seconds)
    ka = class_arrays(problem)
    arrays = solution_arrays(solution)
    dist_units = np.zeros(problem.n_distributions, np.int64)
    units = np.zeros(N_UNITS, np.int64)
    full_units(ka, *arrays, dist_units, units)
    kernel_rate = per_second(lambda: full_units(ka, *arrays, dist_units, units), seconds)
    st = init_state(ka, *arrays)
    assert st.units.tolist() == list(report.units.values())
    c, t, o = random_moves(problem, 1000, rng)
    delta_loop(ka, st, c, t, o)
    n = 20_000
    while True:  # a batch of moves that takes about `seconds`
        c, t, o = random_moves(problem, n, rng)
        start = time.perf_counter()
        delta_loop(ka, st, c, t, o)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or n >= 50_000_000:
            break
        n *= 4
    for _ in range(2):
        c, t, o = random_moves(problem, n, rng)
        start = time.perf_counter()
        delta_loop(ka, st, c, t, o)
        elapsed = min(elapsed, time.perf_counter() - start)
    assert st.units.tolist() == list(report.units.values())  # deltas change nothing
    return {
        "instance": problem.name, "MB": path.stat().st_size / 1e6, "classes": problem.n_classes,
        "students": problem.n_students, "parse_s": best, "parse_cpu_s": best_cpu, "peak_MB": peak / 1e6,
        "solution": which, "hard": report.hard_violations, "total": report.total,
        "eval_ms": 1000 / python_rate, "kernel_ms": 1000 / kernel_rate, "delta_per_s": n / elapsed,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instances", nargs="*", help=f"ITC2019 XML files (default: every *.xml of {DEFAULT_DIR})")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.instances] or sorted(DEFAULT_DIR.glob("*.xml"), key=lambda p: p.stat().st_size)
    if not paths:
        print(f"no instances: give paths, or put them in {DEFAULT_DIR}", file=sys.stderr)
        return 2
    cols = ["instance", "MB", "classes", "students", "parse_s", "parse_cpu_s", "peak_MB", "solution", "hard",
            "total", "eval_ms", "kernel_ms", "delta_per_s"]
    heads = ["instance", "XML MB", "classes", "students", "parse s", "parse CPU s", "parse peak MB", "solution",
             "hard", "total", "evaluate ms", "kernel ms", "delta/s"]
    print(" | ".join(heads))
    print("|".join("---" for _ in heads))
    for path in paths:
        try:
            row = measure(path, args.seconds, args.seed)
        except TimetableError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        cells = []
        for col in cols:
            v = row[col]
            if col in ("MB", "peak_MB"):
                cells.append(f"{v:.1f}")
            elif col in ("parse_s", "parse_cpu_s") or col in ("eval_ms", "kernel_ms"):
                cells.append(f"{v:.2f}")
            elif col == "delta_per_s":
                cells.append(f"{v:,.0f}")
            elif isinstance(v, int):
                cells.append(f"{v:,}")
            else:
                cells.append(str(v))
        print(" | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
