"""Generation jobs as a planner starts, follows, cancels and retries them; the runner does the work."""

from __future__ import annotations

import pandas as pd

from ..errors import TimetableError
from .session import Service


class JobService(Service):
    """Generation jobs (``studio.jobs``)."""

    @property
    def runner(self):
        """The process's job runner (raises when this process has none)."""
        return self.session.runner

    def submit(self, scenario: str, *, strategy: str, time_limit: float, seed: int = 0,
               weights: dict[str, float] | None = None, name: str | None = None, user: str | None = None) -> int:
        """Queue a generation job (planner or admin); the job row and the audit log keep who asked."""
        user = self.require("run_jobs", user)
        return self.runner.submit(scenario, strategy=strategy, weights=weights, time_limit=time_limit,
                                  seed=seed, name=name, user=user)

    def cancel(self, job_id: int, user: str | None = None) -> str:
        """Cancel a queued or running job (planner or admin); audited."""
        user = self.require("cancel_jobs", user)
        outcome = self.runner.cancel(int(job_id))
        self.store.audit("cancel job", f"job {int(job_id)}", {"outcome": outcome}, user=user)
        return outcome

    def retry(self, job_id: int, user: str | None = None) -> str:
        """Queue a failed, cancelled or interrupted job again; it resumes from its checkpoint."""
        user = self.require("run_jobs", user)
        outcome = self.runner.retry(int(job_id))
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
        """Recent jobs, newest first: id, scenario, status, strategy, time limit, variant, message."""
        cols = ["id", "scenario", "status", "strategy", "time_limit", "variant_id", "created_by", "created_at",
                "message"]
        rows = []
        for j in self.store.jobs.list(scenario, limit=limit):
            rows.append({"id": j["id"], "scenario": j["scenario"], "status": j["status"], "strategy": j["strategy"],
                         "time_limit": (j.get("params") or {}).get("time_limit"), "variant_id": j["variant_id"],
                         "created_by": j.get("created_by") or "",
                         "created_at": j["created_at"].strftime("%Y-%m-%d %H:%M:%S") if j["created_at"] else "",
                         "message": j.get("message") or ""})
        return pd.DataFrame(rows, columns=cols)
