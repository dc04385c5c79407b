"""``tt jobs …`` while another process holds the database: commands started together, or while a
job runner is still starting, wait for the file or the runner's control channel (up to
``TT_DB_WAIT``) instead of being refused; real ``tt`` processes, run at the same time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import ctrl_c_ends_it

from tt_core import store
from tt_core.errors import TimetableError
from tt_core.jobs.control import find_runner, side_file
from tt_core.synth import Recipe, generate

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny")).problem


@pytest.fixture
def db(tmp_path, tiny) -> Path:
    path = tmp_path / "jobs.duckdb"
    with store.Store.open(path) as s:
        s.scenarios.import_problem(tiny, "tiny")
    return path


def _tt(*argv: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tt_core.cli", *argv], cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                            **kwargs)


def _finish(procs: list[subprocess.Popen], timeout: float = 300) -> list[tuple[int, str, str]]:
    """Each process's exit status, stdout and stderr once it has ended."""
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        out.append((p.returncode, stdout, stderr))
    return out


def _held_by_another_process(path: Path) -> bool:
    try:
        store.Store.open(path, read_only=True).close()
    except TimetableError as exc:
        if "open in another process" in str(exc):
            return True
        raise
    return False


def test_submits_started_together_without_a_runner_all_queue(db):
    n = 8
    done = _finish([_tt("jobs", "submit", "tiny", "--db", str(db), "--time-limit", "1", "--seed", str(i))
                    for i in range(n)])
    for code, out, err in done:
        assert code == 0, err
        assert "queued; no runner is active" in out
    with store.Store.open(db, read_only=True) as s:
        jobs = s.jobs.list()
    assert len(jobs) == n and {j["status"] for j in jobs} == {"queued"}
    assert sorted(j["params"]["seed"] for j in jobs) == list(range(n))


def test_submits_while_a_runner_starts_are_handed_to_its_channel(db):
    runner = _tt("jobs", "run", "--forever", "--db", str(db), "--workers", "1", preexec_fn=ctrl_c_ends_it)
    try:
        # the runner holds the file from its first moment; its channel follows once its cluster is up
        deadline = time.monotonic() + 120
        while not _held_by_another_process(db):
            assert runner.poll() is None, runner.communicate()
            assert time.monotonic() < deadline, "the runner never opened the database"
            time.sleep(0.05)
        n = 5
        done = _finish([_tt("jobs", "submit", "tiny", "--db", str(db), "--time-limit", "0.5", "--seed", str(i))
                        for i in range(n)])
        for code, out, err in done:
            assert code == 0, err
            assert f"queued on the runner (pid {runner.pid})" in out
        remote = find_runner(db)
        assert remote is not None and remote.pid == runner.pid
        assert sorted(j["params"]["seed"] for j in remote.list_jobs()) == list(range(n))
    finally:
        runner.send_signal(signal.SIGINT)  # Ctrl-C: the runner closes its cluster and the channel
        try:  # communicate, not wait: it drains the runner's output (a full pipe would block it)
            _, err = runner.communicate(timeout=120)
            ended = f"exit code {runner.returncode}"
        except subprocess.TimeoutExpired:
            runner.send_signal(signal.SIGUSR1)  # `tt` prints every thread's stack: where it is stuck
            time.sleep(2)
            runner.kill()
            _, err = runner.communicate()
            ended = "killed: still running 120 s after Ctrl-C (its threads' stacks follow)"
    assert not side_file(db).exists(), f"runner {ended}; its stderr:\n{err[-12000:]}"


@pytest.fixture
def holder(db):
    """Another program holding the database file (no job runner): released by writing a line."""
    proc = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); "
                                                   "print('ready', flush=True); sys.stdin.readline(); c.close(); "
                                                   "print('released', flush=True); sys.stdin.read()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


def test_a_command_waits_for_a_held_database_until_it_is_free(db, holder):
    listing = _tt("jobs", "list", "--db", str(db), env={"TT_DB_WAIT": "120"})
    # the command says that it waits, and for whom, once it has waited a moment
    said = listing.stderr.readline()
    assert said.startswith(f"waiting for {db}") and f"PID {holder.pid}" in said, said + listing.stderr.read()
    assert listing.poll() is None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "released"
    code, out, err = _finish([listing])[0]
    assert code == 0, err
    assert out.strip() == "no jobs"


def test_a_database_that_stays_held_is_refused_after_tt_db_wait(db, holder):
    t0 = time.monotonic()
    code, out, err = _finish([_tt("jobs", "submit", "tiny", "--db", str(db), env={"TT_DB_WAIT": "1.5"})])[0]
    assert code == 2 and out == ""
    assert time.monotonic() - t0 >= 1.5
    assert f"PID {holder.pid}" in err and "no job runner answered" in err and "TT_DB_WAIT" in err
    assert "Traceback" not in err


def test_a_bad_tt_db_wait_is_a_clear_error(db, holder):
    code, _, err = _finish([_tt("jobs", "list", "--db", str(db), env={"TT_DB_WAIT": "soon"})])[0]
    assert code == 2 and "TT_DB_WAIT must be a number of seconds" in err
