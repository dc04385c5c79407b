"""``tt info`` and ``tt validate`` for ITC2019 XML (class-based instances): sizes, and the
competition validator's breakdown of a solution (``--json``, ``--explain``, ``--maxblock``).

:mod:`tt_core.commands.instance` owns both sub-commands and hands a file over here when it is
ITC2019 XML (:func:`tt_core.io.itc2019.looks_like_itc2019`); nothing here imports it back.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from ..errors import TimetableError
from ..io.itc2019 import read_problem_xml, read_solution_xml


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
