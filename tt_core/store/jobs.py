"""Jobs: the queue rows, their progress events and checkpoints, and saving a job's result.

A job row moves queued → running → (succeeded | failed | cancelled | interrupted); retry puts an
ended job back in the queue (:data:`TRANSITIONS`). Progress events are appended with increasing
sequence numbers; one checkpoint per job holds its best timetable so far, so a killed worker loses
only the running step. A job's end — its result saved as a variant (:meth:`JobRepository.save_variant`),
its final status and its last event (:meth:`JobRepository.update_status` with ``event=``) — is one
transaction (:meth:`tt_core.jobs.records.JobRecords.finish_with_result` joins them): a poll that sees
the final status sees the last event too, and a crash in between cannot leave a saved variant behind
an unfinished job.
The runner that drives these rows is :mod:`tt_core.jobs.runner`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import TimetableError
from ..model import Problem, Timetable
from .database import Database, StoreStateError
from .scenarios import ScenarioRepository, problem_fingerprint, scenario_id
from .sql import audit_row, bulk, fetch_rows, first_row, loads, next_ids, to_json, utcnow
from .variants import VariantRepository

if TYPE_CHECKING:  # the class model loads the numba kernels: imported where a class job ends
    from ..classes.model import ClassProblem, ClassSolution
    from .classes import ClassScenarioRepository

#: every status a job can have, in life-cycle order
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
#: a job's final statuses (it is no longer queued or running)
FINAL = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
#: the final statuses from which retry may queue a job again
RETRYABLE = frozenset({"failed", "cancelled", "interrupted"})
#: statuses of jobs that still hold a place in the queue or a worker
ACTIVE = frozenset({"queued", "running"})

#: job status -> statuses it may move to (the runner's life cycle; retry puts an ended job back)
TRANSITIONS = {
    "queued": {"running", "cancelled", "failed"},
    "running": {"succeeded", "failed", "cancelled", "interrupted", "queued"},
    "failed": {"queued"},
    "cancelled": {"queued"},
    "interrupted": {"queued", "cancelled"},
    "succeeded": set(),
}


class JobStateError(StoreStateError):
    """A job row is not in the state its writer expected, or the move is not in the life cycle
    (:data:`TRANSITIONS`): a bug of the writer, not the user's input. The user-facing operations
    (:mod:`tt_core.jobs.api`, the runner) check the status first and say what to do instead."""


_JOB_SELECT = ("SELECT j.id, s.name AS scenario, j.scenario_id, j.name, j.status, j.strategy, j.params, "
               "j.message, j.error, j.variant_id, j.attempts, j.worker, j.created_by, j.created_at, "
               "j.started_at, j.finished_at, j.updated_at FROM jobs j JOIN scenarios s ON s.id = j.scenario_id")

_EVENT_FIELDS = ("kind", "stage", "fraction", "best_cost", "hard_violations", "elapsed", "eta", "message")


class JobRepository:
    """The jobs of the database (``store.jobs``)."""

    def __init__(self, db: Database, scenarios: ScenarioRepository, variants: VariantRepository,
                 classes: ClassScenarioRepository | None = None):
        self.db = db
        self.scenarios = scenarios
        self.variants = variants
        self.classes = classes

    def create(self, scenario: int | str, *, params: dict | None = None, name: str = "",
               strategy: str | None = None, user: str | None = None) -> int:
        """Queue a job row for a scenario; returns its id.

        ``strategy`` defaults to ``params["strategy"]``; ``params`` must be JSON-serialisable.
        """
        params = dict(params or {})
        strategy = strategy if strategy is not None else params.get("strategy")
        text = to_json(params, "job parameters")
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            (jid,) = next_ids(cur, "jobs", 1)
            now = utcnow()
            cur.execute("INSERT INTO jobs (id, scenario_id, name, status, strategy, params, created_by, created_at, "
                        "updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                        [jid, sid, name or "", strategy, text, user, now, now])
            audit_row(cur, user, "start job", f"job {jid}", {"scenario_id": sid, "strategy": strategy,
                                                               "name": name or ""})
        return jid

    def get(self, job_id: int) -> dict | None:
        """The job's row as a dict (``params`` parsed), or None when there is no such job."""
        rows = self.db.query(_JOB_SELECT + " WHERE j.id = ?", [int(job_id)])
        if not rows:
            return None
        rows[0]["params"] = loads(rows[0]["params"])
        return rows[0]

    def list(self, scenario: int | str | None = None, *, status: str | None = None, limit: int | None = None,
             oldest_first: bool = False) -> list[dict]:
        """Jobs (newest first unless ``oldest_first``), optionally of one scenario and status."""
        if status is not None and status not in JOB_STATUSES:
            raise TimetableError(f"unknown job status {status!r}; one of {', '.join(JOB_STATUSES)}")
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario) if scenario is not None else None
            sql = (_JOB_SELECT + " WHERE s.deleted_at IS NULL AND (? IS NULL OR j.scenario_id = ?) "
                   "AND (? IS NULL OR j.status = ?) ORDER BY j.id " + ("ASC" if oldest_first else "DESC"))
            params = [sid, sid, status, status]
            if limit is not None:
                sql += " LIMIT ?"
                params.append(int(limit))
            rows = fetch_rows(cur, sql, params)
        for r in rows:
            r["params"] = loads(r["params"])
        return rows

    def update_status(self, job_id: int, status: str, *, message: str | None = None, error: str | None = None,
                      worker: str | None = None, variant_id: int | None = None,
                      expect: Iterable[str] | None = None, event: str | None = None) -> dict:
        """Move a job to ``status`` and return its updated row.

        With ``event`` (an event kind, e.g. ``"retry"``), an event of that kind carrying ``message``
        is appended in the same transaction: whoever sees the new status sees the event too.

        Allowed moves: queued → running | cancelled | failed; running → succeeded | failed |
        cancelled | interrupted | queued (retry); failed | cancelled | interrupted → queued;
        interrupted → cancelled. ``running`` counts an attempt and sets ``started_at``; ended
        states set ``finished_at``; a failed job keeps ``message`` as its ``error``.

        Raises
        ------
        TimetableError
            Unknown job or status.
        JobStateError
            A move the life cycle does not allow, or the current status not in ``expect``.
        """
        if status not in JOB_STATUSES:
            raise TimetableError(f"unknown job status {status!r}; one of {', '.join(JOB_STATUSES)}")
        with self.db.transaction() as cur:
            row = first_row(cur.execute("SELECT status FROM jobs WHERE id = ?", [int(job_id)]))
            if row is None:
                raise TimetableError(f"no job {job_id} in {self.db.path}")
            current = row[0]
            if expect is not None and current not in set(expect):
                raise JobStateError(f"job {job_id} is {current}, not {' or '.join(expect)}")
            if status not in TRANSITIONS[current]:
                raise JobStateError(f"job {job_id} is {current} and cannot become {status}"
                                     + ("; it has already ended" if current in FINAL else ""))
            stamp = utcnow()
            sets = ["status = ?", "updated_at = ?"]
            params: list[Any] = [status, stamp]
            if message is not None:
                sets.append("message = ?")
                params.append(message)
            if status == "failed":
                sets.append("error = ?")
                params.append(error if error is not None else message)
            elif error is not None:
                sets.append("error = ?")
                params.append(error)
            elif status == "queued":
                sets.append("error = NULL")
            if status == "running":
                sets += ["attempts = attempts + 1", "started_at = ?", "finished_at = NULL"]
                params.append(stamp)
            elif status in FINAL:
                sets.append("finished_at = ?")
                params.append(stamp)
            elif status == "queued":
                sets.append("finished_at = NULL")
            if worker is not None:
                sets.append("worker = ?")
                params.append(worker)
            if variant_id is not None:
                sets.append("variant_id = ?")
                params.append(int(variant_id))
            cur.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", params + [int(job_id)])
            if event is not None:
                self.append_events(job_id, [{"kind": event, "message": message}])
        return self.get(job_id)

    def start_attempt(self, job_id: int, worker: str | None = None) -> int:
        """Mark a queued job running (one attempt more); returns the attempt number."""
        return int(self.update_status(job_id, "running", worker=worker, expect=("queued",))["attempts"])

    def interrupt_running(self, message: str = "the runner stopped while it ran") -> list[int]:
        """Mark every running job interrupted (a runner's recovery at start); returns their ids."""
        with self.db.transaction():
            ids = [j["id"] for j in self.list(status="running")]
            for jid in ids:
                self.update_status(jid, "interrupted", message=message)
        return ids

    def append_events(self, job_id: int, events: Sequence) -> int:
        """Append progress events (dicts or ``ProgressEvent``-like objects) in one transaction.

        Recognised fields: ``kind`` (default ``"progress"``), ``stage``, ``fraction`` (0..1),
        ``best_cost``, ``hard_violations``, ``elapsed``, ``eta``, ``message``, ``at``. Sequence numbers
        continue from the job's last one. Returns the last sequence number.
        """
        rows = []
        for ev in events:
            get = ev.get if isinstance(ev, dict) else (lambda k, default=None, _e=ev: getattr(_e, k, default))
            row = {k: get(k) for k in _EVENT_FIELDS}
            row["kind"] = row["kind"] or "progress"
            for k in ("fraction", "best_cost", "elapsed", "eta"):
                if row[k] is not None:
                    v = float(row[k])
                    row[k] = v if math.isfinite(v) else None
            if row["fraction"] is not None:
                row["fraction"] = min(1.0, max(0.0, row["fraction"]))
            if row["hard_violations"] is not None:
                row["hard_violations"] = int(row["hard_violations"])
            row["at"] = get("at") or utcnow()
            rows.append(row)
        with self.db.transaction() as cur:
            if first_row(cur.execute("SELECT 1 FROM jobs WHERE id = ?", [int(job_id)])) is None:
                raise TimetableError(f"no job {job_id} in {self.db.path}")
            last = first_row(cur.execute("SELECT coalesce(max(seq), 0) FROM job_events WHERE job_id = ?",
                                         [int(job_id)]))[0]
            if not rows:
                return int(last)
            data = {"job_id": [int(job_id)] * len(rows), "seq": range(last + 1, last + 1 + len(rows)),
                    "logged_at": [r["at"] for r in rows]}
            for k in _EVENT_FIELDS:
                vals = [r[k] for r in rows]
                if k == "hard_violations":
                    import pandas as pd  # loads on first use: `tt jobs …` reads the store without it

                    vals = pd.array(vals, dtype="Int64")
                elif k in ("fraction", "best_cost", "elapsed", "eta"):
                    import pandas as pd

                    vals = pd.array(vals, dtype="Float64")
                data[k] = vals
            bulk(cur, "job_events", data)
            cur.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", [utcnow(), int(job_id)])
        return int(last + len(rows))

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        """The job's events with a sequence number above ``after``, in order."""
        return self.db.query("SELECT seq, logged_at, kind, stage, fraction, best_cost, hard_violations, elapsed, eta, "
                             "message FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq",
                             [int(job_id), int(after)])

    def write_checkpoint(self, job_id: int, period: Sequence[int], room: Sequence[int], *,
                         soft_cost: float | None = None, hard_violations: int | None = None,
                         elapsed: float = 0.0, student_ptr: Sequence[int] | None = None,
                         student_classes: Sequence[int] | None = None) -> None:
        """Replace the job's best-so-far timetable (one checkpoint per job).

        A job on a class-based scenario gives each class's time option as ``period``, its room
        option as ``room`` and, when the solution sections students, their classes as
        ``student_ptr``/``student_classes`` (:class:`~tt_core.classes.model.ClassSolution`).
        """
        period = [int(x) for x in period]
        room = [int(x) for x in room]
        if len(period) != len(room):
            raise TimetableError(f"checkpoint of job {job_id}: {len(period)} periods but {len(room)} rooms")
        ptr = None if student_ptr is None else [int(x) for x in student_ptr]
        classes = None if student_classes is None else [int(x) for x in student_classes]
        if (ptr is None) != (classes is None) or (ptr is not None and (not ptr or ptr[-1] != len(classes))):
            raise TimetableError(f"checkpoint of job {job_id}: the students' classes do not match their pointers")
        soft = None if soft_cost is None or not math.isfinite(float(soft_cost)) else float(soft_cost)
        with self.db.transaction() as cur:
            if first_row(cur.execute("SELECT 1 FROM jobs WHERE id = ?", [int(job_id)])) is None:
                raise TimetableError(f"no job {job_id} in {self.db.path}")
            cur.execute("INSERT INTO job_checkpoints (job_id, saved_at, period, room, soft_cost, hard_violations, "
                        "elapsed, student_ptr, student_classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (job_id) DO UPDATE SET "
                        "saved_at = excluded.saved_at, period = excluded.period, room = excluded.room, "
                        "soft_cost = excluded.soft_cost, "
                        "hard_violations = excluded.hard_violations, elapsed = excluded.elapsed, "
                        "student_ptr = excluded.student_ptr, student_classes = excluded.student_classes",
                        [int(job_id), utcnow(), period, room, soft,
                         None if hard_violations is None else int(hard_violations), float(elapsed or 0.0),
                         ptr, classes])

    def read_checkpoint(self, job_id: int) -> dict | None:
        """The job's latest checkpoint (``period``, ``room`` as int32 arrays, ``soft_cost``,
        ``hard_violations``, ``elapsed``, ``saved_at``; ``student_ptr``/``student_classes`` as
        int32 arrays or None), or None."""
        rows = self.db.query("SELECT job_id, saved_at, period, room, soft_cost, hard_violations, elapsed, "
                             "student_ptr, student_classes FROM job_checkpoints WHERE job_id = ?", [int(job_id)])
        if not rows:
            return None
        cp = rows[0]
        for k in ("period", "room", "student_ptr", "student_classes"):
            if cp[k] is not None:
                cp[k] = np.asarray(cp[k], np.int32)
        return cp

    def drop_checkpoint(self, job_id: int) -> None:
        """Forget the job's checkpoint (e.g. once its final variant is saved)."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM job_checkpoints WHERE job_id = ?", [int(job_id)])

    def save_variant(self, job_id: int, problem: Problem | None, period: Sequence[int], room: Sequence[int], *,
                     partial: bool = False, soft_cost: float | None = None,
                     hard_violations: int | None = None, by_constraint: dict | None = None,
                     stats: dict | None = None, name: str | None = None) -> int:
        """Store a job's result as a variant of the job's scenario and return its id.

        ``by_constraint`` is ``{name: units}`` or ``{name: (units, weighted)}`` (as
        ``CostReport.by_constraint()``); ``stats`` goes to the variant's meta.
        """
        job = self.get(job_id)
        if job is None:
            raise TimetableError(f"no job {job_id} in {self.db.path}")
        if problem is None:
            problem = self.scenarios.load_problem(job["scenario_id"])
        units = None
        if by_constraint:
            units = {}
            for k, v in by_constraint.items():
                units[str(k)] = int(v[0] if isinstance(v, (list, tuple)) else v)
        meta = {"job": int(job_id), "strategy": job["strategy"], "params": job["params"], "stats": stats or {}}
        timetable = Timetable(np.asarray(period, np.int32), np.asarray(room, np.int32))
        fingerprint = problem_fingerprint(problem)
        soft = None if soft_cost is None or not math.isfinite(float(soft_cost)) else float(soft_cost)
        with self.db.transaction() as cur:
            sid = job["scenario_id"]
            (vid,) = next_ids(cur, "variants", 1)
            # the name the planner gave the job names its variant (the job's number stays findable)
            made_by = f"{job['name']} (job {job_id})" if job.get("name") else f"job {job_id}"
            label = name or made_by + (" (partial)" if partial else "")
            # a job started from a variant keeps it as its parent (unless it was deleted meanwhile)
            parent = (job["params"] or {}).get("initial_variant")
            if parent is not None and first_row(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                                         [int(parent), sid])) is None:
                parent = None
            self.variants.insert(cur, sid, vid, timetable, fingerprint, name=label, parent=parent, job_id=int(job_id),
                                 status="draft", partial=partial, soft=soft,
                                 hard=None if hard_violations is None else int(hard_violations),
                                 units=None if units is None else to_json(units, "cost units"), weights=None,
                                 meta_json=to_json(meta, "variant meta"))
        return vid

    def save_class_variant(self, job_id: int, problem: ClassProblem, solution: ClassSolution, report, *,
                           partial: bool = False, stats: dict | None = None) -> int:
        """Store a job's result on a class-based scenario as a variant (as :meth:`save_variant`
        names it and links its parent); ``report`` is the solution's
        :class:`~tt_core.classes.evaluator.ClassReport` (its weighted total is the variant's cost)."""
        job = self.get(job_id)
        if job is None:
            raise TimetableError(f"no job {job_id} in {self.db.path}")
        made_by = f"{job['name']} (job {job_id})" if job.get("name") else f"job {job_id}"
        meta = {"job": int(job_id), "strategy": job["strategy"], "params": job["params"], "stats": stats or {}}
        with self.db.transaction() as cur:
            parent = (job["params"] or {}).get("initial_variant")
            if parent is not None and first_row(cur.execute("SELECT 1 FROM variants WHERE id = ? AND scenario_id = ?",
                                                         [int(parent), job["scenario_id"]])) is None:
                parent = None
            return self.classes.save_solution(job["scenario_id"], solution, report=report, meta=meta,
                                              name=made_by + (" (partial)" if partial else ""),
                                              parent=None if parent is None else int(parent), job_id=int(job_id),
                                              partial=partial, problem=problem)

