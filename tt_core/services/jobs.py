"""Generation jobs as a planner starts, follows, cancels and retries them; the runner does the work."""

from __future__ import annotations

import pandas as pd

from ..errors import TimetableError
from .session import Service


class RunnerStarting(TimetableError):
    """Raised by a session's runner factory while the process's job runner is still starting (a
    Dask cluster takes seconds). A job submitted meanwhile is queued in the database, where the
    runner finds it once it is up, so nobody has to wait for the runner before pressing Start."""


class JobService(Service):
    """Generation jobs (``studio.jobs``)."""

    @property
    def runner(self):
        """The process's job runner (raises when this process has none, or :class:`RunnerStarting`)."""
        return self.session.runner

    def submit(self, scenario: str, *, strategy: str, time_limit: float, seed: int = 0,
               weights: dict[str, float] | None = None, name: str | None = None, user: str | None = None) -> int:
        """Queue a generation job (planner or admin); the job row and the audit log keep who asked.

        While the process's runner is starting the job is written to the queue directly
        (:func:`tt_core.jobs.api.queue_job`, the same checks and row); the runner starts it once up.
        """
        user = self.require("run_jobs", user)
        try:
            runner = self.runner
        except RunnerStarting:
            from ..jobs.api import queue_job

            return queue_job(self.store, scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                             seed=seed, name=name, user=user)
        return runner.submit(scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                             seed=seed, name=name, user=user)

    def cancel(self, job_id: int, user: str | None = None) -> str:
        """Cancel a queued or running job (planner or admin); audited. While the runner starts this
        raises :class:`RunnerStarting` (its first look at the queue must not race a cancel)."""
        user = self.require("cancel_jobs", user)
        outcome = self.runner.cancel(int(job_id))
        self.store.audit("cancel job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
        return outcome

    def retry(self, job_id: int, user: str | None = None) -> str:
        """Queue a failed, cancelled or interrupted job again; it resumes from its checkpoint."""
        user = self.require("run_jobs", user)
        try:
            runner = self.runner
        except RunnerStarting:  # back in the queue, where the runner finds it once up
            from ..jobs.api import requeue_job

            with self.store.transaction():
                outcome = requeue_job(self.store, int(job_id))
                self.store.audit("retry job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
            return outcome
        outcome = runner.retry(int(job_id))
        self.store.audit("retry job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
        return outcome

    def get(self, job_id: int) -> dict:
        job = self.store.jobs.get(int(job_id))
        if job is None:
            raise TimetableError(f"no job {job_id}")
        return job

    def events(self, job_id: int, after: int = 0) -> list[dict]:
        return self.store.jobs.events(int(job_id), after)

    def frame(self, scenario: str | None = None, limit: int = 50) -> pd.DataFrame:
        """Recent jobs, newest first: id, name, scenario, status, strategy, time limit, variant (``#id``,
        empty until the job saved one), who, when, message."""
        cols = ["id", "name", "scenario", "status", "strategy", "time_limit", "variant", "created_by", "created_at",
                "message"]
        rows = []
        for j in self.store.jobs.list(scenario, limit=limit):
            # text, not a number: a job without a variant yet would turn the column into floats ("NaN")
            variant = "" if j.get("variant_id") is None else f"#{int(j['variant_id'])}"
            rows.append({"id": j["id"], "name": j.get("name") or "", "scenario": j["scenario"], "status": j["status"],
                         "strategy": j["strategy"], "time_limit": (j.get("params") or {}).get("time_limit"),
                         "variant": variant,
                         "created_by": j.get("created_by") or "",
                         "created_at": j["created_at"].strftime("%Y-%m-%d %H:%M:%S") if j["created_at"] else "",
                         "message": j.get("message") or ""})
        return pd.DataFrame(rows, columns=cols)

    def resolve_pinned(self, scenario: str, variant_id: int, pinned, *, strategy: str | None = None,
                       time_limit: float = 60.0, seed: int = 0, name: str | None = None,
                       user: str | None = None) -> int:
        """Queue a job that starts from stored variant ``variant_id`` and keeps the lectures ``pinned``
        (lecture ids) where they are in it, re-solving the rest (planner or admin; audited with the
        job). The job optimises the weights the variant was made with, and its result is a child of it.

        Raises
        ------
        TimetableError
            No lecture pinned, a lecture that does not exist or is not placed in the variant, a
            variant of another scenario or one that no longer fits the scenario's data.
        """
        from .variants import VariantService

        user = self.require("run_jobs", user)
        timetable, info = self.store.variants.load(int(variant_id))
        if info["scenario"] != scenario:
            raise TimetableError(f"variant #{variant_id} belongs to scenario {info['scenario']!r}, not {scenario!r}")
        if info.get("stale"):
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); pin lectures of a variant made with the current data")
        ids = sorted({int(x) for x in pinned})
        if not ids:
            raise TimetableError("pick the lectures to pin first (the others are re-solved around them)")
        n = len(timetable.period)
        wrong = [x for x in ids if not 0 <= x < n]
        if wrong:
            raise TimetableError(f"lecture(s) {', '.join(map(str, wrong[:5]))} do not exist: variant #{variant_id} "
                                 f"has lectures 0..{n - 1}")
        unplaced = [x for x in ids if timetable.period[x] < 0 or timetable.room[x] < 0]
        if unplaced:
            raise TimetableError(f"lecture(s) {', '.join(map(str, unplaced[:5]))} are not placed in variant "
                                 f"#{variant_id}, so they cannot be pinned where they are")
        return self.runner.submit(scenario, strategy=strategy, weights=VariantService.weights_of(info),
                                  time_limit=time_limit, seed=seed, initial_variant=int(variant_id), pinned=ids,
                                  name=name or f"re-solve of #{int(variant_id)} with {len(ids)} pinned",
                                  user=user)
