"""One way to a Dask client (tt_core/cluster.py): a given client, TT_DASK_SCHEDULER, or a private cluster."""

from __future__ import annotations

import time

import pytest

from tt_core.cluster import client_for, client_for_while, on_each_worker
from tt_core.errors import TimetableError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    """A running scheduler with one worker, as a real cluster would be (its address is what
    TT_DASK_SCHEDULER holds)."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"}) as lc:
        yield lc


def test_a_given_client_is_used_and_left_open(scheduler):
    with distributed.Client(scheduler) as given:
        handle = client_for(given)
        assert handle.client is given and not handle.private and not handle.owns_client
        handle.close()
        assert given.submit(lambda: 6 * 7).result() == 42  # still open


def test_tt_dask_scheduler_is_used_and_the_cluster_outlives_the_handle(scheduler, monkeypatch):
    address = scheduler.scheduler_address
    monkeypatch.setenv("TT_DASK_SCHEDULER", f"  {address} ")
    with client_for(n_workers=5) as handle:  # n_workers only sizes a private cluster
        assert not handle.private and handle.owns_client
        assert handle.client.scheduler.address == address
        assert len(handle.client.nthreads()) == 1  # the scheduler's own worker, not five new ones
        client = handle.client
    assert client.status == "closed"
    with distributed.Client(address, timeout="10s") as again:  # the cluster itself is still up
        assert again.submit(lambda: 1).result() == 1


def test_an_unreachable_scheduler_is_a_clear_user_error(monkeypatch):
    monkeypatch.setenv("TT_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    with pytest.raises(TimetableError, match=r"cannot reach the Dask scheduler TT_DASK_SCHEDULER='tcp://127.0.0.1:9'"
                                             r".*unset TT_DASK_SCHEDULER"):
        client_for()


def test_a_start_in_the_background_reports_and_gives_up_at_a_stop(monkeypatch, scheduler):
    monkeypatch.setenv("TT_DASK_SCHEDULER", scheduler.scheduler_address)
    beats = []
    handle = client_for_while(lambda: False, beats.append)
    try:
        assert handle.client.submit(lambda: 2).result() == 2
        assert all(b == f"connecting to {scheduler.scheduler_address}" for b in beats)
    finally:
        handle.close()
    t0 = time.perf_counter()
    assert client_for_while(lambda: True, beats.append) is None  # stopped before it was up
    assert time.perf_counter() - t0 < 5


def _worker_and_thread():
    import threading

    from distributed import get_worker

    return get_worker().address, threading.current_thread().name


def test_on_each_worker_runs_once_per_worker_as_a_task_not_on_its_event_loop():
    # Client.run would call it on the worker's event loop (the thread "IO loop"): minutes of
    # compiling there cut the worker off from the scheduler
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as lc, distributed.Client(lc) as c:
        results = on_each_worker(c, _worker_and_thread)
        assert sorted(results) == sorted(c.scheduler_info()["workers"])
        assert all(address == worker for worker, (address, _thread) in results.items())
        assert all("Dask-Default-Threads" in thread for _address, thread in results.values())
