"""``tt info``, ``tt validate`` and ``tt solve`` for ITC2019 XML (class-based instances): sizes,
the competition validator's breakdown of a solution (``--json``, ``--explain``, ``--maxblock``),
and solving an instance into a solution file.

:mod:`tt_core.commands.instance` (info, validate) and :mod:`tt_core.commands.solve` own the
sub-commands and hand a file over here when it is ITC2019 XML
(:func:`tt_core.io.itc2019.looks_like_itc2019`); nothing here imports them back.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from ..errors import TimetableError
from ..io.itc2019 import read_problem_xml, read_solution_xml, write_solution_xml
from .progress import progress_bar


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def info_summary(path: str) -> dict:
    """Sizes of an ITC2019 instance with its SHA-256 (instances circulate in several versions);
    the distribution types and the weights as dicts."""
    summary = read_problem_xml(path).summary()
    summary["sha256"] = _sha256(path)
    return summary


def run_validate(args: argparse.Namespace) -> int:
    """Evaluate an ITC2019 solution: 0, or 1 with ``--strict`` and hard violations."""
    from ..classes.evaluator import (
        evaluate,  # here: `tt info` does not load the numba kernels
    )

    problem = read_problem_xml(args.instance)
    solution = read_solution_xml(problem, args.solution)
    report = evaluate(problem, solution, maxblock=args.maxblock or "competition")
    if args.json:
        print(json.dumps(report.to_dict(explain=args.explain), indent=2))
    else:
        print(report.format_validator(explain=args.explain))
    return 1 if args.strict and report.hard_violations else 0


def refuse_maxblock(args: argparse.Namespace) -> None:
    """``--maxblock`` means nothing for an ITC2007 instance: say so rather than ignore it."""
    if getattr(args, "maxblock", None):
        raise TimetableError(f"--maxblock applies to ITC2019 XML instances; {args.instance} is not one")


def run_solve(args: argparse.Namespace) -> int:
    """Solve an ITC2019 instance (strategy ``classes`` unless told otherwise), write the solution
    XML (atomically) when ``--out`` is given, and print the validator's breakdown of it.

    As for ITC2007 instances, ``--time-limit`` is the solve's: reading the instance and loading
    the solver's numba code (:func:`tt_core.solvers.classes.warmup.warm_up`) come first and are
    reported as the start-up.
    """
    import time

    from ..solvers import solve

    problem = read_problem_xml(args.instance)
    initial = read_solution_xml(problem, args.initial) if args.initial else None
    options = {}
    if args.workers is not None:
        options["workers"] = args.workers
    if args.maxblock:
        options["maxblock"] = args.maxblock
    t0 = time.perf_counter()
    if (args.strategy or "classes") == "classes":   # another name is refused by solve() below
        from ..solvers.classes.warmup import warm_up

        warm_up()
    start_up = time.perf_counter() - t0
    with progress_bar(args.quiet, "total") as progress:
        result = solve(problem, strategy=args.strategy, time_limit=args.time_limit, seed=args.seed,
                       initial=initial, progress=progress, **options)
    if args.out:
        write_solution_xml(problem, result.solution, args.out)
    print(result.report.format_validator())
    valid = result.stats.get("time_to_valid")
    print(f"strategy {result.strategy}, seed {args.seed}, {result.elapsed:.1f} s (start-up {start_up:.1f} s)"
          + (f", first valid at {valid:.1f} s" if valid is not None else ", no valid timetable found")
          + (f", written to {args.out}" if args.out else ""))
    if result.hard_violations:
        print(f"The timetable breaks {result.hard_violations} hard constraint unit(s) (listed by "
              f"`tt validate --explain`): the construction did not place every class within "
              f"{args.time_limit:g} s; a longer --time-limit may.")
    return 0
