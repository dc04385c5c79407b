"""Planner commands: ``tt check`` (pre-solve checks of the data) and ``tt diff`` (what changed
between two variants)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..errors import TimetableError


def register(subparsers) -> None:
    """Add the ``check`` and ``diff`` sub-commands to the ``tt`` parser."""
    db_help = "the DuckDB database (default: $TT_DB, else data/timetable.duckdb)"
    p = subparsers.add_parser(
        "check", help="check a scenario's data before solving: what makes a timetable impossible",
        description="Count, before any solver runs, what each curriculum, teacher, course and room family needs "
                    "against what the week offers it, and print every finding in words with the data item to "
                    "change: errors (no timetable can meet the hard constraints) and warnings (a soft cost every "
                    "timetable pays). SOURCE is an ITC2007 .ctt file, a folder of CSV tables, an .xlsx workbook, "
                    "or the name of a scenario in the database. Exit status 1 when there are errors.")
    p.add_argument("source", metavar="SOURCE", help="scenario name, or a .ctt file / CSV folder / .xlsx workbook")
    p.add_argument("--db", help=db_help)
    p.add_argument("--loads", type=int, default=0, metavar="N",
                   help="also list the N tightest curricula, teachers and room families (required vs available)")
    p.add_argument("--json", action="store_true", help="print the findings (and loads) as JSON")
    p.set_defaults(func=run_check)

    p = subparsers.add_parser(
        "diff", help="what changed between two variants: lectures moved, added, removed; cost per constraint",
        description="Compare variant A with variant B of the same scenario: the lectures placed differently "
                    "(moved, added = placed only in B, removed = placed only in A) and the change of every "
                    "constraint's units and cost, both counted with B's weights (else A's, else ITC2007).")
    p.add_argument("a", metavar="A", type=int, help="the earlier variant id")
    p.add_argument("b", metavar="B", type=int, help="the later variant id")
    p.add_argument("--db", help=db_help)
    p.add_argument("--all", action="store_true", help="list every constraint, not only those that changed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_diff)


# ====================================================================================== tt check
def _load_source(args) -> tuple[object, str]:
    """The problem to check and how to name it: a file or folder when SOURCE exists, else a scenario."""
    src = Path(args.source)
    if src.exists():
        if src.suffix.lower() == ".ctt":
            from ..io.itc2007 import read_ctt

            return read_ctt(src), str(src)
        if src.is_dir() or src.suffix.lower() in (".xlsx", ".xlsm", ".zip"):
            from ..io.tables import read_tables

            return read_tables(src).problem, str(src)
        raise TimetableError(f"{src}: cannot check this kind of file; give an ITC2007 .ctt file, a folder of CSV "
                             "tables (or a .zip of them), an .xlsx workbook or a scenario name")
    from .data import _db, _existing_db, _scenario_key

    path = _db(args)
    if not path.exists():
        raise TimetableError(f"{args.source!r} is neither a file nor a folder, and there is no database at {path} "
                             "to find a scenario of that name in; give a file, or --db")
    with _existing_db(args, read_only=True) as db:
        key = _scenario_key(db, args.source)
        if not db.scenarios.exists(key):
            names = db.scenarios.names()
            raise TimetableError(f"{args.source!r} is neither a file nor a scenario of {path} (scenarios: "
                                 f"{', '.join(names) or 'none'})")
        return db.scenarios.load_problem(key), f"scenario {db.scenarios.get(key)['name']!r}"


def run_check(args: argparse.Namespace) -> int:
    """Print the findings; 1 when there are errors, else 0."""
    from ..checks import check, loads

    problem, what = _load_source(args)
    t0 = time.perf_counter()
    findings = check(problem)
    tight = loads(problem)[:max(0, args.loads)] if args.loads else []
    seconds = time.perf_counter() - t0
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if args.json:
        print(json.dumps({
            "source": what, "errors": errors, "warnings": warnings, "seconds": round(seconds, 4),
            "findings": [{"severity": f.severity, "check": f.check, "item": f.item, "name": f.name, "text": f.text,
                          "fix": f.fix, "required": f.required, "available": f.available} for f in findings],
            "loads": [{"kind": x.kind, "name": x.name, "required": x.required, "available": x.available}
                      for x in tight]}, indent=2))
        return 1 if errors else 0
    print(f"{what}: {problem.n_courses} courses, {problem.n_lectures} lectures, {problem.n_rooms} rooms, "
          f"{problem.n_curricula} curricula, {problem.n_teachers} teachers")
    if not findings:
        print(f"no finding (counted in {seconds:.2f} s): nothing in the data makes a timetable impossible by "
              "counting alone")
    else:
        print(f"{_count(errors, 'error')}, {_count(warnings, 'warning')} (counted in {seconds:.2f} s)")
    for f in findings:
        print(f"\n{f.severity.upper()}  {f.item} {f.name}  [{f.check}]\n  {f.text}\n  fix: {f.fix}")
    if tight:
        width = max(len(x.name) for x in tight)
        print("\ntightest (lecture periods required / available):")
        for x in tight:
            use = f"{x.share:.0%}" if x.available else "∞"
            print(f"  {x.kind:<10} {x.name:<{width}}  {x.required:>5} / {x.available:<5} {use:>5}")
    return 1 if errors else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# ====================================================================================== tt diff
def run_diff(args: argparse.Namespace) -> int:
    """Print the diff of two variants."""
    from ..services import Studio
    from .data import _existing_db

    with _existing_db(args, read_only=True) as db:
        _tt, info = db.variants.load(args.a, check_stale=False)
        d = Studio(db).variants.diff(info["scenario"], args.a, args.b)
    costs = d.costs if args.all else d.changed_costs()
    if args.json:
        print(json.dumps({"a": args.a, "b": args.b, "scenario": info["scenario"], "moved": d.moved,
                          "added": d.added, "removed": d.removed,
                          "hard": [d.a.hard_violations, d.b.hard_violations],
                          "soft_cost": [float(d.a.soft_cost), float(d.b.soft_cost)],
                          "lectures": d.moves.to_dict(orient="records"),
                          "costs": costs.to_dict(orient="records")}, indent=2, default=str))
        return 0
    print(f"scenario {info['scenario']!r}, variant {d.summary()}")
    if len(d.moves):
        print(f"\nlectures ({len(d.moves)}):")
        print(d.moves.to_string(index=False))
    if len(costs):
        table = costs.rename(columns=lambda c: c.replace(" A", f" #{args.a}").replace(" B", f" #{args.b}"))
        print("\ncost per constraint" + ("" if args.all else " (changed only)") + ":")
        print(table.drop(columns=["hard"]).to_string(index=False))
    return 0
