"""``tt info`` and ``tt validate``: look at an instance, and score a solution the way ITC2007 (or
the extended benchmark's validator, formulations UD1-UD5) does for ``.ctt``/``.ectt`` with ``.sol``,
or ITC2019 does for XML (see :mod:`tt_core.commands.itc2019`)."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    """Add the ``info`` and ``validate`` sub-commands to the ``tt`` parser."""
    info = subparsers.add_parser(
        "info",
        help="show the sizes and densities of an instance",
        description="Read an ITC2007 .ctt or an extended .ectt instance and show its sizes (courses, "
                    "lectures, rooms, curricula, periods) and densities (room occupancy, conflicts, "
                    "availability); or an ITC2019 XML instance (.xml, or any file whose first element is "
                    "<problem>) and show its sizes (courses, configs, subparts, classes, options, rooms, "
                    "distributions by type, students) and SHA-256.")
    info.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt, .ectt or ITC2019 .xml)")
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.set_defaults(func=run_info)

    validate = subparsers.add_parser(
        "validate",
        help="check a solution against an instance and print its costs",
        description="Read an instance and a solution and print hard violations and costs laid out "
                    "like the competition's validator: an ITC2007 .ctt or extended .ectt with a .sol (one "
                    "line '<course> <room> <day> <period>' a lecture; with --formulation, or for an .ectt "
                    "instance, like the extended benchmark's validator for that formulation), or an "
                    "ITC2019 XML instance with an XML solution (hard violations by kind, the time, room, "
                    "distribution and student penalties, their weights and the weighted total). The exit "
                    "status is 0 even when there are violations, unless --strict is given.")
    validate.add_argument("instance", metavar="INSTANCE", help="the instance file (.ctt, .ectt or ITC2019 .xml)")
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
    validate.add_argument("--formulation", metavar="UDk", default=None,
                          help="score by formulation UD1 ... UD5 of the extended benchmark (UD2 = ITC2007); "
                               "default UD2 for an .ectt instance, the ITC2007 report for a .ctt one")
    validate.set_defaults(func=run_validate)


def run_info(args: argparse.Namespace) -> int:
    """Print ``Problem.summary()`` as an aligned two-column table (or JSON with ``--json``)."""
    from ..io.itc2019 import looks_like_itc2019

    if looks_like_itc2019(args.instance):
        from .itc2019 import info_summary
        summary = info_summary(args.instance)
    else:
        from ..io.ectt import read_instance
        summary = read_instance(args.instance).summary()
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
    from ..io.ectt import read_instance
    from ..io.itc2007 import read_sol
    from ..profiles import formulation

    problem = read_instance(args.instance)
    name = args.formulation or ("UD2" if str(args.instance).lower().endswith(".ectt") else None)
    form = formulation(name) if name is not None else None
    if form is not None:
        problem = form.prepare(problem)
    timetable = read_sol(problem, args.solution)
    report = evaluate(problem, timetable, form.weight_vector()) if form is not None else evaluate(problem, timetable)
    hard = (sum(int(report.units[i]) for _, i, is_hard in form.lines if is_hard) if form is not None
            else report.hard_violations)
    if args.json:
        print(json.dumps({"hard": hard, "total": report.soft_cost, "formulation": name,
                          "constraints": {c: units for c, (units, _) in report.by_constraint().items()}},
                         indent=2))
    else:
        print(report.format_validator(violations=args.explain, layout=form.lines if form is not None else None))
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
