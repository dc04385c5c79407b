"""Fixtures of the job tests: each module brings its own ``client`` (a LocalCluster whose workers
loaded that family's solver) and ``db``; ``make_runner`` puts a runner on them."""

from __future__ import annotations

import pytest

from tt_core.jobs.runner import JobRunner


@pytest.fixture
def make_runner(db, client):
    """``make_runner(**options)``: a runner on ``db`` and the module's cluster, closed afterwards."""
    runners = []

    def make(**options):
        options = {"checkpoint_every": 0.5, "backoff": 0.2, "control": False, **options}
        runner = JobRunner(db, client=client, **options)
        runners.append(runner)
        return runner

    yield make
    for r in runners:
        r.close()
