"""ITC2007 track 3 benchmark: cost vs best known at a fixed time.

    .venv/bin/python benchmarks/itc2007.py --time-limit 60 --seeds 3 [comp01 comp02 ...]

Runs every strategy over the instances in ../shared/itc2007 (or the paths given), validates each
result with the evaluator, prints a table (median over seeds) and writes a CSV for plotting.
Runs ``--jobs`` solves at once (each is single-threaded; 2 fits this 2-core machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tt_core.benchmark import resolve_instances, run_all, summary_table, write_csv  # noqa: E402
from tt_core.errors import TimetableError  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instances", nargs="*", help="names (comp01) or .ctt paths; default: all in --itc-dir")
    ap.add_argument("--itc-dir", type=Path, default=None)
    ap.add_argument("--strategies", default="local", help="comma-separated, e.g. local,hierarchical,cpsat")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seeds", type=int, default=3, help="seeds 1..N")
    ap.add_argument("--jobs", type=int, default=2, help="solves at once (processes)")
    ap.add_argument("--workers", type=int, default=1, help="threads per solve (local: a portfolio of annealers)")
    ap.add_argument("--csv", type=Path, default=None, help="default benchmarks/results/itc2007-<time>.csv")
    ap.add_argument("--out-dir", default=None, help="also write each .sol here")
    args = ap.parse_args(argv)
    try:
        paths = resolve_instances(args.instances, args.itc_dir)
    except TimetableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    strategies = [s for s in args.strategies.split(",") if s]
    seeds = list(range(1, args.seeds + 1))
    print(f"{len(paths)} instance(s) x {strategies} x seeds {seeds} at {args.time_limit:g} s, "
          f"{args.jobs} at a time, {args.workers} thread(s) each")
    records = run_all(paths, strategies, seeds, args.time_limit, jobs=args.jobs, out_dir=args.out_dir,
                      workers=args.workers)
    print()
    print(summary_table(records))
    csv_path = args.csv or Path(__file__).parent / "results" / f"itc2007-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    write_csv(records, csv_path)
    print(f"\nCSV: {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
