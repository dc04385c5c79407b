"""Where Dask work runs: the one place that finds or starts a cluster.

Every user of Dask — the job runner, GA islands, the hierarchical pipeline's department groups,
weight sweeps — asks :func:`client_for`, which gives, in this order:

1. the ``client`` the caller passed;
2. a client of the scheduler at ``TT_DASK_SCHEDULER=tcp://host:8786`` (a real cluster; a clear
   message when it cannot be reached);
3. a private ``LocalCluster`` of single-threaded worker processes (``n_workers``, default
   :func:`tt_core.hardware.recommended_workers`), closed with the handle.

The dashboard of a private cluster is off; the scheduler's small HTTP server (health checks)
listens on a free port, not on 8787, which another cluster or app may hold.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from .errors import TimetableError

ENV = "TT_DASK_SCHEDULER"


def scheduler_address() -> str | None:
    """The scheduler address of ``TT_DASK_SCHEDULER``, or None when unset."""
    return os.environ.get(ENV, "").strip() or None


def local_cluster(n_workers: int | None = None, memory_limit: str | int | None = None, *,
                  allowed_failures: int | None = None):
    """A private ``LocalCluster`` of ``n_workers`` single-threaded worker processes.

    Parameters
    ----------
    n_workers : int, optional
        Default :func:`tt_core.hardware.recommended_workers` (``TT_WORKERS`` or the usable cores).
    memory_limit : str or int, optional
        Per worker (``"2GiB"`` or bytes); default Dask's share of the machine's memory.
    allowed_failures : int, optional
        Dask's ``distributed.scheduler.allowed-failures`` for this cluster (the job runner uses 0:
        a dead worker surfaces at once and the runner retries from its checkpoint).
    """
    import dask
    from distributed import LocalCluster

    from .hardware import recommended_workers

    kwargs = {} if memory_limit is None else {"memory_limit": memory_limit}
    settings = {} if allowed_failures is None else {"distributed.scheduler.allowed-failures": allowed_failures}
    with dask.config.set(settings):
        return LocalCluster(n_workers=n_workers or recommended_workers(), threads_per_worker=1, processes=True,
                            dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"}, **kwargs)


class DaskHandle:
    """A client, and whatever :func:`client_for` started for it (closed by :meth:`close`, or ``with``)."""

    def __init__(self, client, cluster=None, owns_client: bool = False):
        self.client = client
        self.cluster = cluster
        self.owns_client = owns_client

    @property
    def private(self) -> bool:
        """True when the cluster was started for this handle (a ``LocalCluster``)."""
        return self.cluster is not None

    def close(self) -> None:
        """Close the client and cluster this handle started (never a caller's client)."""
        if self.owns_client and self.client is not None:
            try:
                self.client.close()
            except Exception:  # noqa: BLE001 - closing against a scheduler that may be gone
                pass
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception:  # noqa: BLE001
                pass
        self.client = self.cluster = None

    def __enter__(self) -> DaskHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def client_for(client=None, *, n_workers: int | None = None, memory_limit: str | int | None = None,
               allowed_failures: int | None = None) -> DaskHandle:
    """The Dask client to run on (see the module doc); close the handle when done.

    Raises
    ------
    TimetableError
        ``TT_DASK_SCHEDULER`` is set but its scheduler cannot be reached.
    """
    from distributed import Client

    if client is not None:
        return DaskHandle(client)
    address = scheduler_address()
    if address:
        try:
            return DaskHandle(Client(address, timeout="10s"), owns_client=True)
        except (OSError, TimeoutError) as exc:
            raise TimetableError(f"cannot reach the Dask scheduler {ENV}={address!r}: {exc}; start it "
                                 f"(`dask scheduler`) or unset {ENV}") from None
    cluster = local_cluster(n_workers, memory_limit, allowed_failures=allowed_failures)
    try:
        return DaskHandle(Client(cluster), cluster, owns_client=True)
    except BaseException:
        cluster.close()
        raise


def client_for_while(stopped: Callable[[], bool], heartbeat: Callable[[str], None], client=None, *,
                     n_workers: int | None = None, every: float = 0.25, **options) -> DaskHandle | None:
    """:func:`client_for` started in a helper thread, calling ``heartbeat`` every ``every`` seconds
    meanwhile (a cluster takes seconds to start on a busy machine: progress keeps flowing) and
    giving up as soon as ``stopped()``: then None, and the helper closes what it started.
    """
    if client is not None:
        return DaskHandle(client)
    box: dict = {}
    lock = threading.Lock()

    def start() -> None:
        try:
            handle = client_for(n_workers=n_workers, **options)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc
            return
        with lock:
            if box.get("abandoned"):
                handle.close()
            else:
                box["handle"] = handle

    # not a daemon: an abandoned start still closes its cluster before the interpreter exits
    thread = threading.Thread(target=start, name="tt-dask-start")
    thread.start()
    while thread.is_alive():
        if stopped():
            with lock:
                box["abandoned"] = True
                handle = box.pop("handle", None)
            if handle is not None:
                handle.close()
            return None
        address = scheduler_address()
        heartbeat(f"connecting to {address}" if address else
                  f"starting a local Dask cluster of {n_workers or 'the default number of'} workers")
        thread.join(every)
    if "error" in box:
        raise box["error"]
    return box["handle"]


def on_each_worker(client, fn: Callable[[], object], *, one_first: bool = True) -> dict[str, object]:
    """``fn()`` once on every worker of ``client``, as a task; returns ``{worker address: result}``.

    Not ``Client.run``: that runs the function on the worker's event loop, and a function that takes
    minutes (compiling the numba kernels into an empty cache) stops the worker answering the scheduler
    until its connections close. With ``one_first`` one worker runs it before the others: workers of a
    machine share numba's on-disk cache, so the rest load what the first compiled instead of each
    compiling the same code at once.
    """
    workers = sorted(client.scheduler_info()["workers"])

    def run(addresses):
        futures = {a: client.submit(fn, workers=[a], allow_other_workers=False, pure=False) for a in addresses}
        return {a: f.result() for a, f in futures.items()}

    if one_first and len(workers) > 1:
        return {**run(workers[:1]), **run(workers[1:])}
    return run(workers)
