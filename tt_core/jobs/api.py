"""The job API every front end uses, and the parts of it that need no runner.

:class:`JobAPI` is what :class:`~tt_core.jobs.runner.JobRunner` (the process that owns the
database and runs jobs), :class:`~tt_core.jobs.control.RunnerClient` (another process talking to
a live runner) and :class:`OfflineJobs` (the database with no runner) have in common: the CLI, the
apps and notebooks program against it. :func:`queue_job` and :func:`requeue_job` write the rows
for all three; :func:`watch_events` and :func:`progress_bar` follow a job through any of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import TimetableError
from ..store import FINAL, JOB_STATUSES, RETRYABLE

#: a checkpoint's timetable arrays (left out of a job's checkpoint summary)
TIMETABLE_KEYS = ("period", "room", "student_ptr", "student_classes")


@runtime_checkable
class JobAPI(Protocol):
    """The operations on generation jobs, whoever carries them out."""

    def submit(self, scenario: str, strategy: str | None = None, weights=None, time_limit: float = 60.0,
               seed: int = 0, initial_variant: int | None = None, pinned=None, name: str | None = None,
               user: str | None = None) -> int:
        """Queue a job; returns its id (the settings as :func:`queue_job` takes them)."""

    def cancel(self, job_id: int) -> str:
        """Cancel a job; returns ``"cancelled"``, ``"cancelling"`` or ``"interrupted"``."""

    def retry(self, job_id: int) -> str:
        """Queue an ended job again; returns its new status."""

    def get_job(self, job_id: int) -> dict:
        """The job's row with a checkpoint summary."""

    def list_jobs(self, status: str | None = None, limit: int | None = None) -> list[dict]:
        """Jobs, newest first."""

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        """The job's events after sequence number ``after``."""


#: what a problem family is called in messages
FAMILY_LABELS = {"curriculum": "curriculum", "classes": "class-based (ITC2019)"}


def scenario_family(con, scenario) -> str:
    """``"classes"`` for a class-based scenario (ITC2019 data), ``"curriculum"`` otherwise."""
    return "classes" if con.classes.is_class_scenario(scenario) else "curriculum"


def family_strategies(family: str) -> tuple[dict, str]:
    """The strategy registry and the default strategy of a problem family."""
    from ..solvers import CLASS_DEFAULT_STRATEGY, CLASS_STRATEGIES, DEFAULT_STRATEGY, STRATEGIES

    return (CLASS_STRATEGIES, CLASS_DEFAULT_STRATEGY) if family == "classes" else (STRATEGIES, DEFAULT_STRATEGY)


def check_strategy(strategy: str | None, family: str | None, scenario=None) -> str | None:
    """The strategy a job runs: ``strategy`` if it solves the family, its default if None.

    With ``family`` None (the scenario is not known yet) any strategy of either family passes and
    None stays None. A class-based scenario with no strategy gets ``classes``, its only solver, as
    a curriculum one gets the curriculum default; a strategy of the other family is refused rather
    than swapped, so a job never runs a solver other than the one asked for.
    """
    from ..solvers import CLASS_STRATEGIES, STRATEGIES

    if family is None:
        if strategy is None or strategy in STRATEGIES or strategy in CLASS_STRATEGIES:
            return strategy
        raise TimetableError(f"unknown strategy {strategy!r}; choose one of: "
                             f"{', '.join(sorted(STRATEGIES))} (curriculum scenarios) or "
                             f"{', '.join(sorted(CLASS_STRATEGIES))} (class-based ITC2019 scenarios)")
    registry, default = family_strategies(family)
    name = strategy or default
    if name in registry:
        return name
    where = f"scenario {scenario!r} is {FAMILY_LABELS[family]}" if scenario is not None \
        else f"this is a {FAMILY_LABELS[family]} scenario"
    other = "classes" if family == "curriculum" else "curriculum"
    if name in family_strategies(other)[0]:
        raise TimetableError(f"strategy {name!r} solves {FAMILY_LABELS[other]} scenarios, but {where}; "
                             f"choose one of: {', '.join(sorted(registry))}")
    raise TimetableError(f"unknown strategy {name!r}: {where}; choose one of: {', '.join(sorted(registry))}")


def validate_settings(strategy: str | None, time_limit, seed, *, family: str | None = "curriculum",
                      scenario=None) -> tuple[str | None, float, int]:
    """Check job settings before a row is written; raises TimetableError saying what to change.

    ``family`` is the scenario's problem family (:func:`scenario_family`; None while the scenario
    is not known yet, see :func:`check_strategy`).
    """
    name = check_strategy(strategy, family, scenario)
    try:
        limit = float(time_limit)
    except (TypeError, ValueError):
        raise TimetableError(f"time limit must be a number of seconds, got {time_limit!r}") from None
    if not limit > 0 or limit != limit or limit == float("inf"):
        raise TimetableError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise TimetableError(f"seed must be a whole number, got {seed!r}") from None
    return name, limit, seed


def info_event(message: str, kind: str = "info") -> dict:
    """A job event that carries only a message (no progress numbers)."""
    return {"kind": kind, "stage": None, "fraction": None, "best_cost": None, "hard_violations": None,
            "elapsed": None, "eta": None, "message": message}


def check_status(status: str | None) -> None:
    """Refuse an unknown job status filter."""
    if status is not None and status not in JOB_STATUSES:
        raise TimetableError(f"unknown job status {status!r}; one of {', '.join(JOB_STATUSES)}")


def job_with_checkpoint(con, job_id: int, db_path=None) -> dict:
    """The job's row plus ``checkpoint``: its checkpoint's summary (no timetable) or None."""
    job = con.jobs.get(job_id)
    if job is None:
        raise TimetableError(f"no job {job_id} in {db_path or con.path}")
    cp = con.jobs.read_checkpoint(job_id)
    job["checkpoint"] = None if cp is None else {k: cp[k] for k in cp if k not in TIMETABLE_KEYS}
    return job


def queue_job(con, scenario: str, *, strategy: str | None, weights=None, time_limit: float = 60.0,
              seed: int = 0, initial_variant: int | None = None, pinned=None, name: str | None = None,
              user: str | None = None) -> int:
    """Validate the settings and write a ``queued`` job row (used by the runner and the CLI);
    ``user`` is who asked (``jobs.created_by`` and the audit log).

    The strategy, ``weights``, ``pinned`` and ``initial_variant`` are checked against the
    scenario's problem family (:func:`scenario_family`): class-based scenarios take the
    ``classes`` strategy, weights by name among ``time``, ``room``, ``distribution``, ``student``,
    and pinned class indices.
    """
    if not con.scenarios.exists(scenario):
        known = con.scenarios.names()
        raise TimetableError(f"unknown scenario {scenario!r}; "
                             + (f"known: {', '.join(known)}" if known else "the database has none; import one first"))
    family = scenario_family(con, scenario)
    strategy, time_limit, seed = validate_settings(strategy, time_limit, seed, family=family, scenario=scenario)
    what = "classes" if family == "classes" else "lectures"
    if pinned is not None:
        arr = np.asarray(pinned)
        ids = np.flatnonzero(arr) if arr.dtype == bool else arr.astype(np.int64).ravel()
        pinned = sorted({int(x) for x in ids})
        if pinned and initial_variant is None:
            raise TimetableError(f"pinned {what} need initial_variant: the variant that says where they are pinned")
    if initial_variant is not None:
        if family == "classes":  # TimetableError when unknown or a curriculum timetable
            _sol, info = con.classes.load_solution(int(initial_variant), check_stale=False)
        else:
            _tt, info = con.variants.load(int(initial_variant), check_stale=False)  # TimetableError when unknown
        if info["scenario"] != scenario and info["scenario_id"] != scenario:
            raise TimetableError(f"variant {initial_variant} belongs to scenario {info['scenario']!r}, "
                                 f"not {scenario!r}; start from a variant of the same scenario")
    if weights is not None:
        weights = _class_weights(weights, scenario) if family == "classes" else _curriculum_weights(weights)
    params = {"strategy": strategy, "time_limit": time_limit, "seed": seed, "weights": weights,
              "initial_variant": initial_variant, "pinned": pinned or None}
    return con.jobs.create(scenario, params=params, name=name, user=user)


def _curriculum_weights(weights) -> dict | list:
    from ..cost import resolve_weights

    try:
        if isinstance(weights, dict):
            weights = {str(k): float(v) for k, v in weights.items()}
        else:
            weights = [float(x) for x in np.asarray(weights, dtype=np.float64).ravel()]
    except (TypeError, ValueError):
        raise TimetableError(f"weights must be numbers by constraint name, got {weights!r}") from None
    resolve_weights(weights)  # unknown constraint names, wrong length: TimetableError now, not at run time
    return weights


# the class model's four objective weights (tt_core.classes.model.WEIGHT_NAMES; not imported here:
# the model loads the numba kernels)
CLASS_WEIGHT_NAMES = ("time", "room", "distribution", "student")


def _class_weights(weights, scenario) -> dict:
    if not isinstance(weights, dict):
        raise TimetableError(f"scenario {scenario!r} is class-based (ITC2019): its weights are whole numbers by "
                             f"name among {', '.join(CLASS_WEIGHT_NAMES)}, e.g. {{\"student\": 5}}; got {weights!r}")
    unknown = sorted(set(map(str, weights)) - set(CLASS_WEIGHT_NAMES))
    if unknown:
        raise TimetableError(f"unknown weight(s) {', '.join(unknown)} for the class-based scenario {scenario!r}; "
                             f"it has {', '.join(CLASS_WEIGHT_NAMES)}")
    try:
        out = {str(k): int(v) for k, v in weights.items()}
    except (TypeError, ValueError):
        raise TimetableError(f"class weights must be whole numbers, got {weights!r}") from None
    if any(v < 0 for v in out.values()):
        raise TimetableError(f"class weights must not be negative, got {weights!r}")
    return out


def requeue_job(con, job_id: int) -> str:
    """Put a failed, cancelled or interrupted job back in the queue (it resumes from its checkpoint)."""
    job = con.jobs.get(job_id)
    if job is None:
        raise TimetableError(f"no job {job_id}")
    if job["status"] not in RETRYABLE:
        hint = "submit a new job to run it again" if job["status"] == "succeeded" else "it has not ended"
        raise TimetableError(f"job {job_id} is {job['status']}; only failed, cancelled or interrupted jobs "
                             f"can be retried ({hint})")
    cp = con.jobs.read_checkpoint(job_id)
    where = f"from its checkpoint at {cp['elapsed']:.1f} s" if cp else "from the start (no checkpoint)"
    con.jobs.update_status(job_id, "queued", message=f"retry requested; resumes {where}", event="retry")
    return "queued"


def watch_events(source, job_id: int, poll: float = 0.2) -> Iterator[dict]:
    """Yield ``source.events(job_id)`` as they appear until the job has ended (runner or client)."""
    after = 0
    while True:
        status = source.get_job(job_id)["status"]
        for ev in source.events(job_id, after=after):
            after = max(after, int(ev["seq"]))
            yield ev
        if status in FINAL:
            # a final status is written with its last event: one more read catches it
            for ev in source.events(job_id, after=after):
                after = max(after, int(ev["seq"]))
                yield ev
            return
        time.sleep(poll)


def progress_bar(source, job_id: int, file=None, **tqdm_kwargs) -> str:
    """A tqdm bar (percent of the time budget, best cost, hard violations) until the job ends."""
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", desc=f"job {job_id}", file=file, **tqdm_kwargs)
    try:
        for ev in watch_events(source, job_id):
            if ev.get("fraction") is not None:
                bar.n = int(round(100 * float(ev["fraction"])))
                cost = "-" if ev.get("best_cost") is None else f"{ev['best_cost']:g}"
                bar.set_postfix_str(f"{ev.get('stage')}: cost {cost}, hard {ev.get('hard_violations')}")
                bar.refresh()
            elif ev.get("message"):
                bar.write(f"job {job_id}: {ev['message']}")
    finally:
        bar.close()
    return source.get_job(job_id)["status"]


class OfflineJobs:
    """Job operations on a database no runner holds (the ``tt jobs`` commands without a runner).

    Listing, showing, queueing and retrying work as with a runner; a queued job is cancelled at
    once; a job still marked ``running`` has lost its runner (it would otherwise hold the file)
    and is marked interrupted (cancel) or left for the next runner to recover.
    """

    def __init__(self, con, db_path=None):
        self._con = con
        self.db_path = db_path

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> OfflineJobs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, scenario: str, strategy: str | None = None, weights=None, time_limit: float = 60.0,
               seed: int = 0, initial_variant: int | None = None, pinned=None, name: str | None = None,
               user: str | None = None) -> int:
        return queue_job(self._con, scenario, strategy=strategy, weights=weights, time_limit=time_limit, seed=seed,
                         initial_variant=initial_variant, pinned=pinned, name=name, user=user)

    def get_job(self, job_id: int) -> dict:
        return job_with_checkpoint(self._con, job_id, self.db_path or "the database")

    def list_jobs(self, status: str | None = None, limit: int | None = None) -> list[dict]:
        check_status(status)
        return self._con.jobs.list(status=status, limit=limit)

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        return self._con.jobs.events(job_id, after=after)

    def cancel(self, job_id: int) -> str:
        status = self.get_job(job_id)["status"]
        if status in FINAL:
            raise TimetableError(f"job {job_id} already ended ({status}); nothing to cancel")
        message = ("cancelled before it started" if status == "queued"
                   else "cancelled; its runner had already stopped (the checkpoint is kept)")
        with self._con.transaction():
            self._con.jobs.update_status(job_id, "cancelled", message=message, event="cancelled")
            self._con.audit("cancel job", f"job {job_id}", {"outcome": "cancelled", "via": "command line"})
        return "cancelled"

    def retry(self, job_id: int) -> str:
        with self._con.transaction():
            outcome = requeue_job(self._con, job_id)
            self._con.audit("retry job", f"job {job_id}", {"outcome": outcome, "via": "command line"})
        return outcome
