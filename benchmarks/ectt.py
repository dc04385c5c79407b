"""Extended curriculum-based benchmark (``.ectt``): cost and time to the first feasible timetable.

    .venv/bin/python benchmarks/ectt.py --time-limit 60 --formulations UD2,UD4 [DDS1 Udine3 ...]

Solves every instance of ../shared/ectt (or the names / paths given) under each formulation with
the default strategy (one thread per solve, ``--jobs`` solves at once), scores the result again with
the evaluator under that formulation (UD4: the listed unsuitable rooms hard) and prints, per
instance and formulation: hard violations, cost, and the time the solver's trace first shows a
timetable without hard violations. Writes a CSV (``benchmarks/results/ectt-<time>.csv``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tt_core.benchmark import resolve_instances  # noqa: E402
from tt_core.errors import TimetableError  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "ectt"
FIELDS = ["instance", "formulation", "seed", "time_limit", "hard", "cost", "feasible_at", "elapsed", "strategy"]


def instance_paths(names: list[str], folder: Path) -> list[Path]:
    """Names (``DDS1``) or paths -> existing ``.ectt`` paths; all of ``folder`` when none."""
    try:
        return resolve_instances(names, folder, suffix=".ectt", dir_option="--dir")
    except TimetableError as exc:
        raise SystemExit(f"error: {exc}") from None


def run_one(path: str, form_name: str, seed: int, time_limit: float, out_dir: str | None = None) -> dict:
    """Solve one instance under one formulation; a picklable summary (runs in a worker process)."""
    from tt_core.cost import evaluate
    from tt_core.io.ectt import read_ectt
    from tt_core.io.itc2007 import write_sol
    from tt_core.profiles import formulation
    from tt_core.solvers import solve

    form = formulation(form_name)
    problem = form.prepare(read_ectt(path))
    weights = form.weight_vector()
    result = solve(problem, weights=weights, time_limit=time_limit, seed=seed)
    report = evaluate(problem, result.timetable, weights)  # scored again, not taken from the solver
    hard = sum(int(report.units[i]) for _, i, h in form.lines if h)
    cost = sum(float(report.units[i] * report.weights[i]) for _, i, h in form.lines if not h)
    feasible_at = next((t for t, _, h in result.trace if h == 0), None)
    if out_dir:
        write_sol(problem, result.timetable, Path(out_dir) / f"{Path(path).stem}.{form.name}.sol")
    return {"instance": Path(path).stem, "formulation": form.name, "seed": seed, "time_limit": time_limit,
            "hard": hard, "cost": int(cost) if float(cost).is_integer() else cost,
            "feasible_at": None if feasible_at is None else round(feasible_at, 2),
            "elapsed": round(result.elapsed, 1), "strategy": result.strategy}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instances", nargs="*", help="names (DDS1) or .ectt paths; default: all in --dir")
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"default {DEFAULT_DIR}")
    ap.add_argument("--formulations", default="UD2,UD4", help="comma-separated, of UD1 ... UD5")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="solves at once (processes, one thread each)")
    ap.add_argument("--csv", type=Path, default=None, help="default benchmarks/results/ectt-<time>.csv")
    ap.add_argument("--out-dir", default=None, help="also write each timetable here (<instance>.<UDk>.sol)")
    args = ap.parse_args(argv)
    paths = instance_paths(args.instances, args.dir)
    forms = [f.strip().upper() for f in args.formulations.split(",") if f.strip()]
    print(f"{len(paths)} instance(s) x {forms} at {args.time_limit:g} s, seed {args.seed}, {args.jobs} at a time")
    if args.out_dir:
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    tasks = [(str(p), f, args.seed, args.time_limit, args.out_dir) for p in paths for f in forms]
    # each worker compiles (or loads) the numba kernels once, before its first timed solve
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=_warm_up) as pool:
        futures = [pool.submit(run_one, *t) for t in tasks]
        records = []
        for fut in futures:
            rec = fut.result()
            records.append(rec)
            print(f"  {rec['instance']:<10} {rec['formulation']}: hard {rec['hard']}, cost {rec['cost']}, "
                  f"feasible at {rec['feasible_at']} s", flush=True)
    print()
    print(table(records, forms))
    csv_path = args.csv or Path(__file__).parent / "results" / f"ectt-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(records)
    print(f"\nCSV: {csv_path}")
    return 0


def _warm_up() -> None:
    from tt_core.benchmark import warm_up

    warm_up()


def table(records: list[dict], forms: list[str]) -> str:
    """One row per instance: per formulation ``cost`` (``Hn/cost`` when infeasible) and time to feasible."""
    by = {(r["instance"], r["formulation"]): r for r in records}
    names = sorted({r["instance"] for r in records}, key=lambda n: (n.rstrip("0123456789"), len(n), n))
    head = "instance   | " + " | ".join(f"{f} cost | {f} feas. s" for f in forms)
    lines = [head, "-" * len(head)]
    for n in names:
        cells = []
        for f in forms:
            r = by.get((n, f))
            if r is None:
                cells += ["", ""]
                continue
            cost = f"{r['cost']}" if r["hard"] == 0 else f"H{r['hard']}/{r['cost']}"
            cells += [f"{cost:>{len(f) + 5}}", f"{'-' if r['feasible_at'] is None else r['feasible_at']:>{len(f) + 9}}"]
        lines.append(f"{n:<10} | " + " | ".join(cells))
    worst = [max((r["feasible_at"] for r in records if r["formulation"] == f and r["feasible_at"] is not None),
                 default=None) for f in forms]
    unsolved = [sum(1 for r in records if r["formulation"] == f and r["hard"]) for f in forms]
    lines.append("")
    lines += [f"{f}: {u} infeasible, slowest time to feasible {w} s" for f, u, w in zip(forms, unsolved, worst)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
