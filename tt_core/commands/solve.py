"""``tt solve`` and ``tt bench``: solve an ITC2007 ``.ctt`` or extended ``.ectt`` instance (or run the
benchmark harness); an ITC2019 XML instance is handed to :func:`tt_core.commands.itc2019.run_solve`.

``--time-limit`` is the solve's: reading the instance and the start-up (the strategy's imports,
numba's compiled kernels: a second or two, longer the first time after an install) come before
its clock starts and are reported. Data that no timetable can satisfy (the counting checks of
``tt check``) are said up front, before solving.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .progress import progress_bar


def register(sub) -> None:
    p = sub.add_parser("solve", help="solve an instance and write its solution (.sol or ITC2019 XML)",
                       description="Solve INSTANCE and write the timetable: an ITC2007 .ctt or extended .ectt "
                                   "as an ITC2007 .sol file, an ITC2019 XML instance (.xml, or any file whose "
                                   "first element is <problem>) as an ITC2019 solution XML with its students.")
    p.add_argument("instance", help=".ctt, .ectt or ITC2019 .xml file")
    p.add_argument("--formulation", metavar="UDk", default=None,
                   help="the cost of formulation UD1 ... UD5 of the extended benchmark (default UD2 = ITC2007; "
                        "UD4 makes the listed unsuitable rooms hard)")
    p.add_argument("--strategy", default=None,
                   help="local, cpsat, ga, hierarchical for .ctt/.ectt (default: local); classes for ITC2019 XML")
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
    import importlib
    import time

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
    from ..io.ectt import read_instance
    from ..io.itc2007 import read_sol, write_sol
    from ..profiles import formulation
    from ..solvers import DEFAULT_STRATEGY, STRATEGIES, solve

    problem = read_instance(args.instance)
    ectt = str(args.instance).lower().endswith(".ectt")
    form = formulation(args.formulation or "UD2") if (args.formulation or ectt) else None
    weights = None
    if form is not None:
        problem = form.prepare(problem)
        weights = form.weight_vector()
    initial = read_sol(problem, args.initial) if args.initial else None
    t0 = time.perf_counter()
    strategy = args.strategy or DEFAULT_STRATEGY
    # CP-SAT refuses such data itself, with the same findings (an error, exit status 2)
    impossible = _impossible(problem) if strategy != "cpsat" else ""
    if impossible:
        print(impossible, file=sys.stderr)
    # before the clock of --time-limit: the strategy's imports (OR-tools: a second) and the kernels
    if strategy in STRATEGIES:  # an unknown name is refused by solve() below
        importlib.import_module(STRATEGIES[strategy][0])
    warm_up()
    start_up = time.perf_counter() - t0
    with progress_bar(args.quiet) as progress:
        result = solve(problem, strategy=args.strategy, weights=weights, time_limit=args.time_limit,
                       seed=args.seed, initial=initial, progress=progress)
    if args.out:
        write_sol(problem, result.timetable, args.out)
    print(result.report.format_validator(layout=form.lines if form is not None else None))
    print(f"strategy {result.strategy}, seed {args.seed}, {result.elapsed:.1f} s (start-up {start_up:.1f} s)"
          + (f", written to {args.out}" if args.out else ""))
    if result.hard_violations:
        print(_why_violations(result, args.time_limit, bool(impossible)))
    return 0


def _impossible(problem) -> str:
    """The counting checks' errors (``tt check``) in words with their fixes: data no timetable can
    satisfy, so that the planner knows before the solve why its result will break hard constraints;
    '' when they find none."""
    from ..checks import check

    errors = [f for f in check(problem) if f.severity == "error"]
    if not errors:
        return ""
    lines = ["note: no timetable can meet every hard constraint of this data; the solve returns the "
             "timetable with the fewest violations it finds (`tt check` lists the same):"]
    lines += [f"  - {f.text}; fix: {f.fix}" for f in errors[:10]]
    if len(errors) > 10:
        lines.append(f"  … and {len(errors) - 10} more")
    return "\n".join(lines)


def _why_violations(result, time_limit: float, impossible: bool) -> str:
    """Why the timetable breaks hard constraints: the data (said up front), or the time limit."""
    why = result.stats.get("stopped_during")
    lines = [f"The timetable breaks {result.hard_violations} hard constraint unit(s)."]
    if result.timetable.n_unplaced:
        lines.append(f"{result.timetable.n_unplaced} lecture(s) are not placed: the time limit of {time_limit:g} s "
                     + (f"ran out while {why}" if why else "was reached") + "; a longer --time-limit places them.")
    if impossible:
        lines.append("The data make some violations unavoidable (see the note above).")
    elif not result.timetable.n_unplaced:
        lines.append("The counting checks (`tt check`) find nothing impossible in the data: a longer "
                     "--time-limit or another --strategy may remove them.")
    return "\n".join(lines)


def run_bench(args) -> int:
    from ..benchmark import resolve_instances, run_all, summary_table, write_csv

    paths = resolve_instances(args.instances, Path(args.itc_dir) if args.itc_dir else None)
    records = run_all(paths, [s for s in args.strategies.split(",") if s], list(range(1, args.seeds + 1)),
                      args.time_limit, jobs=args.jobs)
    print(summary_table(records))
    if args.csv:
        write_csv(records, Path(args.csv))
    return 0
