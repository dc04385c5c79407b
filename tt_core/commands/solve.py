"""``tt solve`` and ``tt bench``: solve an ITC2007 ``.ctt`` or extended ``.ectt`` instance (or run the
benchmark harness)."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("solve", help="solve an instance and write an ITC2007 .sol",
                       description="Solve INSTANCE (.ctt or .ectt) and write the timetable as an ITC2007 .sol "
                                   "file.")
    p.add_argument("instance", help=".ctt or .ectt file")
    p.add_argument("--formulation", metavar="UDk", default=None,
                   help="the cost of formulation UD1 ... UD5 of the extended benchmark (default UD2 = ITC2007; "
                        "UD4 makes the listed unsuitable rooms hard)")
    p.add_argument("--strategy", default=None, help="local, cpsat, ga, hierarchical (default: the default strategy)")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="where to write the .sol (default: print the cost only)")
    p.add_argument("--initial", help="a .sol to start from (re-optimise)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_solve)

    b = sub.add_parser("bench", help="ITC2007 benchmark: cost vs best known at a fixed time",
                       description="Run strategies over ITC2007 instances and print the table "
                                   "(same as benchmarks/itc2007.py).")
    b.add_argument("instances", nargs="*", help="names (comp01) or .ctt paths; default: all")
    b.add_argument("--itc-dir", default=None)
    b.add_argument("--strategies", default="local")
    b.add_argument("--time-limit", type=float, default=60.0)
    b.add_argument("--seeds", type=int, default=3)
    b.add_argument("--jobs", type=int, default=2)
    b.add_argument("--csv", default=None)
    b.set_defaults(func=run_bench)


def run_solve(args) -> int:
    from ..benchmark import warm_up
    from ..io.ectt import read_instance
    from ..io.itc2007 import read_sol, write_sol
    from ..profiles import formulation
    from ..solvers import solve

    problem = read_instance(args.instance)
    ectt = str(args.instance).lower().endswith(".ectt")
    form = formulation(args.formulation or "UD2") if (args.formulation or ectt) else None
    weights = None
    if form is not None:
        problem = form.prepare(problem)
        weights = form.weight_vector()
    initial = read_sol(problem, args.initial) if args.initial else None
    warm_up()
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=100, unit="%", desc="solving", file=sys.stderr)

    def progress(ev):
        if bar is not None:
            bar.n = int(ev.fraction * 100)
            bar.set_postfix_str(f"{ev.stage}: cost {ev.best_cost:g}, hard {ev.hard_violations}")
            bar.refresh()

    result = solve(problem, strategy=args.strategy, weights=weights, time_limit=args.time_limit, seed=args.seed,
                   initial=initial, progress=progress)
    if bar is not None:
        bar.close()
    if args.out:
        write_sol(problem, result.timetable, args.out)
    print(result.report.format_validator(layout=form.lines if form is not None else None))
    print(f"strategy {result.strategy}, seed {args.seed}, {result.elapsed:.1f} s"
          + (f", written to {args.out}" if args.out else ""))
    return 0


def run_bench(args) -> int:
    from ..benchmark import resolve_instances, run_all, summary_table, write_csv

    paths = resolve_instances(args.instances, Path(args.itc_dir) if args.itc_dir else None)
    records = run_all(paths, [s for s in args.strategies.split(",") if s], list(range(1, args.seeds + 1)),
                      args.time_limit, jobs=args.jobs)
    print(summary_table(records))
    if args.csv:
        write_csv(records, Path(args.csv))
    return 0
