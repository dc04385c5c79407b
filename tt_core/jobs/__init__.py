"""Generation jobs: persisted in DuckDB, run on Dask, with progress, cancel, retry, limits and recovery.

``JobRunner`` (:mod:`tt_core.jobs.runner`) is the one process that writes the job tables and runs
the jobs; its rules live in :mod:`~tt_core.jobs.policy` (retries, time limits) and its writes in
:mod:`~tt_core.jobs.records` (one transaction each); :func:`tt_core.jobs.task.run_job` is what a
Dask worker executes; other processes reach a live runner through :mod:`tt_core.jobs.control`
(``tt jobs …`` does this by itself). :class:`~tt_core.jobs.api.JobAPI` is the interface the
runner, the control client and :class:`~tt_core.jobs.api.OfflineJobs` share.

>>> from tt_core.jobs import JobRunner                                     # doctest: +SKIP
>>> with JobRunner("timetable.duckdb") as runner:                          # doctest: +SKIP
...     job = runner.submit("autumn 2025", strategy="local", time_limit=60)
...     runner.progress_bar(job)
"""

from __future__ import annotations

from ..store import FINAL, JOB_STATUSES as STATUSES
from .api import JobAPI, OfflineJobs, progress_bar, watch_events
from .runner import JobRunner, local_cluster

__all__ = ["JobAPI", "JobRunner", "OfflineJobs", "local_cluster", "progress_bar", "watch_events", "STATUSES", "FINAL"]
