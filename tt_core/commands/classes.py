"""``tt import`` / ``tt export`` for class-based data (ITC2019 XML): an instance becomes a scenario,
a solution a variant of it, and a variant goes back out as a solution file that validates."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from ..errors import TimetableError

_ROOT = re.compile(rb"<\s*(problem|solution)\b")


def root_element(path: Path) -> str | None:
    """``"problem"`` or ``"solution"``: the first element of an ITC2019 XML file (None if neither)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    m = _ROOT.search(head)
    return m.group(1).decode() if m else None


def run_import(args: argparse.Namespace, src: Path, db_path: Path) -> int:
    """An ITC2019 instance → a new scenario; a solution → a variant of ``--scenario`` (one transaction)."""
    from ..classes.evaluator import evaluate
    from ..io.itc2019 import read_problem_xml, read_solution_xml
    from ..store import Store

    kind = root_element(src)
    if kind == "solution":
        if not args.scenario:
            raise TimetableError(f"{src} is an ITC2019 solution: give the scenario it solves with --scenario NAME "
                                 "(import the instance first)")
        with Store.open(db_path) as db:
            problem = db.classes.load_problem(args.scenario)
            solution = read_solution_xml(problem, src)
            report = evaluate(problem, solution)
            vid = db.classes.save_solution(args.scenario, solution, report=report, name=src.stem, problem=problem,
                                           meta={"source": str(src)}, user=os.environ.get("USER"))
        print(f"imported {src} as variant {vid} of scenario {args.scenario!r}: {report.hard_violations} hard "
              f"violation(s), total {report.total}")
        return 0
    if kind != "problem":
        raise TimetableError(f"{src}: not an ITC2019 file (its first element is neither <problem> nor <solution>)")
    problem = read_problem_xml(src)
    name = args.scenario or src.stem or problem.name
    with Store.open(db_path) as db:
        sid = db.classes.import_problem(problem, name, institution=args.institution or "", term=args.term or "",
                                        description=f"ITC2019 instance {problem.name} ({src.name})",
                                        user=os.environ.get("USER"))
    print(f"imported {src} as scenario {name!r} (id {sid}) in {db_path}: {problem.n_classes} classes, "
          f"{problem.n_rooms} rooms, {problem.n_distributions} distributions, {problem.n_students} students, "
          f"{problem.nr_days} days x {problem.nr_weeks} weeks")
    return 0


def run_export(args: argparse.Namespace, db, scenario, target: Path) -> int:
    """A variant of a class-based scenario as an ITC2019 solution file (the instance is in its scenario)."""
    from ..io.itc2019 import write_solution_xml
    from .variant_choice import pick_variant

    if not args.variant:
        raise TimetableError("a class-based scenario exports a timetable as an ITC2019 solution: give --variant ID "
                             "(or --variant chosen / published)")
    if target.suffix.lower() != ".xml" or (args.format not in (None, "xml")):
        raise TimetableError(f"{target}: a class-based timetable is written as ITC2019 XML; give a file name "
                             "ending in .xml")
    vid = pick_variant(db, scenario, args.variant)
    problem = db.classes.load_problem(scenario)
    solution, info = db.classes.load_solution(vid)
    if info["stale"]:
        raise TimetableError(f"variant {vid} was made before the scenario was last changed; generate a new variant")
    meta = dict(solution.info) | {"name": problem.name}
    write_solution_xml(problem, solution, target, meta=meta)
    print(f"exported variant {vid} of scenario {info['scenario']!r} as an ITC2019 solution to {target}")
    return 0
