"""Hierarchical pipeline on synthetic universities: time to feasible, cost per stage, memory.

    .venv/bin/python benchmarks/hierarchical.py                     # large + medium, 120 s each
    .venv/bin/python benchmarks/hierarchical.py medium --time-limit 30 --no-parallel
    .venv/bin/python benchmarks/hierarchical.py large --baselines local

For each preset (``large``: 2,500 courses / 25,000 students / 127 departments; ``medium``: 500
courses) it runs ``strategy="hierarchical"`` (stage 1 on a private Dask ``LocalCluster`` unless
``--no-parallel``) and the baselines at the same time limit: ``cpsat`` = CP-SAT on the whole
instance at once with the soft objective (default for medium), ``local`` = simulated annealing
alone. Every result is re-checked with the evaluator. Printed: one row per run (time to the first
timetable with zero hard violations, final soft cost and hard violations, memory), the per-stage
table of the hierarchical run and where its stages spent their time.

Each run is a fresh Python process (this script with ``--child``), warmed up (numba kernels,
OR-tools) before the clock starts, so that memory figures are per run: the resident set size
before the solve and its peak during the solve, sampled every 0.1 s, of the process and all its
children (the Dask worker processes). The baseline (~0.3 GB) is the interpreter with numpy,
numba, OR-tools and the instance.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MB = 1024 * 1024


class MemoryPeak:
    """Samples the RSS of this process and its children (recursively) in a background thread."""

    def __init__(self, interval: float = 0.1):
        import psutil

        self.interval = interval
        self.peak_total = 0
        self.peak_main = 0
        self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()
        self._error = psutil.Error

    def _sample(self) -> None:
        main = self._proc.memory_info().rss
        children = 0
        for child in self._proc.children(recursive=True):
            try:
                children += child.memory_info().rss
            except self._error:
                pass
        self.peak_main = max(self.peak_main, main)
        self.peak_children = max(self.peak_children, children)
        self.peak_total = max(self.peak_total, main + children)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> MemoryPeak:
        self._sample()
        self.before = self.peak_total
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


class FirstFeasible:
    """Progress subscriber: the first elapsed time of an event with zero hard violations.

    Hierarchical and local report whole-timetable costs. CP-SAT reports hard 0 on its first
    solution; with the aggregated room model (medium, large) its rooms are only assigned when
    the solve ends, so that time is the first solution of the period model.
    """

    def __init__(self):
        self.at = None

    def __call__(self, ev) -> None:
        if self.at is None and ev.hard_violations == 0:
            self.at = ev.elapsed


def child(preset: str, strategy: str, time_limit: float, seed: int, parallel: bool) -> dict:
    """One measured run in this (fresh) process; returns a JSON-able summary."""
    import gc

    from tt_core.cost import evaluate
    from tt_core.solvers import solve
    from tt_core.synth import Recipe, generate

    tiny = generate(Recipe.preset("tiny")).problem
    solve(tiny, strategy=strategy, time_limit=1.0, seed=0)  # warm-up, outside the measurement
    if strategy == "hierarchical":
        solve(tiny, strategy="cpsat", time_limit=0.5, seed=0)  # OR-tools loaded like in the others
    t0 = time.perf_counter()
    problem = generate(Recipe.preset(preset)).problem
    gen_s = time.perf_counter() - t0
    options = {"objective": "soft"} if strategy == "cpsat" else {}
    if strategy == "hierarchical":
        options["parallel"] = parallel
    gc.collect()
    first = FirstFeasible()
    t0 = time.perf_counter()
    with MemoryPeak() as mem:
        res = solve(problem, strategy=strategy, time_limit=time_limit, seed=seed, progress=first, **options)
    wall = time.perf_counter() - t0
    rep = evaluate(problem, res.timetable)  # never trust a solver's own report
    feasible_at = first.at
    if strategy == "hierarchical":
        feasible_at = res.stats.get("time_to_feasible")
    out = {"strategy": strategy + (" (dask)" if options.get("parallel") else ""), "wall": wall,
           "feasible_at": feasible_at, "soft": float(rep.soft_cost), "hard": rep.hard_violations,
           "unplaced": res.timetable.n_unplaced, "mem_before": mem.before / MB, "mem_total": mem.peak_total / MB,
           "mem_main": mem.peak_main / MB, "mem_children": mem.peak_children / MB, "generate_s": gen_s,
           "summary": problem.summary()}
    if strategy == "hierarchical":
        out["stages"] = res.stats["stages"]
        out["groups"] = res.stats.get("groups", [])
        out["cluster_close_seconds"] = res.stats.get("cluster_close_seconds", 0.0)
    if strategy == "cpsat":
        out["cpsat"] = {k: res.stats.get(k) for k in ("status", "rooms_model", "build_time", "solutions")}
    return out


def fmt(x, spec=".1f", none="-"):
    return none if x is None else format(x, spec)


def print_runs(name: str, rows: list[dict], time_limit: float) -> None:
    print(f"\n## {name}: runs at {time_limit:g} s")
    print(f"| {'strategy':<20} | {'wall s':>7} | {'0 hard at s':>11} | {'soft cost':>9} | {'hard':>5} | "
          f"{'RSS before MB':>13} | {'peak RSS MB (main + workers)':>28} |")
    print(f"|{'-' * 22}|{'-' * 9}|{'-' * 13}|{'-' * 11}|{'-' * 7}|{'-' * 15}|{'-' * 30}|")
    for r in rows:
        mem = f"{r['mem_total']:.0f} ({r['mem_main']:.0f} + {r['mem_children']:.0f})"
        print(f"| {r['strategy']:<20} | {r['wall']:>7.1f} | {fmt(r['feasible_at']):>11} | {r['soft']:>9g} | "
              f"{r['hard']:>5} | {r['mem_before']:>13.0f} | {mem:>28} |")


def print_stages(r: dict) -> None:
    import numpy as np

    print("\nhierarchical, per stage (cost and hard violations of the courses scheduled so far):")
    print(f"| {'stage':<22} | {'seconds':>7} | {'ends at':>7} | {'courses':>7} | {'lectures':>8} | "
          f"{'soft cost':>9} | {'hard':>5} |")
    print(f"|{'-' * 24}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 11}|{'-' * 7}|")
    for s in r["stages"]:
        print(f"| {s['stage']:<22} | {s['seconds']:>7.1f} | {s['end']:>7.1f} | {s['courses']:>7} | "
              f"{s['lectures']:>8} | {s['soft_cost']:>9g} | {s['hard_violations']:>5} |")
    s1 = r["stages"][0]
    groups = r["groups"]
    if groups:
        sec = np.array([g["seconds"] for g in groups])
        print(f"\nstage 1: {len(groups)} groups, mode {s1.get('mode')}, "
              f"cluster start {s1.get('cluster_seconds', 0.0):.1f} s "
              f"(closed in the background in {r.get('cluster_close_seconds', 0.0):.1f} s), "
              f"group work {sec.sum():.1f} s (per group median {np.median(sec):.2f} s, max {sec.max():.2f} s), "
              f"CP-SAT {sum(g['cpsat_seconds'] for g in groups):.1f} s in {s1.get('cpsat_runs', 0)} groups, "
              f"annealing {sum(g['anneal_seconds'] for g in groups):.1f} s; "
              f"greedy start infeasible in {sum(g['construct_hard'] > 0 for g in groups)} groups, "
              f"still infeasible after stage 1 in {s1.get('groups_infeasible', 0)}")
    for step in r["stages"][1].get("steps", []):
        print(f"stage 2, {step['step']}: {step['lectures']} lectures ({step.get('hinted', 0)} placed by stage 1 as "
              f"hints), pinned pass {step['pinned_seconds']:.1f} s "
              f"-> {step['pinned_hard']} hard; freeing pass {step['freeing_seconds']:.1f} s, "
              f"{step['moved_earlier']} earlier lectures moved -> {step['hard_violations']} hard")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("presets", nargs="*", default=["large", "medium"])
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-parallel", action="store_true", help="stage 1 in this process instead of Dask")
    ap.add_argument("--baselines", default=None,
                    help="comma-separated strategies to compare (default: cpsat for medium, none for large)")
    ap.add_argument("--child", nargs=2, metavar=("PRESET", "STRATEGY"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.time_limit, args.seed, not args.no_parallel)))
        return 0

    for name in args.presets:
        if args.baselines is None:
            baselines = ["cpsat"] if name == "medium" else []
        else:
            baselines = [b for b in args.baselines.split(",") if b]
        rows = []
        for strategy in ["hierarchical", *baselines]:
            cmd = [sys.executable, __file__, "--child", name, strategy, "--time-limit", str(args.time_limit),
                   "--seed", str(args.seed)] + (["--no-parallel"] if args.no_parallel else [])
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                return done.returncode
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        s = rows[0]["summary"]
        print(f"\n# {name}: {s['courses']} courses, {s['lectures']} lectures, {s['rooms']} rooms, "
              f"{s['curricula']} curricula, {s['departments']} departments "
              f"(generated in {rows[0]['generate_s']:.1f} s)")
        print_runs(name, rows, args.time_limit)
        print_stages(rows[0])
        for r in rows:
            if "cpsat" in r:
                st = r["cpsat"]
                print(f"cpsat: status {st['status']}, rooms model {st['rooms_model']}, build {st['build_time']:.1f} s, "
                      f"{st['solutions']} solutions, {r['unplaced']} lectures unplaced")
    return 0


if __name__ == "__main__":
    sys.exit(main())
