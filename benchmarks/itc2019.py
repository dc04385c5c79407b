"""The ITC2019 solver (strategy ``classes``) on the instances of ``../shared/itc2019``.

    .venv/bin/python benchmarks/itc2019.py [INSTANCE.xml ...] [--set test|competition|all]
        [--test-limit 60] [--limit 600] [--seed 1] [--workers 1] [--keep DIR]

Each instance is solved in a child process (``tt solve X.xml --time-limit T --seed K --out S.xml``
through :func:`tt_core.solvers.solve`), whose peak resident memory is read from the operating
system when it ends (``wait4``: parse, numba's cache and the search together). The solution file
is then re-validated by a separate ``tt validate X.xml S.xml --json``; the table shows the
validator's hard violations and total, and says so when they differ from what the solver
reported. Per instance:

* ``hard`` — hard violations of the written solution (``tt validate``), ``total`` its weighted total;
* ``best`` and ``ratio`` — the best known total of the README's table and ``total / best``;
* ``first valid`` — seconds from the start of the solve to its first timetable without hard
  violations (``-`` when none was found); parsing and loading numba's cache come before the
  solve's clock, as in ``tt solve``;
* ``peak MB`` — the child's peak resident memory.

The test instances (the README's ``set`` column) run ``--test-limit`` seconds, the others
``--limit``. The machine is shared: times and totals under load are noisy, and a loaded machine
runs fewer iterations in the same wall-clock budget — say so when quoting the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT.parent / "shared" / "itc2019"


def readme_table(directory: Path) -> dict[str, dict]:
    """``{instance: {"set": ..., "best": int | None}}`` from the README's instance table."""
    out: dict[str, dict] = {}
    readme = directory / "README.md"
    if not readme.exists():
        return out
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or cells[0] in ("file", "") or set(cells[0]) <= {"-"}:
            continue
        best = re.match(r"[\d,]+", cells[-1])
        out[cells[0]] = {"set": cells[1], "best": int(best.group().replace(",", "")) if best else None}
    return out


def child(args) -> int:
    """Solve one instance and write a JSON summary (run in its own process)."""
    sys.path.insert(0, str(ROOT))
    from tt_core.io.itc2019 import read_problem_xml, write_solution_xml
    from tt_core.solvers import solve
    from tt_core.solvers.classes.warmup import warm_up

    start = time.perf_counter()
    problem = read_problem_xml(args.child)
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    warm_up()   # numba's cache, before the clock (as `tt solve` does)
    start_up = time.perf_counter() - start
    result = solve(problem, time_limit=args.time_limit, seed=args.seed, workers=args.workers)
    write_solution_xml(problem, result.solution, args.out)
    summary = {"parse_s": parsed, "start_up_s": start_up, "elapsed": result.elapsed,
               "hard": result.report.hard_violations, "total": int(result.report.total),
               "time_to_valid": result.stats.get("time_to_valid"),
               "stats": {k: v for k, v in result.stats.items() if isinstance(v, (int, float, type(None)))}}
    Path(args.summary).write_text(json.dumps(summary))
    return 0


def run_one(path: Path, time_limit: float, seed: int, workers: int, keep: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = (keep or Path(tmp)) / f"{path.stem}.sol.xml"
        summary = Path(tmp) / "summary.json"
        cmd = [sys.executable, __file__, "--child", str(path), "--time-limit", str(time_limit),
               "--seed", str(seed), "--workers", str(workers), "--out", str(out), "--summary", str(summary)]
        wall = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - wall
        if proc.returncode != 0:
            return {"error": f"solver exited with {proc.returncode}", "wall": wall}
        rec = json.loads(summary.read_text())
        rec["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
        rec["wall"] = wall
        check = subprocess.run([str(Path(sys.executable).with_name("tt")), "validate", str(path), str(out), "--json"],
                               capture_output=True, text=True, cwd=ROOT)
        if check.returncode != 0:
            rec["validated"] = f"tt validate failed: {check.stderr.strip()[-200:]}"
            return rec
        v = json.loads(check.stdout)
        rec["validated"] = "ok" if (v["hard"], v["total"]) == (rec["hard"], rec["total"]) else \
            f"solver said hard {rec['hard']} total {rec['total']}"
        rec["hard"], rec["total"] = int(v["hard"]), int(v["total"])
        return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", help="ITC2019 XML files (default: every instance of --dir)")
    ap.add_argument("--dir", default=str(DEFAULT_DIR))
    ap.add_argument("--set", choices=("test", "competition", "all"), default="all")
    ap.add_argument("--test-limit", type=float, default=60.0, help="seconds for the test instances")
    ap.add_argument("--limit", type=float, default=600.0, help="seconds for the competition instances")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--keep", default=None, help="folder to keep the solution files in")
    ap.add_argument("--json", default=None, help="also write the records to this JSON file")
    # internal: the child process
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--time-limit", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--summary", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    directory = Path(args.dir)
    table = readme_table(directory)
    paths = [Path(p) for p in args.instances] or sorted(directory.glob("*.xml"))
    known = {p.stem: table.get(p.stem, {"set": "?", "best": None}) for p in paths}
    if args.set != "all":
        paths = [p for p in paths if (known[p.stem]["set"] == "test") == (args.set == "test")]
    paths.sort(key=lambda p: (known[p.stem]["set"] != "test", p.stat().st_size))
    keep = Path(args.keep) if args.keep else None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    print(f"seed {args.seed}, workers {args.workers}, test instances {args.test_limit:g} s, others {args.limit:g} s; "
          f"MaxBlock reading: competition; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    head = f"{'instance':<17}{'set':<8}{'limit':>6}{'hard':>6}{'total':>9}{'best':>9}{'ratio':>8}" \
           f"{'first valid':>12}{'peak MB':>9}  validated"
    print(head)
    print("-" * len(head))
    records = []
    for path in paths:
        info = known[path.stem]
        limit = args.test_limit if info["set"] == "test" else args.limit
        rec = run_one(path, limit, args.seed, args.workers, keep)
        rec.update(instance=path.stem, set=info["set"], limit=limit, best=info["best"])
        records.append(rec)
        if "error" in rec:
            print(f"{path.stem:<17}{info['set']:<8}{limit:>6g}  {rec['error']}", flush=True)
            continue
        ratio = rec["total"] / info["best"] if info["best"] and rec["hard"] == 0 else None
        rec["ratio"] = ratio
        ttv = rec["time_to_valid"]
        print(f"{path.stem:<17}{info['set']:<8}{limit:>6g}{rec['hard']:>6}{rec['total']:>9}"
              f"{info['best'] if info['best'] else '-':>9}{f'{ratio:.2f}' if ratio else '-':>8}"
              f"{f'{ttv:.1f} s' if ttv is not None else '-':>12}{rec['peak_mb']:>9.0f}  {rec['validated']}", flush=True)
    ratios = [r["ratio"] for r in records if r.get("ratio")]
    if ratios:
        print(f"median ratio to best known over {len(ratios)} instance(s): {statistics.median(ratios):.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
