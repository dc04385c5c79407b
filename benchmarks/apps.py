"""How long each Panel app takes to open, on the demo university and on the 2,533-course university.

    .venv/bin/python benchmarks/apps.py                            # every app, both databases
    .venv/bin/python benchmarks/apps.py --apps data,timetable --databases demo
    .venv/bin/python benchmarks/apps.py --profile timetable --databases university   # cProfile of a warm open
    .venv/bin/python benchmarks/apps.py --work /tmp/tt-bench       # keep (and reuse) the databases there

What is timed ("open") is what the server does for one browser session of ``panel serve``: run the
app's file (``apps/<name>.py``), build its state and layout (``app()``) and turn the page into
Bokeh models (``template.server_doc``), in local mode (no sign-in: every right). The browser's
own drawing comes on top (about 0.5-1 s for these pages). Each app is opened in a fresh Python
process that has imported Panel, HoloViews and ``tt_core`` (as a server has before its first
session): the first open is *cold* (first session after the server started: the scenario is
read, numba compiles or loads its cache), the next ones *warm* (the median is printed).

The databases are built once into ``--work`` (default: a new temporary folder): ``demo`` from
``data/demo.toml`` (200 courses, 551 lectures, 48 curricula) and ``university`` from the preset
(2,533 courses, 7,262 lectures, 19,000 students, no curricula), each with three variants (the
generator's feasible timetable and two copies with lectures moved; the last one chosen).

The machine is shared: the load average is printed with the table, and times vary with it.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

APPS = ("generate", "variants", "timetable", "workflow", "data", "availability", "access", "main")
DATABASES = ("demo", "university")


# ----------------------------------------------------------------------------- databases
def _moved(problem, timetable, share: float, seed: int):
    """A copy of ``timetable`` with ``share`` of its single-period lectures moved to a period where
    their room is free (a plausible second variant: a little worse, same shape)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tt = timetable.copy()
    busy = {(int(p), int(r)) for p, r in zip(tt.period, tt.room)}
    single = np.flatnonzero(problem.course_length[problem.lecture_course] == 1)
    for lecture in rng.choice(single, size=max(1, int(share * len(single))), replace=False):
        r = int(tt.room[lecture])
        free = [p for p in rng.permutation(problem.n_periods) if (int(p), r) not in busy]
        if free:
            busy.discard((int(tt.period[lecture]), r))
            tt.period[lecture] = int(free[0])
            busy.add((int(free[0]), r))
    return tt


def build_database(name: str, path: Path) -> None:
    """The ``demo`` or ``university`` database with three variants (see the module doc)."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store
    from tt_core.synth import Recipe, generate

    recipe = Recipe.from_toml(REPO / "data" / "demo.toml") if name == "demo" else Recipe.preset("university")
    uni = generate(recipe)
    p = uni.problem
    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    with Store.open(tmp) as db:
        db.scenarios.import_problem(p, name, meta=university_meta(uni))
        last = None
        for label, tt in (("planted", uni.hidden), ("moved 5%", _moved(p, uni.hidden, 0.05, 1)),
                          ("moved 10%", _moved(p, uni.hidden, 0.10, 2))):
            last = db.variants.save(name, tt, evaluate(p, tt), name=label, problem=p)
        db.variants.choose(last)
    tmp.rename(path)


# ----------------------------------------------------------------------------- one app, one process
def _open_once(name: str):
    """One session's work for app ``name``: run its file, build the page, make its Bokeh models (the
    module name must not start with ``bokeh_app``: Panel would take the file as served and build it twice)."""
    from bokeh.document import Document

    spec = importlib.util.spec_from_file_location(f"tt_bench_app_{name}", REPO / "apps" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = module.landing() if name == "main" else module.app()
    page.server_doc(Document())
    return page


def child(app: str, opens: int, profile: str | None) -> None:
    """In a fresh process (``TT_DB`` set): open ``app`` ``opens`` times; print the seconds as JSON."""
    import holoviews  # noqa: F401 - a server has these imported before its first session
    import panel  # noqa: F401

    import tt_core.services  # noqa: F401

    sys.path.insert(0, str(REPO / "apps"))
    seconds, cpu = [], []
    for i in range(opens):
        prof = cProfile.Profile() if profile and i == opens - 1 else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        _open_once(app)
        if prof:
            prof.disable()
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if prof:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(60)
            Path(profile).write_text(out.getvalue())
    print("TIMES " + json.dumps({"wall": seconds, "cpu": cpu}), flush=True)
    os._exit(0)  # a generate page starts the job runner (Dask) in the background: do not wait for it


def measure(db: Path, app: str, opens: int, profile: str | None = None) -> list[float]:
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1")
    cmd = [sys.executable, __file__, "--child", app, "--opens", str(opens)] + (["--profile-out", profile]
                                                                                if profile else [])
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    line = next((x for x in res.stdout.splitlines() if x.startswith("TIMES ")), None)
    if line is None:
        raise RuntimeError(f"{app} on {db.name} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return json.loads(line[6:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--apps", default=",".join(APPS), help="comma-separated apps (default: all)")
    ap.add_argument("--databases", default=",".join(DATABASES), help="demo, university or both")
    ap.add_argument("--opens", type=int, default=3, help="opens per app and process (first = cold)")
    ap.add_argument("--work", help="folder for the databases (kept and reused; default a temporary one)")
    ap.add_argument("--profile", help="an app to profile (cProfile of its last open), printed after the table")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.opens, args.profile_out)
        return 0
    apps = [a for a in args.apps.split(",") if a]
    unknown = sorted(set(apps) - set(APPS))
    if unknown:
        ap.error(f"unknown app(s) {', '.join(unknown)}; known: {', '.join(APPS)}")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="tt-bench-apps-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in [d for d in args.databases.split(",") if d]:
        if name not in DATABASES:
            ap.error(f"unknown database {name!r}; one of {', '.join(DATABASES)}")
        db = work / f"{name}.duckdb"
        if not db.exists():
            t0 = time.perf_counter()
            build_database(name, db)
            print(f"built {db} in {time.perf_counter() - t0:.1f} s", flush=True)
        for app in apps:
            profile = str(work / f"profile-{name}-{app}.txt") if app == args.profile else None
            times = measure(db, app, max(2, args.opens), profile)
            wall, cpu = times["wall"], times["cpu"]
            row = (name, app, wall[0], statistics.median(wall[1:]), cpu[0], statistics.median(cpu[1:]),
                   os.getloadavg()[0])
            rows.append(row)
            print(f"{name:<11} {app:<13} cold {row[2]:6.2f} s   warm {row[3]:6.2f} s   (CPU {row[4]:.2f} / "
                  f"{row[5]:.2f} s)", flush=True)
    print()
    print(f"{'database':<11} {'app':<13} {'cold s':>7} {'warm s':>7} {'cold CPU':>9} {'warm CPU':>9} {'load':>6}")
    for name, app, cold, warm, cold_cpu, warm_cpu, load in rows:
        print(f"{name:<11} {app:<13} {cold:7.2f} {warm:7.2f} {cold_cpu:9.2f} {warm_cpu:9.2f} {load:6.1f}")
    print(f"\n{os.cpu_count()} CPUs; seconds of wall clock and of this process's CPU (less sensitive to other "
          "work on a shared machine); load average over 1 min per row")
    if args.profile:
        for name in args.databases.split(","):
            f = work / f"profile-{name}-{args.profile}.txt"
            if f.exists():
                print(f"\n=== cProfile of a warm open of {args.profile} on {name} ({f}) ===")
                print(f.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
