"""The ``tt`` command starts light: ``tt --help`` and the ``tt jobs`` commands that only read the
database or talk to a live runner never import the solver stack (numba, OR-tools, Dask's
distributed, Panel, pandas, the solvers). Checked by the modules a real ``tt`` process has loaded,
not by timing, which the shared machine makes noisy.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import ctrl_c_ends_it

from tt_core import store
from tt_core.jobs.control import find_runner
from tt_core.synth import Recipe, generate

REPO_ROOT = Path(__file__).resolve().parents[1]

# what a planner's quick command must not pay for (each costs from a few tenths of a second to
# seconds to import on the 2-core machine)
HEAVY = ("numba", "ortools", "panel", "bokeh", "dask.distributed", "distributed", "deap", "pandas",
         "tt_core.solvers", "tt_core.kernels", "tt_core.cost", "tt_core.jobs.runner", "tt_core.jobs.task")
# ... and what a command that only talks to a live runner does not need either
STORE = ("duckdb", "numpy", "tt_core.store")

_PROBE = """
import json, sys
from tt_core.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:  # argparse's --help
    code = exc.code
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def _tt_modules(tmp_path: Path, *argv: str) -> tuple[int, set[str], str]:
    """Run ``tt ARGV`` in a fresh interpreter; its exit code, loaded modules and stdout."""
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", _PROBE, str(out), *argv], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert out.exists(), done.stderr
    found = json.loads(out.read_text())
    return found["code"], set(found["modules"]), done.stdout


def _loaded(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """A database with the tiny university and one queued job (no runner)."""
    path = tmp_path_factory.mktemp("startup") / "jobs.duckdb"
    with store.Store.open(path) as s:
        s.scenarios.import_problem(generate(Recipe.preset("tiny")).problem, "tiny")
    code, _, _ = _tt_modules(path.parent, "jobs", "submit", "tiny", "--db", str(path), "--time-limit", "5")
    assert code == 0
    return path


def test_help_imports_nothing_heavy(tmp_path):
    code, modules, out = _tt_modules(tmp_path, "--help")
    assert code == 0
    assert "jobs" in out and "solve" in out
    assert _loaded(modules, HEAVY + STORE) == []


@pytest.mark.parametrize("argv", [["jobs", "list"], ["jobs", "show", "1"], ["jobs", "list", "--json"]])
def test_reading_jobs_without_a_runner_imports_no_solver(db, tmp_path, argv):
    code, modules, out = _tt_modules(tmp_path, *argv, "--db", str(db))
    assert code == 0
    assert "queued" in out
    assert _loaded(modules, HEAVY) == []


def test_commands_talking_to_a_live_runner_import_neither_solver_nor_store(tmp_path):
    """``tt jobs list`` and ``tt jobs cancel`` on a running job, as the planner types them while a
    runner (another process) holds the database."""
    path = tmp_path / "live.duckdb"
    with store.Store.open(path) as s:
        s.scenarios.import_problem(generate(Recipe.preset("tiny")).problem, "tiny")
    runner = subprocess.Popen([sys.executable, "-m", "tt_core.cli", "jobs", "run", "--forever", "--db", str(path),
                               "--workers", "1"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, preexec_fn=ctrl_c_ends_it)
    try:
        remote = None
        deadline = time.monotonic() + 90
        while remote is None and time.monotonic() < deadline and runner.poll() is None:
            remote = find_runner(path)
            time.sleep(0.1)
        assert remote is not None, runner.stderr.read() if runner.poll() is not None else "no runner after 90 s"
        job = remote.submit("tiny", time_limit=60)
        while remote.get_job(job)["status"] != "running":
            assert time.monotonic() < deadline, remote.get_job(job)
            time.sleep(0.1)

        code, modules, out = _tt_modules(tmp_path, "jobs", "list", "--db", str(path))
        assert code == 0 and "running" in out
        assert _loaded(modules, HEAVY + STORE) == []

        code, modules, out = _tt_modules(tmp_path, "jobs", "cancel", str(job), "--db", str(path))
        assert code == 0 and f"job {job}: cancel" in out
        assert _loaded(modules, HEAVY + STORE) == []
        while remote.get_job(job)["status"] != "cancelled":
            assert time.monotonic() < deadline, remote.get_job(job)
            time.sleep(0.1)
    finally:
        runner.send_signal(signal.SIGINT)  # Ctrl-C: the runner closes its cluster and the channel
        try:
            runner.wait(timeout=120)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()



def test_output_to_a_reader_that_has_gone_ends_quietly(itc_dir):
    # `tt jobs show 3 | head`: head exits, the next write fails with EPIPE; that is the reader's
    # choice, not an error of the command (it was a BrokenPipeError traceback and exit 1)
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes
    try:
        out = subprocess.run([sys.executable, "-m", "tt_core.cli", "info", str(itc_dir / "comp01.ctt")], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, timeout=120, cwd=REPO_ROOT)
    finally:
        os.close(write_end)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr


_STUCK = """
import argparse, sys, time
from tt_core import cli

def parser():
    p = argparse.ArgumentParser()
    p.set_defaults(func=lambda args: (print("ready", flush=True), time.sleep(60)))
    return p

cli.build_parser = parser
sys.exit(cli.main([]))
"""


def test_sigusr1_makes_a_running_command_print_every_threads_stack_and_go_on():
    proc = subprocess.Popen([sys.executable, "-c", _STUCK], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_ends_it)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGUSR1)  # the stacks; the command goes on
        proc.send_signal(signal.SIGINT)   # then Ctrl-C ends it the usual way
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "most recent call first" in err and "<lambda>" in err
    assert err.rstrip().endswith("interrupted") and proc.returncode == 130
