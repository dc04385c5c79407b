"""``tt info`` and ``tt validate``: look at an instance, and score a solution the way ITC2007 (or
the extended benchmark's validator, formulations UD1-UD5) does."""

from __future__ import annotations

import argparse
import json

from ..io.ectt import read_instance
from ..io.itc2007 import read_sol


def register(subparsers) -> None:
    """Add the ``info`` and ``validate`` sub-commands to the ``tt`` parser."""
    info = subparsers.add_parser(
        "info",
        help="show the sizes and densities of an instance",
        description="Read an ITC2007 .ctt or an extended .ectt instance and show its sizes (courses, "
                    "lectures, rooms, curricula, periods) and densities (room occupancy, conflicts, "
                    "availability).")
    info.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt or .ectt)")
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.set_defaults(func=run_info)

    validate = subparsers.add_parser(
        "validate",
        help="check a solution against an instance and print its costs",
        description="Read an instance and a solution (one line '<course> <room> <day> <period>' a "
                    "lecture) and print hard violations and soft costs per constraint, laid out like "
                    "the ITC2007 validator (with --formulation, or for an .ectt instance, like the "
                    "extended benchmark's validator for that formulation). The exit status is 0 even "
                    "when there are violations, unless --strict is given.")
    validate.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt or .ectt)")
    validate.add_argument("solution", metavar="SOLUTION", help="the solution file (.sol)")
    validate.add_argument("--explain", action="store_true",
                          help="also print one line for every violation and cost item")
    validate.add_argument("--strict", action="store_true",
                          help="exit with status 1 when there are hard violations")
    validate.add_argument("--formulation", metavar="UDk", default=None,
                          help="score by formulation UD1 ... UD5 of the extended benchmark (UD2 = ITC2007); "
                               "default UD2 for an .ectt instance, the ITC2007 report for a .ctt one")
    validate.set_defaults(func=run_validate)


def run_info(args: argparse.Namespace) -> int:
    """Print ``Problem.summary()`` as an aligned two-column table (or JSON with ``--json``)."""
    summary = read_instance(args.instance).summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table(summary))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Evaluate the solution; 0, or 1 with ``--strict`` and hard violations."""
    # imported here so `tt info` does not load the numba kernels
    from ..cost import evaluate
    from ..profiles import formulation

    problem = read_instance(args.instance)
    name = args.formulation or ("UD2" if str(args.instance).lower().endswith(".ectt") else None)
    if name is None:
        timetable = read_sol(problem, args.solution)
        report = evaluate(problem, timetable)
        print(report.format_validator(violations=args.explain))
        return 1 if args.strict and report.hard_violations else 0
    form = formulation(name)
    problem = form.prepare(problem)
    timetable = read_sol(problem, args.solution)
    report = evaluate(problem, timetable, form.weight_vector())
    print(report.format_validator(violations=args.explain, layout=form.lines))
    hard = sum(int(report.units[i]) for _, i, is_hard in form.lines if is_hard)
    return 1 if args.strict and hard else 0


def format_table(values: dict) -> str:
    """Two aligned columns ``key  value``; keys with underscores are shown with spaces.

    Parameters
    ----------
    values : dict
        Labels and values, printed in order.

    Returns
    -------
    str
    """
    labels = [str(k).replace("_", " ") for k in values]
    width = max((len(label) for label in labels), default=0)
    rows = []
    for label, value in zip(labels, values.values()):
        if isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append(f"{label:<{width}}  {value}")
    return "\n".join(rows)
