"""Student commands: ``tt students`` (a scenario's students, or a variant's student clashes) and
``tt section`` (split large offerings into sections as a new scenario; or, after solving, move
students between sections of a variant to lower their clashes)."""

from __future__ import annotations

import argparse
import json
import os

from ..errors import TimetableError


def register(subparsers) -> None:
    """Add the ``students`` and ``section`` sub-commands to the ``tt`` parser."""
    db_help = "the DuckDB database (default: $TT_DB, else data/timetable.duckdb)"
    p = subparsers.add_parser(
        "students", help="a scenario's students, or every student clash of a variant",
        description="List the students of SCENARIO (programme, year, department, number of courses), or with "
                    "--clashes VARIANT every student who has two lectures at once in that variant.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--db", help=db_help)
    p.add_argument("--clashes", type=int, metavar="VARIANT", help="list the student clashes of this variant")
    p.add_argument("--limit", type=int, default=50, help="rows to print (default 50; 0 = all)")
    p.add_argument("--json", action="store_true", help="print JSON rows")
    p.add_argument("--as", dest="user", default=os.environ.get("TT_USER") or None, metavar="NAME",
                   help="act as this registered user (default: $TT_USER, else local mode)")
    p.set_defaults(func=run_students)

    p = subparsers.add_parser(
        "section", help="split large offerings into sections (a new scenario), or re-section after solving",
        description="Split every offering of SCENARIO with more students than --size (or than its largest "
                    "suitable room) into parallel sections and store the result as the scenario --into; "
                    "students go to sections by the courses they share (--method affinity) or in enrolment order "
                    "(fixed), teachers round the offering's teaching team. With --reassign VARIANT instead: move "
                    "students between sections of the same offering where that lowers their clashes in the "
                    "variant, store the new enrolments and save the re-evaluated timetable as a new variant.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--db", help=db_help)
    p.add_argument("--size", type=int, help="most students per section (default: the largest suitable room)")
    p.add_argument("--into", metavar="NAME", help="name of the new, sectioned scenario")
    p.add_argument("--method", choices=("affinity", "fixed"), default="affinity")
    p.add_argument("--reassign", type=int, metavar="VARIANT", help="re-section students for this variant")
    p.add_argument("--as", dest="user", default=os.environ.get("TT_USER") or None, metavar="NAME",
                   help="act as this registered user (default: $TT_USER, else local mode)")
    p.set_defaults(func=run_section)


def _studio(args):
    from ..services import Studio
    from ..store import Store, default_db_path

    path = args.db or str(default_db_path())
    if not os.path.exists(path):
        raise TimetableError(f"no database at {path}; create it with `tt import SOURCE --db {path}` or `tt demo build`")
    store = Store.open(path)
    try:
        return Studio(store, user=args.user)
    except BaseException:
        store.close()
        raise


def run_students(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        if args.scenario not in studio.data.scenarios():
            raise TimetableError(f"no scenario {args.scenario!r}; `tt scenarios` lists them")
        frame = (studio.variants.student_clashes(args.scenario, args.clashes) if args.clashes is not None
                 else studio.data.students(args.scenario))
    total = len(frame)
    if args.limit:
        frame = frame.head(args.limit)
    if args.json:
        print(json.dumps(frame.to_dict(orient="records"), default=str, indent=2))
        return 0
    if args.clashes is not None and not total:
        print(f"no student clash in variant #{args.clashes}")
        return 0
    if not total:
        print(f"scenario {args.scenario!r} has no students; import students.csv and enrolments.csv")
        return 0
    print(frame.to_string(index=False))
    if total > len(frame):
        print(f"… {total - len(frame)} more (--limit 0 shows all)")
    return 0


def run_section(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        if args.scenario not in studio.data.scenarios():
            raise TimetableError(f"no scenario {args.scenario!r}; `tt scenarios` lists them")
        if args.reassign is not None:
            out = studio.sections.reassign(args.scenario, args.reassign)
            print(f"moved {out['moved']} student(s); StudentClashes {out['clashes_before']} -> {out['clashes_after']}"
                  + (f"; saved as variant #{out['variant']}" if out["variant"] is not None else ""))
            return 0
        if not args.into:
            raise TimetableError("say where the sectioned scenario goes: --into NAME (or --reassign VARIANT)")
        info = studio.sections.split(args.scenario, args.into, section_size=args.size, method=args.method)
    print(f"{args.into}: {info['offerings_split']} offering(s) split into {info['sections']} sections (largest "
          f"{info['largest_section']}), {info['courses']} courses, {info['student_conflict_pairs']} course pairs "
          "sharing students")
    for note in info["notes"]:
        print(f"note: {note}")
    return 0
