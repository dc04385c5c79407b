"""Data commands: ``tt import``, ``tt export``, ``tt synth``, ``tt scenarios`` and ``tt demo build``.

The database is ``--db PATH``, else the ``TT_DB`` environment variable, else ``data/timetable.duckdb``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
from pathlib import Path

from ..errors import TimetableError

DEMO_USERS = (("admin", "admin"), ("planner", "planner"), ("viewer", "viewer"))
EXPORT_FORMATS = ("ctt", "sol", "csv", "xlsx", "ical", "xml")


def register(subparsers) -> None:
    """Add the data sub-commands to the ``tt`` parser."""
    db_help = "the DuckDB database (default: $TT_DB, else data/timetable.duckdb)"

    p = subparsers.add_parser(
        "import", help="import an instance or a data bundle into the database as a scenario",
        description="Import SOURCE as a new scenario: an ITC2007 .ctt file, an extended .ectt file, a folder of "
                    "CSV tables, CSV files "
                    "given one by one, a .zip of CSV tables or an .xlsx workbook (tables as documented in "
                    "docs/data-format.md; `tt template` writes an example). Every bad row of a table is "
                    "reported at once and nothing is imported then.")
    p.add_argument("source", metavar="SOURCE", nargs="+",
                   help=".ctt or .ectt file, CSV folder, CSV files, .zip of CSV files, .xlsx workbook, or ITC2019 "
                        ".xml (an instance; a solution with --scenario)")
    p.add_argument("--db", help=db_help)
    p.add_argument("--scenario", metavar="NAME", help="scenario name (default: the source's file or folder name)")
    p.add_argument("--institution", default=None, help="institution (default: the bundle's settings)")
    p.add_argument("--term", default=None, help="term, e.g. 'autumn 2025' (default: the bundle's settings)")
    p.set_defaults(func=run_import)

    p = subparsers.add_parser(
        "template", help="write an example CSV/Excel bundle to fill in",
        description="Write a small example university in the CSV/Excel bundle format (docs/data-format.md): every "
                    "table and column, a row or two in each. Edit it and import it with `tt import`.")
    p.add_argument("out", metavar="OUT", help="a new folder (one CSV file per table) or a file ending in .xlsx")
    p.set_defaults(func=run_template)

    p = subparsers.add_parser(
        "export", help="export a scenario's data or one of its timetables",
        description="Export the data of SCENARIO (formats ctt, csv folder, xlsx) or, with --variant, one of its "
                    "timetables (sol, csv of assignments, xlsx weekly grids, ical folder of calendars). The "
                    "format follows the suffix of --to unless --format is given.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario name (or id)")
    p.add_argument("--db", help=db_help)
    p.add_argument("--to", required=True, metavar="PATH", help="file or folder to write")
    p.add_argument("--variant", metavar="ID", help="variant id, 'published' for the scenario's published variant "
                                                   "(ical: with its substitutions), or 'chosen'")
    p.add_argument("--format", choices=EXPORT_FORMATS, help="output format (default: from the suffix of --to)")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="ical: first day of the term")
    p.add_argument("--weeks", type=int, default=12, help="ical: teaching weeks (default 12)")
    p.add_argument("--tz", help="ical: time zone such as Europe/Berlin (default: floating local times)")
    p.set_defaults(func=run_export)

    p = subparsers.add_parser(
        "synth", help="generate a synthetic university",
        description="Generate a synthetic university from a preset (tiny, demo, medium, large; campus and "
                    "university with students' enrolments) or a TOML recipe "
                    "and write it to --out (.ctt, .xlsx or a CSV folder) and/or import it with --db.")
    p.add_argument("recipe", metavar="PRESET_OR_TOML", help="preset name or recipe .toml file")
    p.add_argument("--out", metavar="PATH", help=".ctt file (ITC-expressible recipes only), .xlsx or CSV folder")
    p.add_argument("--db", help="import it into this database as a scenario")
    p.add_argument("--scenario", metavar="NAME", help="scenario name with --db (default: the recipe name)")
    p.add_argument("--seed", type=int, help="override the recipe's seed")
    p.set_defaults(func=run_synth)

    p = subparsers.add_parser("scenarios", help="list the scenarios of a database",
                              description="List the scenarios with their sizes and number of variants.")
    p.add_argument("--db", help=db_help)
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=run_scenarios)

    demo = subparsers.add_parser("demo", help="demo data", description="Build the demo database.")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION")
    demo_sub.required = True
    p = demo_sub.add_parser(
        "build", help="build the demo database from data/demo.toml",
        description="Generate the demo university (data/demo.toml) into a new database: scenario 'demo', weight "
                    "profile 'itc' and the users admin, planner and viewer. No timetable is stored: generate "
                    "one with a job.")
    p.add_argument("--out", default="data/demo.duckdb", help="the database to create (default data/demo.duckdb)")
    p.add_argument("--recipe", default="data/demo.toml", help="recipe file (default data/demo.toml)")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(func=run_demo_build)


# ====================================================================================== helpers


def _db(args) -> Path:
    from ..store import default_db_path

    return Path(args.db) if getattr(args, "db", None) else default_db_path()


def _existing_db(args, read_only: bool = False):
    """The database of ``args`` (which must exist); ``read_only`` for commands that only read it
    (they then work on a file or folder that cannot be written, and beside other readers)."""
    from ..store import Store

    path = _db(args)
    if not path.exists():
        raise TimetableError(f"no database at {path}; create it with `tt import SOURCE --db {path}` "
                             "or `tt demo build`")
    return Store.open(path, read_only=read_only)


def university_meta(university) -> dict:
    """The descriptive data of a :class:`~tt_core.synth.SynthUniversity` as ``store.scenarios.import_problem``
    takes it."""
    u = university
    return {
        "building_names": list(u.building_names),
        "teacher_full_names": list(u.teacher_full_names),
        "department_codes": list(u.department_codes),
        "curriculum_programme": [u.programme_names[i] for i in u.curriculum_programme],
        "curriculum_year": [int(y) for y in u.curriculum_year],
        **({"student_programme": [u.programme_names[i] for i in u.student_programme],
            "student_year": [int(y) for y in u.student_year],
            "student_department": [u.problem.department_names[u.programme_department[i]]
                                   for i in u.student_programme]} if len(u.student_programme) else {}),
        "source": "synth",
        "recipe": u.recipe.to_toml(),
        "summary": u.summary(),
    }


def _recipe(spec: str, seed: int | None):
    from ..synth import Recipe

    path = Path(spec)
    recipe = Recipe.from_toml(path) if spec.endswith(".toml") or path.is_file() else Recipe.preset(spec)
    return dataclasses.replace(recipe, seed=seed) if seed is not None else recipe


def _print_sizes(problem, prefix: str) -> None:
    print(f"{prefix}: {problem.n_courses} courses, {problem.n_lectures} lectures, {problem.n_rooms} rooms, "
          f"{problem.n_curricula} curricula, {problem.days} days x {problem.periods_per_day} periods")


# ====================================================================================== commands


def run_import(args: argparse.Namespace) -> int:
    """Read the source, then import it in one transaction."""
    from ..io.ectt import read_ectt
    from ..io.itc2007 import read_ctt
    from ..io.tables import WORKBOOK_SUFFIXES, read_tables
    from ..store import Store

    sources = [Path(s) for s in args.source]
    src = sources[0]
    if len(sources) == 1 and src.suffix.lower() == ".xml":  # ITC2019: real university data, class-based
        from .classes import run_import as import_classes

        return import_classes(args, src, _db(args))
    meta, institution, term = None, "", ""
    if len(sources) > 1 and any(s.suffix.lower() != ".csv" for s in sources):
        raise TimetableError("several sources are CSV files of one bundle (courses.csv rooms.csv …); import other "
                             "kinds of file one at a time")
    if len(sources) == 1 and src.suffix.lower() == ".ctt":
        problem = read_ctt(src)
    elif len(sources) == 1 and src.suffix.lower() == ".ectt":
        problem = read_ectt(src)
    elif len(sources) > 1 or src.is_dir() or src.suffix.lower() in (*WORKBOOK_SUFFIXES, ".zip", ".csv"):
        bundle = read_tables(sources if len(sources) > 1 else src)
        problem, meta, institution, term = bundle.problem, bundle.meta, bundle.institution, bundle.term
    elif not src.exists():
        raise FileNotFoundError(2, "No such file or directory", str(src))
    else:
        raise TimetableError(f"{src}: cannot import this kind of file; give an ITC2007 .ctt file, an .ectt file, a "
                             "folder of CSV tables (or the CSV files, or a .zip of them) or an .xlsx workbook")
    name = args.scenario or (problem.name if len(sources) > 1 else src.stem) or problem.name
    shown = ", ".join(map(str, sources))
    path = _db(args)
    with Store.open(path) as db:
        sid = db.scenarios.import_problem(problem, name, institution=args.institution if args.institution is not None
                                else institution, term=args.term if args.term is not None else term,
                                meta=(meta or {}) | {"source": shown}, user=os.environ.get("USER"))
        if src.suffix.lower() == ".ectt" and len(sources) == 1:
            _save_formulations(db, sid)
    _print_sizes(problem, f"imported {shown} as scenario {name!r} (id {sid}) in {path}")
    return 0


def _save_formulations(db, scenario: int) -> None:
    """The benchmark's five formulations as weight profiles ``UD1`` ... ``UD5`` of an imported
    ``.ectt`` scenario, for the apps and notebooks to choose."""
    from ..profiles import FORMULATIONS

    for f in FORMULATIONS.values():
        hard = " The listed unsuitable rooms are hard in UD4: `tt solve --formulation UD4` applies that." \
            if f.rooms_hard else ""
        db.weights.save(scenario, f.name, f.weights, f"{f.description}.{hard}", user=os.environ.get("USER"))


def run_template(args: argparse.Namespace) -> int:
    """Write the example bundle."""
    from ..io.tables import write_template

    out = Path(args.out)
    if out.exists() and not (out.is_dir() and not any(out.iterdir())) and out.suffix.lower() != ".xlsx":
        raise TimetableError(f"{out} exists; give a new folder (or an empty one) or a file name ending in .xlsx")
    write_template(out)
    print(f"wrote an example bundle to {out}; edit it, then `tt import {out} --db DB`")
    return 0


def _scenario_key(db, text: str):
    """A scenario given on the command line: its name, or its id when no scenario has that name."""
    if not db.scenarios.exists(text) and text.isdigit() and db.scenarios.exists(int(text)):
        return int(text)
    return text


def run_export(args: argparse.Namespace) -> int:
    """Export data or a timetable in the requested format."""
    from ..io.itc2007 import write_ctt, write_sol
    from .variant_choice import pick_variant

    target = Path(args.to)
    fmt = args.format
    if target.suffix.lower() == ".xml" or fmt == "xml":  # a class-based scenario's timetable (ITC2019)
        from .classes import run_export as export_classes

        with _existing_db(args, read_only=True) as db:
            return export_classes(args, db, _scenario_key(db, args.scenario), target)
    if fmt is None:
        fmt = {".ctt": "ctt", ".sol": "sol", ".xlsx": "xlsx", ".csv": "csv", "": "csv"}.get(target.suffix.lower())
        if fmt is None or (fmt == "csv" and target.suffix == "" and args.variant):
            raise TimetableError(f"cannot tell the format from {target.name!r}; give --format "
                                 f"({', '.join(EXPORT_FORMATS)})")
    needs_variant = fmt in ("sol", "ical")
    if needs_variant and not args.variant:
        raise TimetableError(f"--format {fmt} exports a timetable: give --variant ID (or --variant chosen)")
    if fmt == "ctt" and args.variant:
        raise TimetableError("a .ctt file holds the scenario's data, not a timetable; drop --variant, or use "
                             "--format sol for the timetable")
    if fmt == "ical" and not args.start:
        raise TimetableError("--format ical needs --start YYYY-MM-DD, the first day of the term")
    db = _existing_db(args, read_only=True)
    with db:
        scenario = _scenario_key(db, args.scenario)
        info = db.scenarios.get(scenario)
        problem = db.scenarios.load_problem(scenario)
        meta = db.scenarios.meta(scenario)
        timetable = None
        if args.variant:
            vid = pick_variant(db, scenario, args.variant)
            timetable, vinfo = db.variants.load(vid)
            if vinfo["stale"]:
                raise TimetableError(f"variant {vid} was made before scenario {info['name']!r} was last changed, "
                                     "so it may not fit its courses and rooms any more; generate a new variant")
            if fmt == "ical":  # its substitutions (dated overlays) go into the calendars of their dates
                from ..substitution import overlays_of

                overlays = overlays_of(db, problem, info["name"], vid)[0]
    full = meta.get("teacher_full_names")
    full = full if full and any(full) and len(full) == problem.n_teachers else None
    if fmt == "ctt":
        write_ctt(problem, target)
    elif fmt == "sol":
        write_sol(problem, timetable, target)
    elif fmt == "csv":
        from ..io.tables import write_assignments_csv, write_tables

        if timetable is not None:
            write_assignments_csv(problem, timetable, target)
        else:
            write_tables(problem, target, meta=meta, institution=info["institution"], term=info["term"])
    elif fmt == "xlsx":
        from ..io.excel import write_timetable_workbook
        from ..io.tables import write_tables

        if target.suffix.lower() != ".xlsx":
            raise TimetableError(f"{target}: an Excel export needs a file name ending in .xlsx")
        if timetable is not None:
            write_timetable_workbook(problem, timetable, target, teacher_full_names=full,
                                     title=f"{info['name']} — variant {args.variant}")
        else:
            write_tables(problem, target, meta=meta, institution=info["institution"], term=info["term"])
    else:
        from ..io.ical import export_ical

        files = export_ical(problem, timetable, target, start_date=args.start, weeks=args.weeks, tz=args.tz,
                            teacher_full_names=full, calendar_name=info["name"])
        print(f"wrote {len(files)} calendars to {target}")
        from ..substitution import apply_to_ical_folder

        changed = apply_to_ical_folder(target, problem, timetable, overlays, start_date=args.start, weeks=args.weeks,
                                       teacher_full_names=full, calendar_name=info["name"], tz=args.tz)
        if changed:
            print(f"applied the substitutions on those dates to {changed} calendar(s)")
        return 0
    what = f"variant {args.variant} of " if args.variant else ""
    print(f"exported {what}scenario {info['name']!r} as {fmt} to {target}")
    return 0


def run_synth(args: argparse.Namespace) -> int:
    """Generate, then write and/or import."""
    from ..synth import generate

    if not args.out and not args.db:
        raise TimetableError("say where the university goes: --out PATH (.ctt, .xlsx or a folder) and/or --db DB")
    if args.scenario and not args.db:
        raise TimetableError("--scenario names the scenario in a database: give --db too")
    recipe = _recipe(args.recipe, args.seed)
    university = generate(recipe)
    problem = university.problem
    meta = university_meta(university)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() == ".ctt":
            from ..io.itc2007 import write_ctt

            write_ctt(problem, out)
        else:
            from ..io.tables import write_tables

            write_tables(problem, out, meta=meta)
        _print_sizes(problem, f"wrote {problem.name} to {out}")
    if args.db:
        from ..store import Store

        name = args.scenario or recipe.name
        with Store.open(args.db) as db:
            sid = db.scenarios.import_problem(problem, name, meta=meta, user=os.environ.get("USER"))
        _print_sizes(problem, f"imported {problem.name} as scenario {name!r} (id {sid}) in {args.db}")
    if university.dropped_lectures:
        print(f"note: {university.dropped_lectures} lecture(s) of the recipe could not be placed and were left out")
    return 0


def run_scenarios(args: argparse.Namespace) -> int:
    """Print the scenarios as an aligned table (or JSON)."""
    db = _existing_db(args, read_only=True)
    with db:
        rows = db.scenarios.overview()
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    if not rows:
        print(f"no scenarios in {_db(args)}; import one with `tt import SOURCE`")
        return 0
    cols = ("id", "name", "institution", "term", "instance_name", "courses", "lectures", "classes", "rooms",
            "curricula", "variants", "created_at")
    heads = [c.replace("_name", "").replace("_at", "") for c in cols]
    cells = [[str(r[c] if c != "created_at" else r[c].strftime("%Y-%m-%d %H:%M")) for c in cols] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return 0


def run_demo_build(args: argparse.Namespace) -> int:
    """Build the demo database in a temporary file, then move it into place."""
    from .. import constraints as K
    from ..store import Store
    from ..synth import Recipe, generate

    out = Path(args.out)
    if out.exists() and not args.force:
        raise TimetableError(f"{out} already exists; use --force to rebuild it")
    if out.exists():
        Store.open(out).close()  # refuses (with a clear message) when another process holds it
    if not out.parent.is_dir():
        raise TimetableError(f"cannot create {out}: the folder {out.parent} does not exist")
    recipe = Recipe.from_toml(args.recipe)
    university = generate(recipe)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)  # DuckDB creates the file itself
    try:
        with Store.open(tmp) as db:
            db.scenarios.import_problem(university.problem, "demo", institution="Demo University", term="demo term",
                              description=f"synthetic university from {args.recipe} (seed {recipe.seed})",
                              meta=university_meta(university), user="tt demo build")
            db.weights.save("demo", "itc", {c.name: c.itc_weight for c in K.CONSTRAINTS},
                                   "ITC2007 competition weights; extension terms weigh 1", user="tt demo build")
            for name, role in DEMO_USERS:
                db.users.add(name, role, user="tt demo build")
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, tmp + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    _print_sizes(university.problem, f"built {out}: scenario 'demo'")
    print("weight profile 'itc'; users " + ", ".join(f"{n} ({r})" for n, r in DEMO_USERS))
    return 0
