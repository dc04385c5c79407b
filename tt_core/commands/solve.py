"""``tt solve`` and ``tt bench``: solve an ITC2007 instance (or run the benchmark harness); an
ITC2019 XML instance is handed to :func:`tt_core.commands.itc2019.run_solve`."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("solve", help="solve an instance and write its solution (.sol or ITC2019 XML)",
                       description="Solve INSTANCE and write the timetable: an ITC2007 .ctt as an ITC2007 "
                                   ".sol file, an ITC2019 XML instance (.xml, or any file whose first element "
                                   "is <problem>) as an ITC2019 solution XML with its students.")
    p.add_argument("instance", help=".ctt or ITC2019 .xml file")
    p.add_argument("--strategy", default=None,
                   help="local, cpsat, ga, hierarchical for .ctt (default: local); classes for ITC2019 XML")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="where to write the solution (default: print the cost only)")
    p.add_argument("--initial", help="a solution to start from (re-optimise): .sol, or ITC2019 solution XML")
    p.add_argument("--workers", type=int, default=None,
                   help="ITC2019 only: searches run at once in threads (default 1)")
    p.add_argument("--maxblock", choices=("competition", "rules"), default=None,
                   help="ITC2019 only: the MaxBlock reading the solver optimises and reports (default competition)")
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
    from ..io.itc2019 import looks_like_itc2019
    from . import itc2019

    if looks_like_itc2019(args.instance):
        return itc2019.run_solve(args)
    itc2019.refuse_maxblock(args)
    if args.workers is not None:
        from ..errors import TimetableError

        raise TimetableError(f"--workers applies to ITC2019 XML instances; {args.instance} is not one "
                             "(the CP-SAT and GA strategies take their workers from the job settings)")
    from ..benchmark import warm_up
    from ..io.itc2007 import read_ctt, read_sol, write_sol
    from ..solvers import solve

    problem = read_ctt(args.instance)
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

    result = solve(problem, strategy=args.strategy, time_limit=args.time_limit, seed=args.seed,
                   initial=initial, progress=progress)
    if bar is not None:
        bar.close()
    if args.out:
        write_sol(problem, result.timetable, args.out)
    print(result.report.format_validator())
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
