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

import importlib

# The names below load on first use (PEP 562): ``tt jobs cancel`` imports
# ``tt_core.jobs.control``, which runs this file first, and must not pay for the store, the
# runner and Dask just to send one request to a live runner.
_LAZY = {"JobAPI": ".api", "OfflineJobs": ".api", "progress_bar": ".api", "watch_events": ".api",
         "JobRunner": ".runner", "local_cluster": ".runner", "FINAL": "..store", "STATUSES": "..store"}

__all__ = ["JobAPI", "JobRunner", "OfflineJobs", "local_cluster", "progress_bar", "watch_events", "STATUSES", "FINAL"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), "JOB_STATUSES" if name == "STATUSES" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
