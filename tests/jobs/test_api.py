"""The job API (tt_core/jobs/api.py): the runner, the control client and the database without a
runner implement one :class:`JobAPI` — same methods, same parameters, same defaults."""

from __future__ import annotations

import inspect

import pytest

from tt_core.jobs.api import JobAPI, OfflineJobs
from tt_core.jobs.control import RunnerClient
from tt_core.jobs.runner import JobRunner
from tt_core.store import Store

OPERATIONS = sorted(name for name, value in vars(JobAPI).items() if callable(value) and not name.startswith("_"))


def _parameters(function) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_protocol_names_every_operation():
    assert OPERATIONS == ["cancel", "events", "get_job", "list_jobs", "retry", "submit"]


@pytest.mark.parametrize("front_end", [JobRunner, RunnerClient, OfflineJobs])
def test_every_front_end_implements_the_job_api(front_end):
    assert issubclass(front_end, JobAPI)
    for name in OPERATIONS:
        assert _parameters(getattr(front_end, name)) == _parameters(getattr(JobAPI, name)), (
            f"{front_end.__name__}.{name} differs from JobAPI.{name}")


def test_instances_are_job_apis(tmp_path):
    with OfflineJobs(Store.open(tmp_path / "j.duckdb")) as offline:
        assert isinstance(offline, JobAPI)
    assert isinstance(RunnerClient(port=1, token="t"), JobAPI)
    assert not isinstance(object(), JobAPI)
