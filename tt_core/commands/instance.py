"""``tt info`` and ``tt validate``: look at an instance, and score a solution the way ITC2007 does
(``.ctt``/``.sol``) or ITC2019 does (XML, see :mod:`tt_core.commands.itc2019`)."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    """Add the ``info`` and ``validate`` sub-commands to the ``tt`` parser."""
    info = subparsers.add_parser(
        "info",
        help="show the sizes and densities of an instance",
        description="Read an ITC2007 .ctt instance and show its sizes (courses, lectures, rooms, "
                    "curricula, periods) and densities (room occupancy, conflicts, availability); "
                    "or an ITC2019 XML instance (.xml, or any file whose first element is <problem>) "
                    "and show its sizes (courses, configs, subparts, classes, options, rooms, "
                    "distributions by type, students) and SHA-256.")
    info.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt or ITC2019 .xml)")
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.set_defaults(func=run_info)

    validate = subparsers.add_parser(
        "validate",
        help="check a solution against an instance and print its costs",
        description="Read an instance and a solution and print hard violations and costs laid out "
                    "like the competition's validator: an ITC2007 .ctt with a .sol (one line "
                    "'<course> <room> <day> <period>' a lecture), or an ITC2019 XML instance with an "
                    "XML solution (hard violations by kind, the time, room, distribution and student "
                    "penalties, their weights and the weighted total). The exit status is 0 even "
                    "when there are violations, unless --strict is given.")
    validate.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt or ITC2019 .xml)")
    validate.add_argument("solution", metavar="SOLUTION", help="the solution file (.sol or ITC2019 .xml)")
    validate.add_argument("--explain", action="store_true",
                          help="also list every violation and cost item, by element")
    validate.add_argument("--json", action="store_true",
                          help="print one JSON object (ITC2019: hard, time, room, distribution, student, "
                               "total, weights, hard_by_kind, maxblock; with --explain also violations)")
    validate.add_argument("--maxblock", choices=("competition", "rules"), default=None,
                          help="ITC2019 only: how MaxBlock reads blocks whose classes all start together — "
                               "'competition' (default: not counted, as the competition's validator) or "
                               "'rules' (counted, as the rules' formula)")
    validate.add_argument("--strict", action="store_true",
                          help="exit with status 1 when there are hard violations")
    validate.set_defaults(func=run_validate)


def run_info(args: argparse.Namespace) -> int:
    """Print ``Problem.summary()`` as an aligned two-column table (or JSON with ``--json``)."""
    from ..io.itc2019 import looks_like_itc2019

    if looks_like_itc2019(args.instance):
        from .itc2019 import info_summary
        summary = info_summary(args.instance)
    else:
        from ..io.itc2007 import read_ctt
        summary = read_ctt(args.instance).summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table({k: ", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict) else v
                            for k, v in summary.items()}))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Evaluate the solution; 0, or 1 with ``--strict`` and hard violations."""
    from ..io.itc2019 import looks_like_itc2019
    from . import itc2019

    if looks_like_itc2019(args.instance):
        return itc2019.run_validate(args)
    itc2019.refuse_maxblock(args)
    # imported here so that `tt info` does not load the numba kernels, nor `tt --help` numpy
    from ..cost import evaluate
    from ..io.itc2007 import read_ctt, read_sol

    problem = read_ctt(args.instance)
    timetable = read_sol(problem, args.solution)
    report = evaluate(problem, timetable)
    if args.json:
        print(json.dumps({"hard": report.hard_violations, "total": report.soft_cost,
                          "constraints": {name: units for name, (units, _) in report.by_constraint().items()}},
                         indent=2))
    else:
        print(report.format_validator(violations=args.explain))
    return 1 if args.strict and report.hard_violations else 0


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
