"""The control channel (tt_core/jobs/control.py) without a cluster: a ControlServer serving the job
operations of a database, a RunnerClient talking to it; errors are logged before they are answered."""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request

import pytest

from tt_core.errors import TimetableError
from tt_core.jobs.api import OfflineJobs
from tt_core.jobs.control import TOKEN_HEADER, ControlServer, RunnerClient, find_runner, side_file
from tt_core.store import Store
from tt_core.synth import Recipe, generate


class _Served(OfflineJobs):
    """The operations a runner serves, on a database without one (the server also needs ``store``)."""

    @property
    def store(self):
        return self._con


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny")).problem


@pytest.fixture
def served(tmp_path, tiny):
    path = tmp_path / "c.duckdb"
    jobs = _Served(Store.open(path), path)
    jobs.store.scenarios.import_problem(tiny, "tiny")
    server = ControlServer(jobs, path)
    server.start()
    try:
        yield jobs, server, path
    finally:
        server.close()
        jobs.close()


def _post(server, path: str, data: bytes, token: str | None = None):
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=data, method="POST",
                                 headers={TOKEN_HEADER: token or server.token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_client_finds_the_server_and_uses_every_operation(served):
    jobs, server, path = served
    remote = find_runner(path)
    assert isinstance(remote, RunnerClient) and remote.pid == os.getpid()
    job = remote.submit("tiny", strategy="local", time_limit=2)
    assert remote.get_job(job)["params"]["time_limit"] == 2.0
    assert [j["id"] for j in remote.list_jobs(status="queued", limit=5)] == [job]
    assert remote.cancel(job) == "cancelled"
    assert remote.events(job)[-1]["kind"] == "cancelled"
    assert remote.retry(job) == "queued"
    assert jobs.get_job(job)["status"] == "queued"  # the server's database changed
    with pytest.raises(TimetableError, match="unknown scenario 'nowhere'"):
        remote.submit("nowhere")
    server.close()
    assert not side_file(path).exists() and find_runner(path) is None


def test_a_users_error_is_answered_with_its_message(served, caplog):
    _jobs, server, _path = served
    remote = RunnerClient(server.port, server.token)
    with caplog.at_level(logging.INFO, logger="tt_core.jobs.control"):
        with pytest.raises(TimetableError, match="no job 99"):
            remote.get_job(99)
        with pytest.raises(TimetableError, match="after must be a whole number, got 'x'"):
            remote._call("GET", "/jobs/1/events?after=x")
    assert any("refused" in r.getMessage() and r.exc_info is None for r in caplog.records)


def test_a_bug_is_logged_with_its_traceback_before_the_answer(served, caplog, monkeypatch):
    jobs, server, _path = served

    def broken(self, status=None, limit=None):
        raise KeyError("an internal slip")

    monkeypatch.setattr(_Served, "list_jobs", broken)
    with caplog.at_level(logging.ERROR, logger="tt_core.jobs.control"):
        with pytest.raises(TimetableError, match=r"KeyError: 'an internal slip' \(the runner's log has the details\)"):
            RunnerClient(server.port, server.token).list_jobs()
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "control GET /jobs failed" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError  # the traceback is in the log


def test_malformed_requests_and_wrong_tokens_are_refused(served, caplog):
    _jobs, server, _path = served
    with caplog.at_level(logging.WARNING, logger="tt_core.jobs.control"):
        assert _post(server, "/jobs", b"{not json")[0] == 400
        code, body = _post(server, "/jobs", b"[1, 2]")
    assert code == 400 and "not a JSON object" in body["error"]
    assert any("bad request body" in r.getMessage() for r in caplog.records)
    assert _post(server, "/jobs", b"{}", token="wrong") == (403, {"error": "wrong or missing control token"})
    code, body = _post(server, "/nowhere", b"{}")
    assert code == 404 and "no such route" in body["error"]
