"""Students at scale: a synthetic university's enrolments, sectioned and timetabled with every
student clash enforced.

    .venv/bin/python benchmarks/students.py                      # preset "university", 120 s, 2 workers
    .venv/bin/python benchmarks/students.py --time-limit 60 --workers 1
    .venv/bin/python benchmarks/students.py --preset campus --time-limit 10
    .venv/bin/python benchmarks/students.py --lab-length 2,3 --time-limit 60   # 3-period labs too

Steps, each timed and printed as one table:

1. **generate** ``Recipe.preset("university")``: 120 departments, 19,000 students, 2,300 offerings,
   about 95,000 enrolments (NEP-2020 style: cores, departmental electives, open electives, minors,
   skill courses shared across departments), feasible by construction (its planted timetable has
   no clash for any student).
2. **section**: the offerings (the generator's sections merged back, their teachers kept as the
   teaching team) are split again by :func:`tt_core.sectioning.split_sections` at the recipe's
   section size, by affinity and, for comparison, in enrolment order (``fixed``); printed: time,
   sections, the largest one and the course pairs sharing students (each one a conflict).
3. **solve** the affinity-sectioned instance with ``solve(strategy="local", workers=W)``: time to
   the first timetable with zero hard violations (every ``StudentClashes`` unit counts), hard
   violations and soft cost at the end, annealing moves per second.
4. **re-section** after solving (:func:`tt_core.sectioning.reassign_sections`): students moved,
   clashes before and after.

Memory: peak resident set size of this process (sampled every 0.1 s) during each step, and the
process's peak overall. The numba kernels and OR-tools are warmed up on a tiny instance first, so
compile time is not counted. The load average is printed: on a shared machine, times vary.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MB = 1024 * 1024


class Peak:
    """Peak RSS of this process while the ``with`` block runs (sampled in a thread)."""

    def __init__(self, interval: float = 0.1):
        import psutil

        self._proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self):
        self.peak = self._proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def warm_up() -> None:
    """Compile the kernels on a tiny enrolment instance (numba caches; OR-tools imports)."""
    from tt_core.solvers import solve
    from tt_core.synth import Recipe, generate

    u = generate(Recipe.preset("campus", departments=3, students=150, skill_departments=(2, 3)))
    solve(u.problem, strategy="local", time_limit=1.0, seed=0)
    solve(u.problem, strategy="local", time_limit=1.0, seed=0, workers=2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="university", help="synthetic recipe with students (default university)")
    ap.add_argument("--seed", type=int, default=None, help="recipe seed (default the preset's)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="solver budget in seconds (default 120)")
    ap.add_argument("--workers", type=int, default=2, help="annealers in parallel (default 2, one per core)")
    ap.add_argument("--solve-seed", type=int, default=1)
    ap.add_argument("--lab-length", default=None, metavar="LOW,HIGH",
                    help="periods of one lab session, e.g. 2,3 for 3-period labs too (default the preset's)")
    args = ap.parse_args(argv)

    import dataclasses

    import numpy as np

    from tt_core import constraints as K
    from tt_core.errors import ValidationError
    from tt_core.sectioning import merge_sections, reassign_sections, split_sections
    from tt_core.solvers import solve
    from tt_core.synth import Recipe, generate

    recipe = Recipe.preset(args.preset)
    if args.lab_length:
        try:
            low, high = (int(x) for x in args.lab_length.split(","))
        except ValueError:
            ap.error(f"--lab-length {args.lab_length!r}: give two whole numbers LOW,HIGH such as 2,3")
        try:
            recipe = dataclasses.replace(recipe, lab_length=(low, high))
        except ValidationError as exc:
            ap.error(str(exc))
    if args.seed is not None:
        recipe = dataclasses.replace(recipe, seed=args.seed)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    t = time.perf_counter()
    warm_up()
    print(f"warm-up (kernels compiled or loaded from cache): {time.perf_counter() - t:.1f} s")
    rows: list[tuple[str, str, str, str]] = []

    with Peak() as mem:
        t = time.perf_counter()
        uni = generate(recipe)
        t_gen = time.perf_counter() - t
    p0 = uni.problem
    offerings = len({p0.offering_of(c) for c in range(p0.n_courses)})
    rows.append(("generate", f"{t_gen:.1f} s",
                 f"{len(p0.department_names)} departments, {p0.n_students:,} students, {offerings:,} offerings, "
                 f"{p0.n_enrolments:,} enrolments, {p0.n_rooms} rooms, {p0.days}x{p0.periods_per_day} periods; "
                 f"dropped lectures {uni.dropped_lectures}", f"{mem.peak / MB:.0f}"))

    with Peak() as mem:
        t = time.perf_counter()
        offered, teams = merge_sections(p0)
        t_merge = time.perf_counter() - t
        t = time.perf_counter()
        plan = split_sections(offered, section_size=recipe.section_size or None, teams=teams)
        t_split = time.perf_counter() - t
        fixed = split_sections(offered, section_size=recipe.section_size or None, teams=teams, method="fixed")
    s, f = plan.summary(), fixed.summary()
    rows.append(("section", f"{t_split:.1f} s",
                 f"size {recipe.section_size}: {s['offerings_split']} offerings -> {s['sections']} sections "
                 f"(largest {s['largest_section']}), {s['courses']:,} courses; course pairs sharing students "
                 f"{s['student_conflict_pairs']:,} (fixed split: {f['student_conflict_pairs']:,}); "
                 f"merge {t_merge:.1f} s",
                 f"{mem.peak / MB:.0f}"))

    problem = plan.problem
    first: list[float | None] = [None]

    def progress(ev):
        if ev.hard_violations == 0 and first[0] is None:
            first[0] = ev.elapsed

    with Peak() as mem:
        res = solve(problem, strategy="local", time_limit=args.time_limit, seed=args.solve_seed,
                    workers=args.workers, progress=progress)
    units = res.report.units
    zero = f"{first[0]:.1f} s" if first[0] is not None else f"not within {args.time_limit:.0f} s"
    rows.append(("solve", zero,
                 f"local, {args.workers} worker(s), {args.time_limit:.0f} s: hard {res.hard_violations} "
                 f"(StudentClashes {int(units[K.STUDENT_CLASHES])}), soft cost {res.cost:,.0f}; "
                 f"{problem.n_lectures:,} lectures, {res.stats.get('iterations_per_s', 0):,.0f} moves/s per worker",
                 f"{mem.peak / MB:.0f}"))

    with Peak() as mem:
        t = time.perf_counter()
        _, stats = reassign_sections(problem, res.timetable)
        t_re = time.perf_counter() - t
    rows.append(("re-section", f"{t_re:.1f} s",
                 f"moved {stats['moved']} students; StudentClashes {stats['clashes_before']} -> "
                 f"{stats['clashes_after']}", f"{mem.peak / MB:.0f}"))

    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heads = ("step", "time", "what", "peak RSS MB")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(heads, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths)))
    print(f"\npeak RSS of the process: {peak:.0f} MB; load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    assert np.array_equal(np.diff(problem.course_student_csr[0]), problem.course_students)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
