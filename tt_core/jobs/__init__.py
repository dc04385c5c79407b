"""Generation jobs: persisted in DuckDB, run on Dask, with progress, cancel, retry, limits and recovery.

``JobRunner`` (:mod:`tt_core.jobs.runner`) is the one process that writes the job tables and runs
the jobs; :func:`tt_core.jobs.task.run_job` is what a Dask worker executes; other processes reach a
live runner through :mod:`tt_core.jobs.control` (``tt jobs …`` does this by itself).

>>> from tt_core.jobs import JobRunner                                     # doctest: +SKIP
>>> with JobRunner("timetable.duckdb") as runner:                          # doctest: +SKIP
...     job = runner.submit("autumn 2025", strategy="local", time_limit=60)
...     runner.progress_bar(job)
"""

from __future__ import annotations

from .runner import FINAL, STATUSES, JobRunner, OfflineJobs, local_cluster, progress_bar, watch_events

__all__ = ["JobRunner", "OfflineJobs", "local_cluster", "progress_bar", "watch_events", "STATUSES", "FINAL"]
