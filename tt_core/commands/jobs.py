"""``tt jobs``: queue, run, watch, cancel and retry generation jobs stored in a DuckDB file.

A DuckDB file has one owner process. When a job runner owns it (``tt jobs run``, ``tt jobs submit
--wait``, the apps) these commands talk to that runner over its local control channel (see
:mod:`tt_core.jobs.control`); otherwise they open the file themselves: ``submit`` then only queues
the job (``tt jobs run`` or ``--wait`` runs it) and ``watch`` shows its recorded events.

While another process holds the file without a channel — a runner still starting its cluster,
another ``tt jobs`` command queueing its job — a command waits (up to ``TT_DB_WAIT`` seconds,
default 60) until the channel appears, then hands its work to the runner, or until the file is
free, then opens it; twenty ``tt jobs submit`` started at once all queue their job.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

DB_WAIT = 60.0  # seconds a command waits for a held database (TT_DB_WAIT overrides)


def register(sub) -> None:
    p = sub.add_parser("jobs", help="generation jobs: submit, run, list, show, watch, cancel, retry",
                       description="Generation jobs persisted in a DuckDB file and run on Dask "
                                   "(a LocalCluster, or TT_DASK_SCHEDULER=tcp://host:8786).")
    jobs = p.add_subparsers(dest="jobs_command", metavar="ACTION")
    jobs.required = True

    def add(name, help_, func):
        q = jobs.add_parser(name, help=help_, description=help_)
        q.add_argument("--db", required=True, help="the DuckDB file")
        q.set_defaults(func=func)
        return q

    s = add("submit", "queue a job for SCENARIO (and run it with --wait)", run_submit)
    s.add_argument("scenario")
    s.add_argument("--strategy", default=None,
                   help="local, cpsat, hierarchical, … for curriculum scenarios, classes for class-based (ITC2019) "
                        "ones (default: the scenario's default strategy)")
    s.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--name", default=None, help="a label for the job")
    s.add_argument("--initial-variant", type=int, default=None, help="start from this variant")
    s.add_argument("--weights", default=None, help='JSON object of constraint weights, e.g. \'{"RoomCapacity": 2}\'')
    s.add_argument("--wait", action="store_true", help="run it now (or follow the active runner) until it ends")
    _runner_options(s)

    r = add("run", "run queued jobs until none is left (--forever: keep serving)", run_run)
    r.add_argument("--forever", action="store_true", help="keep running and serving other `tt jobs` commands")
    _runner_options(r)

    ls = add("list", "list jobs, newest first", run_list)
    ls.add_argument("--status", default=None)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")

    sh = add("show", "show one job and its latest events", run_show)
    sh.add_argument("job_id", type=int)
    sh.add_argument("--events", type=int, default=10, help="how many of the latest events (default 10)")
    sh.add_argument("--json", action="store_true")

    c = add("cancel", "cancel a queued or running job (a running one keeps its best as a partial variant)",
            run_cancel)
    c.add_argument("job_id", type=int)

    rt = add("retry", "queue a failed, cancelled or interrupted job again; it resumes from its checkpoint",
             run_retry)
    rt.add_argument("job_id", type=int)
    rt.add_argument("--wait", action="store_true", help="run it now (or follow the active runner)")
    _runner_options(rt)

    w = add("watch", "follow a job with a live progress bar until it ends", run_watch)
    w.add_argument("job_id", type=int)


def _runner_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("runner (when this command runs the jobs)")
    g.add_argument("--max-concurrent", type=int, default=2, help="jobs at the same time (default 2)")
    g.add_argument("--max-retries", type=int, default=2, help="retries after a worker dies (default 2)")
    g.add_argument("--memory-limit", default=None, help="per Dask worker, e.g. 2GiB")
    g.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: TT_WORKERS or cores)")
    g.add_argument("--checkpoint-every", type=float, default=5.0, help="seconds between checkpoints (default 5)")


def _open(db: str, read_only: bool = False):
    """The live runner of ``db`` (a control client) or the file itself (``OfflineJobs``; opened
    ``read_only`` by the commands that only read)."""
    return _reach(db, lambda: _offline(db, read_only))


def _db_wait() -> float:
    from ..errors import TimetableError

    text = os.environ.get("TT_DB_WAIT", "")
    try:
        wait = float(text) if text.strip() else DB_WAIT
    except ValueError:
        wait = -1.0
    if not wait >= 0 or wait == float("inf"):
        raise TimetableError(f"TT_DB_WAIT must be a number of seconds (0 or more), got {text!r}")
    return wait


def _reach(db: str, open_file):
    """The live runner of ``db`` (a control client), else what ``open_file()`` opens on the file.

    DuckDB lets one process hold the file. A runner holds it from its first second but announces
    its control channel only once its Dask cluster is up (seconds later); a command queueing a job
    holds it for a moment. So while the file is held and no channel exists, wait — looking for
    the channel and trying the file again — for at most ``TT_DB_WAIT`` seconds, then say who
    holds it.
    """
    from ..jobs.control import find_runner

    remote = find_runner(db)
    if remote is not None:
        return remote  # the common case, without loading the store (DuckDB, numpy)
    from ..errors import TimetableError
    from ..store.database import DatabaseLockedError

    wait = _db_wait()
    start = time.monotonic()
    told = False
    pause = 0.05
    while True:
        try:
            return open_file()
        except DatabaseLockedError as exc:
            waited = time.monotonic() - start
            if waited >= wait:
                raise TimetableError(
                    f"{db} is held by another process ({exc.holder}) and no job runner answered for it within "
                    f"{waited:.0f} s; if that process is a job runner, it has not started (its log says why); "
                    "otherwise close it, or set TT_DB_WAIT to wait longer") from None
            if not told and waited >= 2.0:
                print(f"waiting for {db}: another process ({exc.holder}) holds it; a starting job runner or "
                      f"another command (up to {wait:.0f} s, TT_DB_WAIT)", file=sys.stderr)
                told = True
            # back off to one try a second, with jitter: each try costs DuckDB a few ms of CPU, and
            # twenty commands trying ten times a second starve the one that holds the file on two cores
            time.sleep(min(pause * random.uniform(0.5, 1.5), max(0.0, wait - waited)))
            pause = min(1.0, pause * 2)
        remote = find_runner(db)
        if remote is not None:
            return remote


def _offline(db: str, read_only: bool = False):
    from .. import store
    from ..jobs.api import OfflineJobs

    return OfflineJobs(store.Store.open(db, read_only=read_only), db)


def _close(handle) -> None:
    close = getattr(handle, "close", None)
    if close is not None:
        close()


def _make_runner(args):
    from ..jobs.runner import JobRunner

    runner = JobRunner(args.db, max_concurrent=args.max_concurrent, max_retries=args.max_retries,
                       memory_limit=args.memory_limit, n_workers=args.workers,
                       checkpoint_every=args.checkpoint_every)
    try:  # a Ctrl-C here would otherwise leave the runner (its cluster, its side file) unclosed
        print(f"job runner: {runner.hardware}; Dask dashboard {runner.client.dashboard_link}", file=sys.stderr)
        for job_id, _attempt in runner.recovered:
            print(f"job {job_id} was left running by a stopped runner: marked interrupted "
                  f"(`tt jobs retry {job_id} --db {args.db}` resumes it)", file=sys.stderr)
    except BaseException:
        runner.close()
        raise
    return runner


def _finish_runner(runner) -> None:
    """Close a runner this command started, letting jobs it also started finish first."""
    others = runner.active_jobs
    if others:
        print(f"waiting for the other running job(s) {', '.join(map(str, others))} (Ctrl-C stops them; "
              "`tt jobs retry` resumes them)", file=sys.stderr)
    try:
        runner.close(wait=True)
    except KeyboardInterrupt:
        runner.close()
        raise


def _follow(source, job_id: int) -> int:
    from ..jobs.api import progress_bar, watch_events

    if sys.stderr.isatty():
        status = progress_bar(source, job_id, file=sys.stderr)
    else:
        for ev in watch_events(source, job_id):
            print(_format_event(ev), file=sys.stderr)
        status = source.get_job(job_id)["status"]
    job = source.get_job(job_id)
    print(f"job {job_id} {status}: {job.get('message') or ''}")
    return 0 if status == "succeeded" else 1


def _format_event(ev: dict) -> str:
    if ev.get("fraction") is not None:
        cost = "-" if ev.get("best_cost") is None else f"{ev['best_cost']:g}"
        return (f"  [{ev['seq']:>4}] {100 * ev['fraction']:5.1f}%  {ev.get('stage')}: cost {cost}, "
                f"hard {ev.get('hard_violations')}  ({ev.get('elapsed') or 0:.1f} s)")
    return f"  [{ev['seq']:>4}] {ev.get('kind')}: {ev.get('message')}"


def _submit_kwargs(args) -> dict:
    from ..errors import TimetableError

    weights = None
    if args.weights:
        try:
            weights = json.loads(args.weights)
        except ValueError as exc:
            raise TimetableError(f"--weights is not valid JSON: {exc}") from None
    return {"strategy": args.strategy, "time_limit": args.time_limit, "seed": args.seed, "name": args.name,
            "initial_variant": args.initial_variant, "weights": weights}


def run_submit(args) -> int:
    from ..jobs.control import RunnerClient, find_runner

    kwargs = _submit_kwargs(args)
    if find_runner(args.db) is None:
        from ..jobs.api import validate_settings

        # no runner yet: refuse bad settings before waiting for the file, and load what queueing
        # imports now rather than while holding the file
        validate_settings(args.strategy, args.time_limit, args.seed, family=None)
    handle = _reach(args.db, (lambda: _make_runner(args)) if args.wait else (lambda: _offline(args.db)))
    if isinstance(handle, RunnerClient):
        job_id = handle.submit(args.scenario, **kwargs)
        print(f"job {job_id} queued on the runner (pid {handle.pid})")
        return _follow(handle, job_id) if args.wait else 0
    if not args.wait:
        with handle as jobs:
            job_id = jobs.submit(args.scenario, **kwargs)
        print(f"job {job_id} queued; no runner is active: `tt jobs run --db {args.db}` runs it")
        return 0
    runner = handle
    try:
        job_id = runner.submit(args.scenario, **kwargs)
        print(f"job {job_id} submitted", file=sys.stderr)
        code = _follow(runner, job_id)
    except BaseException:
        runner.close()
        raise
    _finish_runner(runner)
    return code


def run_run(args) -> int:
    from ..errors import TimetableError
    from ..jobs.control import RunnerClient

    runner = _reach(args.db, lambda: _make_runner(args))
    if isinstance(runner, RunnerClient):
        raise TimetableError(f"a job runner (pid {runner.pid}) already runs the jobs of {args.db}; "
                             f"`tt jobs list --db {args.db}` shows them")
    try:
        queued = runner.list_jobs(status="queued")
        print(f"{len(queued)} job(s) queued", file=sys.stderr)
        if args.forever:
            while True:
                time.sleep(1.0)
        runner.wait_all()
        ended = [runner.get_job(j["id"]) for j in sorted(queued, key=lambda j: j["id"])]
        for job in ended:
            print(_format_job(job))
        return 0 if all(j["status"] == "succeeded" for j in ended) else 1
    finally:
        runner.close()


def _format_job(job: dict) -> str:
    variant = job.get("variant_id")
    return (f"{job['id']:>5}  {job['status']:<11} {job.get('scenario', ''):<20} {job.get('strategy') or '':<12} "
            f"{'' if variant is None else variant:>7}  {job.get('message') or ''}")


def run_list(args) -> int:
    handle = _open(args.db, read_only=True)
    try:
        jobs = handle.list_jobs(status=args.status, limit=args.limit)
    finally:
        _close(handle)
    if args.json:
        from ..jobs.control import _json_default

        print(json.dumps(jobs, default=_json_default, indent=2))
        return 0
    if not jobs:
        print("no jobs")
        return 0
    print(f"{'id':>5}  {'status':<11} {'scenario':<20} {'strategy':<12} {'variant':>7}  message")
    for job in jobs:
        print(_format_job(job))
    return 0


def run_show(args) -> int:
    handle = _open(args.db, read_only=True)
    try:
        job = handle.get_job(args.job_id)
        events = handle.events(args.job_id)
    finally:
        _close(handle)
    if args.json:
        from ..jobs.control import _json_default

        print(json.dumps({"job": job, "events": events[-args.events:] if args.events else []},
                         default=_json_default, indent=2))
        return 0
    for k, v in job.items():
        print(f"{k:>16}: {v}")
    if args.events and events:
        print(f"last {min(args.events, len(events))} of {len(events)} event(s):")
        for ev in events[-args.events:]:
            print(_format_event(ev))
    return 0


def run_cancel(args) -> int:
    handle = _open(args.db)
    try:
        status = handle.cancel(args.job_id)
    finally:
        _close(handle)
    print(f"job {args.job_id}: {status}")
    return 0


def run_retry(args) -> int:
    from ..jobs.control import RunnerClient

    handle = _reach(args.db, (lambda: _make_runner(args)) if args.wait else (lambda: _offline(args.db)))
    if isinstance(handle, RunnerClient):
        print(f"job {args.job_id}: {handle.retry(args.job_id)} on the runner (pid {handle.pid})")
        return _follow(handle, args.job_id) if args.wait else 0
    if not args.wait:
        with handle as jobs:
            jobs.retry(args.job_id)
        print(f"job {args.job_id} queued again; no runner is active: `tt jobs run --db {args.db}` runs it")
        return 0
    runner = handle
    try:
        runner.retry(args.job_id)
        code = _follow(runner, args.job_id)
    except BaseException:
        runner.close()
        raise
    _finish_runner(runner)
    return code


def run_watch(args) -> int:
    from ..jobs.control import RunnerClient

    handle = _open(args.db, read_only=True)
    if isinstance(handle, RunnerClient):
        return _follow(handle, args.job_id)
    from ..store import FINAL

    with handle as jobs:
        job = jobs.get_job(args.job_id)
        for ev in jobs.events(args.job_id):
            print(_format_event(ev))
    if job["status"] in FINAL:
        print(f"job {args.job_id} {job['status']}: {job.get('message') or ''}")
        return 0 if job["status"] == "succeeded" else 1
    print(f"job {args.job_id} is {job['status']} but no runner is active: `tt jobs run --db {args.db}` runs it")
    return 1
