"""The ITC2007 benchmark harness: run strategies over instances and seeds, validate every result
with the evaluator, and tabulate cost against the best known (used by ``benchmarks/itc2007.py``,
``tt bench`` and the benchmark notebook).
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import TimetableError

# Best known costs (ITC2007 track 3, ../shared/itc2007/README.md; comp01 proven optimal).
BEST_KNOWN = {"comp01": 5, "comp02": 24, "comp03": 62, "comp04": 35, "comp05": 284, "comp06": 27, "comp07": 6}
# The 2007 competition winner's solver at 60 s, seed 1, on a 2-core machine (issue "Solvers I").
WINNER_60S = {"comp01": 5, "comp02": 60, "comp03": 81, "comp04": 42, "comp05": 315, "comp06": 54, "comp07": 20}


def default_itc_dir() -> Path:
    """``$TT_ITC_DIR`` or ``../shared/itc2007`` beside the repository."""
    env = os.environ.get("TT_ITC_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "itc2007"


def resolve_instances(names: list[str] | None, itc_dir: Path | None = None, *, suffix: str = ".ctt",
                      dir_option: str = "--itc-dir") -> list[Path]:
    """Instance names (``comp01``) or paths → existing instance paths, with a clear error.

    Every ``*{suffix}`` file of ``itc_dir`` when no name is given (``.ectt`` for the extended
    benchmark); ``dir_option`` is the command's option that names the folder, for the message.
    """
    itc_dir = Path(itc_dir) if itc_dir else default_itc_dir()
    if not names:
        found = sorted(itc_dir.glob(f"*{suffix}"))
        if not found:
            raise TimetableError(f"no {suffix} instances in {itc_dir}; give instance paths or {dir_option}")
        return found
    out = []
    for n in names:
        p = Path(n)
        if not p.suffix:
            p = itc_dir / f"{n}{suffix}"
        if not p.exists():
            raise TimetableError(f"instance {n}: {p} does not exist")
        out.append(p)
    return out


@dataclass
class RunRecord:
    instance: str
    strategy: str
    seed: int
    time_limit: float
    hard: int
    cost: float
    best_known: float | None
    ratio: float | None
    first_feasible_s: float | None
    elapsed_s: float


_WARM_UP_CTT = """Name: warmup
Courses: 4
Rooms: 2
Days: 5
Periods_per_day: 4
Curricula: 2
Constraints: 2

COURSES:
c1 t1 3 2 30
c2 t2 2 2 40
c3 t1 2 1 20
c4 t3 4 3 45

ROOMS:
rA 32
rB 50

CURRICULA:
q1 2 c1 c2
q2 2 c3 c4

UNAVAILABILITY_CONSTRAINTS:
c1 0 0
c4 4 3

END.
"""


def warm_up() -> None:
    """Compile the numba kernels once (cached on disk) so the clock measures solving only."""
    import numpy as np

    from .io.itc2007 import parse_ctt
    from .model import Timetable
    from .solvers.local_search import solve_local
    from .synth import Recipe, generate

    # A count of steps, no time limit: a time limit would end the run before its annealing loop
    # whenever compiling the construction took longer (an empty cache on a busy machine: 285 s), so
    # the annealing kernel compiled in the first real job instead, past every wait for it.
    # Each problem twice: from scratch, and from every lecture at the first period in the first
    # room, so that the repair's kernels (the forward search's too) compile here as well.
    problem = generate(Recipe.preset("tiny")).problem
    # the same problem read from ITC text: numba specialises on the array types an instance read
    # from a .ctt file has, which can differ from a generated one (without this, the first timed
    # ITC run compiled them: 26 s "to first feasible" on comp01 with an empty cache)
    for pb in (problem, parse_ctt(_WARM_UP_CTT, source="<warm-up>")):
        solve_local(pb, time_limit=math.inf, seed=0, iterations=2000)
        clashing = Timetable(np.zeros(pb.n_lectures, np.int32), np.zeros(pb.n_lectures, np.int32))
        solve_local(pb, time_limit=math.inf, seed=0, iterations=2000, initial=clashing)


def run_one(path: str, strategy: str, seed: int, time_limit: float, out_dir: str | None = None,
            workers: int = 1) -> RunRecord:
    """Solve one instance; the result is re-validated by the evaluator from its ``.sol`` text."""
    from .cost import evaluate
    from .io.itc2007 import format_sol, parse_sol, read_ctt
    from .solvers import solve

    warm_up()
    problem = read_ctt(path)
    t = time.perf_counter()
    options = {"workers": workers} if workers > 1 else {}
    result = solve(problem, strategy=strategy, time_limit=time_limit, seed=seed, **options)
    elapsed = time.perf_counter() - t
    text = format_sol(problem, result.timetable)
    report = evaluate(problem, parse_sol(problem, text, source="<result>"))  # what a validator would read
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / f"{Path(path).stem}_{strategy}_s{seed}.sol").write_text(text)
    name = Path(path).stem
    best = BEST_KNOWN.get(name)
    first = next((e for e, _c, h in result.trace if h == 0), None)
    label = strategy if workers <= 1 else f"{strategy}x{workers}"
    return RunRecord(name, label, seed, time_limit, report.hard_violations, report.soft_cost, best,
                     round(report.soft_cost / best, 3) if best else None,
                     None if first is None else round(first, 2), round(elapsed, 2))


def run_all(instances: list[Path], strategies: list[str], seeds: list[int], time_limit: float,
            jobs: int = 1, out_dir: str | None = None, progress=print, workers: int = 1) -> list[RunRecord]:
    """Every (instance, strategy, seed), ``jobs`` at a time in separate processes; ``workers``
    threads per solve (keep ``jobs * workers`` at the number of cores)."""
    tasks = [(str(p), s, k, time_limit, out_dir, workers) for p in instances for s in strategies for k in seeds]
    records: list[RunRecord] = []
    if jobs <= 1:
        for t in tasks:
            rec = run_one(*t)
            records.append(rec)
            progress(_line(rec))
        return records
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for rec in pool.map(run_one, *zip(*tasks)):
            records.append(rec)
            progress(_line(rec))
    return records


def _line(r: RunRecord) -> str:
    return (f"  {r.instance} {r.strategy} seed {r.seed}: hard {r.hard}, cost {r.cost:g}"
            f" (best {r.best_known}), first feasible {r.first_feasible_s}s")


def summary_table(records: list[RunRecord]) -> str:
    """Per instance and strategy: median cost over seeds, min/max, hard, best known, ratio."""
    rows = []
    keys = sorted({(r.instance, r.strategy) for r in records})
    head = (f"{'instance':9} {'strategy':12} {'seeds':>5} {'hard':>4} {'median':>7} {'min':>5} {'max':>5} "
            f"{'best':>5} {'ratio':>6} {'winner60s':>9} {'1st feas s':>10}")
    rows.append(head)
    rows.append("-" * len(head))
    totals: dict[str, float] = {}
    for inst, strat in keys:
        rs = [r for r in records if r.instance == inst and r.strategy == strat]
        costs = [r.cost for r in rs]
        med = statistics.median(costs)
        totals[strat] = totals.get(strat, 0) + med
        best = rs[0].best_known
        firsts = [r.first_feasible_s for r in rs if r.first_feasible_s is not None]
        rows.append(f"{inst:9} {strat:12} {len(rs):>5} {max(r.hard for r in rs):>4} {med:>7g} {min(costs):>5g} "
                    f"{max(costs):>5g} {best if best is not None else '-':>5} "
                    f"{(med / best) if best else float('nan'):>6.2f} {WINNER_60S.get(inst, '-'):>9} "
                    f"{(max(firsts) if firsts else float('nan')):>10.2f}")
    rows.append("-" * len(head))
    insts = sorted({r.instance for r in records})
    best_sum = sum(BEST_KNOWN.get(i, 0) for i in insts)
    win_sum = sum(WINNER_60S.get(i, 0) for i in insts)
    for strat, tot in totals.items():
        rows.append(f"sum of medians {strat}: {tot:g}   (best known {best_sum}, winner at 60 s {win_sum}, "
                    f"ratio to best {tot / best_sum if best_sum else float('nan'):.3f})")
    return "\n".join(rows)


def write_csv(records: list[RunRecord], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(asdict(records[0]).keys()))
        w.writeheader()
        for r in records:
            w.writerow(asdict(r))
