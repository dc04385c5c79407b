"""GA benchmarks: (a) Dask island scaling, 1 vs 2 workers; (b) GA vs local search at equal time.

    .venv/bin/python benchmarks/ga.py --part a --instance comp07 --time-limit 20
    .venv/bin/python benchmarks/ga.py --part b --time-limit 20 --seeds 1 [comp01 ... comp07]

(a) One island per Dask worker (``LocalCluster(n, threads_per_worker=1, processes=True)``),
    default GA settings, same wall time. Reports GA fitness evaluations (individuals evaluated by
    the batch evaluator) and memetic annealing steps, per second of the solve's wall time, and
    the best cost. Cluster start-up and the workers' first numba load are excluded (a warm-up
    task runs on every worker first); everything after ``solve_ga`` is called is included.
(b) ``solve(strategy="ga")`` (one population, this process, one core) against
    ``solve(strategy="local")`` with the same time limit and seeds, one run at a time, each
    result re-validated from its ``.sol`` text (``tt_core.benchmark.run_one``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tt_core.benchmark import resolve_instances, run_all, summary_table, write_csv  # noqa: E402
from tt_core.errors import TimetableError  # noqa: E402


def warm_worker() -> float:
    """Load every numba kernel the GA uses in this process (runs on each Dask worker)."""
    from tt_core.solvers.ga import solve_ga
    from tt_core.synth import Recipe, generate

    t = time.perf_counter()
    solve_ga(generate(Recipe.preset("tiny")).problem, time_limit=120, seed=0, generations=2, population=4,
             local_iterations=1000, init_iterations=1000)
    return time.perf_counter() - t


def part_a(path: Path, time_limit: float, seed: int) -> None:
    from distributed import Client, LocalCluster

    from tt_core.cost import evaluate
    from tt_core.io.itc2007 import read_ctt
    from tt_core.solvers.ga import solve_ga

    problem = read_ctt(path)
    print(f"(a) {path.stem}: {time_limit:g} s, one island per Dask worker, seed {seed}")
    rows = []
    for workers in (1, 2):
        t = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": ":0"})
        client = Client(cluster)
        try:
            start = time.perf_counter() - t
            warm = client.run(warm_worker)
            res = solve_ga(problem, time_limit=time_limit, seed=seed, islands=workers, client=client)
        finally:
            client.close()
            cluster.close()
        assert evaluate(problem, res.timetable).soft_cost == res.cost
        st = res.stats
        rows.append((workers, res.elapsed, st["evaluations"], st["evaluations"] / res.elapsed,
                     st["local_iterations"] / res.elapsed, sum(st["generations"]), st["migrants_received"],
                     res.hard_violations, res.cost, st["cpu_seconds"], start, max(warm.values())))
    head = (f"{'workers':>7} {'wall s':>7} {'evals':>6} {'evals/s':>8} {'anneal steps/s':>15} {'gens':>5} "
            f"{'migr in':>7} {'hard':>4} {'cost':>6} {'island CPU s':>12} {'cluster start s':>15} "
            f"{'worker warm-up s':>16}")
    print(head)
    print("-" * len(head))
    for w, el, ev, evs, ls, g, mig, h, c, cpu, st_s, wu in rows:
        print(f"{w:>7} {el:>7.1f} {ev:>6} {evs:>8.2f} {ls:>15,.0f} {g:>5} {mig:>7} {h:>4} {c:>6g} {cpu:>12.1f} "
              f"{st_s:>15.1f} {wu:>16.1f}")
    print(f"speed-up 2 vs 1 workers: evaluations/s x{rows[1][3] / rows[0][3]:.2f}, "
          f"annealing steps/s x{rows[1][4] / rows[0][4]:.2f}, CPU seconds the islands got "
          f"x{rows[1][9] / rows[0][9]:.2f}")
    print(f"load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other processes share the cores: the speed-up cannot exceed the CPU share the islands get)")


def part_b(paths: list[Path], time_limit: float, seeds: list[int], csv: Path | None) -> None:
    from tt_core.solvers.ga import solve_ga
    from tt_core.synth import Recipe, generate

    print(f"(b) GA vs local search, {time_limit:g} s per run, seeds {seeds}, one run at a time")
    solve_ga(generate(Recipe.preset("tiny")).problem, time_limit=60, seed=0, generations=2, population=4,
             local_iterations=1000, init_iterations=1000)  # numba kernels loaded before the clock runs
    records = run_all(paths, ["local", "ga"], seeds, time_limit, jobs=1)
    print()
    print(summary_table(records))
    print()
    head = f"{'instance':9} {'local':>7} {'ga':>7} {'winner':>7}"
    print(head)
    print("-" * len(head))
    wins = {"local": 0, "ga": 0, "tie": 0}
    for inst in sorted({r.instance for r in records}):
        med = {}
        for s in ("local", "ga"):
            rs = [r for r in records if r.instance == inst and r.strategy == s]
            # an infeasible result loses to any feasible one: rank by (hard, cost)
            med[s] = (statistics.median(r.hard for r in rs), statistics.median(r.cost for r in rs))
        win = "tie" if med["local"] == med["ga"] else min(med, key=med.get)
        wins[win] += 1

        def fmt(m):
            return f"{m[1]:g}" + (f" ({m[0]:g}h)" if m[0] else "")

        print(f"{inst:9} {fmt(med['local']):>7} {fmt(med['ga']):>7} {win:>7}")
    print(f"local search wins {wins['local']}, GA wins {wins['ga']}, ties {wins['tie']}")
    path = csv or Path(__file__).parent / "results" / f"ga-vs-local-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    write_csv(records, path)
    print(f"CSV: {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instances", nargs="*", help="(b) names (comp01) or .ctt paths; default: comp01-comp07")
    ap.add_argument("--part", choices=("a", "b", "both"), default="both")
    ap.add_argument("--instance", default="comp07", help="(a) the instance")
    ap.add_argument("--itc-dir", type=Path, default=None)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seeds", type=int, default=1, help="(b) seeds 1..N")
    ap.add_argument("--csv", type=Path, default=None, help="(b) default benchmarks/results/ga-vs-local-<time>.csv")
    args = ap.parse_args(argv)
    try:
        if args.part in ("a", "both"):
            part_a(resolve_instances([args.instance], args.itc_dir)[0], args.time_limit, seed=1)
            print()
        if args.part in ("b", "both"):
            names = args.instances or [f"comp0{i}" for i in range(1, 8)]
            part_b(resolve_instances(names, args.itc_dir), args.time_limit, list(range(1, args.seeds + 1)),
                   args.csv)
    except TimetableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
