"""What the job runner reads and writes about its jobs, each write one transaction of the store's
job repository.

A job's progress (events and its new checkpoint), its end (result saved as a variant, kept as the
checkpoint, final status and last event) and a retry after a lost worker are each written whole
or not at all: a poll that sees a final status sees the last event, and a crash cannot leave a
saved variant behind a job still marked running (a retry would then save a second one). Before an
attempt starts, :meth:`JobRecords.plan_start` reads what it starts from.

Both problem families run as jobs: a curriculum scenario (:class:`~tt_core.model.Problem`; its
timetable is a period and a room per lecture, its cost the soft cost of :func:`tt_core.cost.evaluate`)
and a class-based one (:class:`~tt_core.classes.ClassProblem`; a time option and a room option per
class plus the students' classes, its cost the weighted total of :func:`tt_core.classes.evaluate`).
The rows keep one shape for both (``period``/``room`` hold a class's time and room options, a
cost is ``soft_cost``/``best_cost``), so the apps read a job the same way whatever it solves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import TimetableError
from .api import TIMETABLE_KEYS, info_event, scenario_family, validate_settings

#: what the runner keeps of a task's statistics in the variant's meta
STAT_KEYS = ("strategy", "segments", "iterations", "elapsed_total", "worker", "peak_rss")


@dataclass(frozen=True)
class StartPlan:
    """What the next attempt of a job starts from, read from the store."""

    problem: object
    strategy: str
    #: ``"curriculum"`` or ``"classes"`` (:func:`~tt_core.jobs.api.scenario_family`)
    family: str
    seed: int
    #: this attempt's solver budget: what is left of the job's time limit
    budget: float
    #: solver seconds spent by earlier attempts (0 without a checkpoint)
    elapsed_before: float
    #: the start timetable (``{"period": [...], "room": [...]}``, for a class-based scenario the
    #: time and room options and maybe ``student_ptr``/``student_classes``) or None
    initial: dict | None
    weights: object
    pinned: list | None
    #: how the attempt resumes, for its start event ("" when it starts afresh)
    note: str


def _is_class_problem(problem) -> bool:
    from ..solvers import problem_family

    return problem_family(problem) == "classes"


class JobRecords:
    """The runner's reads and writes of its jobs, on its one :class:`~tt_core.store.Store`."""

    def __init__(self, store):
        self.store = store

    def plan_start(self, job: dict) -> StartPlan:
        """Check a queued job's settings (rows may come from other writers: apps, scripts) and load
        its problem and start timetable: its checkpoint, else its ``initial_variant``.

        Raises
        ------
        TimetableError
            Bad settings, an unknown scenario or variant, or a start timetable that no longer fits
            the scenario.
        """
        params = dict(job["params"] or {})
        family = scenario_family(self.store, job["scenario"])
        strategy, time_limit, seed = validate_settings(params.get("strategy") or job.get("strategy"),
                                                       params.get("time_limit"), params.get("seed", 0),
                                                       family=family, scenario=job["scenario"])
        if family == "classes":
            problem = self.store.classes.load_problem(job["scenario"])
            size, what = problem.n_classes, "classes"
        else:
            problem = self.store.scenarios.load_problem(job["scenario"])
            size, what = problem.n_lectures, "lectures"
        initial = None
        elapsed_before = 0.0
        note = ""
        cp = self.store.jobs.read_checkpoint(int(job["id"]))
        if cp is not None:
            initial = {k: np.asarray(cp[k]).tolist() for k in TIMETABLE_KEYS if cp.get(k) is not None}
            elapsed_before = float(cp["elapsed"] or 0.0)
            note = f"; resumes from the checkpoint at {elapsed_before:.1f} s (cost {cp['soft_cost']})"
        elif params.get("initial_variant") is not None:
            initial = self._variant_timetable(family, int(params["initial_variant"]))
        if initial is not None and len(initial["period"]) != size:
            raise TimetableError(f"the start timetable has {len(initial['period'])} {what} but scenario "
                                 f"{job['scenario']!r} now has {size}; submit a new job")
        if initial is not None and "student_ptr" in initial and len(initial["student_ptr"]) != problem.n_students + 1:
            raise TimetableError(f"the start timetable has {len(initial['student_ptr']) - 1} students but scenario "
                                 f"{job['scenario']!r} now has {problem.n_students}; submit a new job")
        # what is left of the budget; a job resumed at the very end still gets a short polish
        budget = max(time_limit - elapsed_before, min(time_limit, 1.0))
        return StartPlan(problem, strategy, family, seed, budget, elapsed_before, initial, params.get("weights"),
                         params.get("pinned"), note)

    def _variant_timetable(self, family: str, variant_id: int) -> dict:
        """A stored variant as a start timetable (the task's ``initial``)."""
        if family == "classes":
            sol, _info = self.store.classes.load_solution(variant_id, check_stale=False)
            return {"period": sol.time.tolist(), "room": sol.room.tolist(),
                    "student_ptr": sol.student_ptr.tolist(), "student_classes": sol.student_classes.tolist()}
        tt = self.store.variants.load_timetable(variant_id)
        return {"period": [int(x) for x in tt.period], "room": [int(x) for x in tt.room]}

    def start_attempt(self, job_id: int) -> int:
        """Mark a queued job running; returns the attempt's number."""
        return self.store.jobs.start_attempt(job_id)

    def note(self, job_id: int, message: str, kind: str = "info") -> None:
        """Append one message event."""
        self.store.jobs.append_events(job_id, [info_event(message, kind=kind)])

    def progress(self, job_id: int, events: list[dict], checkpoint: dict | None) -> None:
        """Append events and replace the checkpoint (a dict of the task's checkpoint message)."""
        with self.store.transaction():
            if events:
                self.store.jobs.append_events(job_id, events)
            if checkpoint is not None:
                self.store.jobs.write_checkpoint(job_id, checkpoint["period"], checkpoint["room"],
                                                 soft_cost=checkpoint["best_cost"],
                                                 hard_violations=checkpoint["hard_violations"],
                                                 elapsed=checkpoint["elapsed"],
                                                 student_ptr=checkpoint.get("student_ptr"),
                                                 student_classes=checkpoint.get("student_classes"))

    def finish(self, job_id: int, status: str, message: str, variant_id: int | None = None) -> None:
        """The final status and the last event, together."""
        self.store.jobs.update_status(job_id, status, message=message, variant_id=variant_id, event=status)

    def finish_with_result(self, job_id: int, problem, summary: dict, *, partial: bool,
                           outcome: Callable[[str], tuple[str, str]]) -> tuple[str, str, int]:
        """Save the task's timetable as a variant and keep it as the checkpoint, then end the job
        with ``outcome(what)`` → ``(status, message)`` (``what`` describes the saved variant).

        Returns ``(status, message, variant id)``.

        A class-based scenario's result (``problem`` a :class:`~tt_core.classes.ClassProblem`) is
        evaluated here by :func:`tt_core.classes.evaluate`, whose weighted total and hard
        violations the variant, the checkpoint and the message carry.
        """
        if _is_class_problem(problem):
            return self._finish_classes(job_id, problem, summary, partial=partial, outcome=outcome)
        with self.store.transaction():
            variant_id = self.store.jobs.save_variant(
                job_id, problem, summary["period"], summary["room"], partial=partial,
                soft_cost=summary["soft_cost"], hard_violations=summary["hard_violations"],
                by_constraint=summary.get("by_constraint"), stats={k: summary.get(k) for k in STAT_KEYS})
            self.store.jobs.write_checkpoint(job_id, summary["period"], summary["room"],
                                             soft_cost=summary["soft_cost"], hard_violations=summary["hard_violations"],
                                             elapsed=summary.get("elapsed_total", 0.0))
            cost = f"cost {summary['soft_cost']:g}" if summary["soft_cost"] is not None else "no cost"
            status, message = outcome(f"variant {variant_id} ({cost}, {summary['hard_violations']} hard violation(s))")
            self.finish(job_id, status, message, variant_id=variant_id)
        return status, message, variant_id

    def _finish_classes(self, job_id: int, problem, summary: dict, *, partial: bool,
                        outcome: Callable[[str], tuple[str, str]]) -> tuple[str, str, int]:
        from ..classes import evaluate
        from ..classes.model import ClassSolution

        solution = ClassSolution(time=np.asarray(summary["period"], np.int32),
                                 room=np.asarray(summary["room"], np.int32),
                                 student_ptr=np.asarray(summary["student_ptr"], np.int32),
                                 student_classes=np.asarray(summary["student_classes"], np.int32),
                                 meta=tuple((str(k), str(v)) for k, v in (summary.get("solution_meta") or {}).items()))
        solution.check(problem)
        report = evaluate(problem, solution)
        total, hard = int(report.total), int(report.hard_violations)
        with self.store.transaction():
            variant_id = self.store.jobs.save_class_variant(job_id, problem, solution, report, partial=partial,
                                                            stats={k: summary.get(k) for k in STAT_KEYS})
            self.store.jobs.write_checkpoint(job_id, summary["period"], summary["room"], soft_cost=total,
                                             hard_violations=hard, elapsed=summary.get("elapsed_total", 0.0),
                                             student_ptr=summary["student_ptr"],
                                             student_classes=summary["student_classes"])
            status, message = outcome(f"variant {variant_id} (total {total}, {hard} hard violation(s))")
            self.finish(job_id, status, message, variant_id=variant_id)
        return status, message, variant_id

    def requeue(self, job_id: int, message: str) -> None:
        """Back to the queue after a lost worker, with a ``retry`` event saying so."""
        self.store.jobs.update_status(job_id, "queued", message=message, event="retry")

    def recover(self) -> list[tuple[int, int]]:
        """Mark the jobs a dead runner left ``running`` interrupted; returns (job, attempts) pairs."""
        out = []
        for job in self.store.jobs.list(status="running"):
            job_id = int(job["id"])
            cp = self.store.jobs.read_checkpoint(job_id)
            kept = (f"its checkpoint at {cp['elapsed']:.1f} s is kept; retry resumes from it" if cp
                    else "it had no checkpoint yet; retry starts it again")
            self.store.jobs.update_status(job_id, "interrupted", message=f"the runner stopped while it ran; {kept}",
                                          event="interrupted")
            out.append((job_id, int(job.get("attempts") or 0)))
        return out
