"""The runner's rules, apart from its mechanics: when a lost attempt is retried (and what a job that
ran out of retries says), when a running job is over its time limit, which time limits a runner
accepts, and how big a worker's memory limit is.

Pure functions of the attempt's clock readings, so each rule is tested without a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TimetableError


def is_worker_loss(exc: BaseException) -> bool:
    """True for errors meaning 'the worker or the connection died', not 'the job is wrong'."""
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    if isinstance(exc, (KilledWorker, CommClosedError, ConnectionError, TimeoutError)):
        return True
    return type(exc).__name__ in {"WorkerLost", "FutureCancelledError", "CancelledError"}


def memory_bytes(limit) -> int | None:
    """A memory limit given as bytes or as text (``"2GiB"``) in bytes; None stays None."""
    if limit is None:
        return None
    from dask.utils import parse_bytes

    return int(parse_bytes(limit)) if isinstance(limit, str) else int(limit)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts whose worker died are retried ``max_retries`` times, waiting ``backoff`` seconds
    before the first retry and twice as long before each further one."""

    max_retries: int = 2
    backoff: float = 1.0

    def __post_init__(self):
        if self.max_retries < 0:
            raise TimetableError(f"max_retries cannot be negative, got {self.max_retries}")

    def wait_before(self, loss: int) -> float | None:
        """Seconds to wait before retrying after the ``loss``-th worker loss; None: give up."""
        return self.backoff * 2 ** (loss - 1) if loss <= self.max_retries else None

    def gave_up(self, losses: int, reason: str, memory_limit: int | None) -> str:
        """The message of a job that failed after ``losses`` lost workers (the last for ``reason``)."""
        hint = ""
        if memory_limit:
            hint = (f"; workers have a memory limit of {memory_limit / 2**20:.0f} MiB, a worker "
                    "killed for memory also ends this way")
        return (f"its worker died {losses} time{'s' if losses != 1 else ''} (last: {reason}); gave up after "
                f"{self.max_retries} retries{hint}")


def check_time_limit(time_limit: float, max_time_limit: float | None) -> None:
    """Refuse a job asking for more seconds than the runner allows (``max_time_limit``; None: any)."""
    if max_time_limit is not None and time_limit > max_time_limit:
        raise TimetableError(f"time limit {time_limit:g} s is above this runner's limit of "
                             f"{max_time_limit:g} s; ask for less or raise max_time_limit")


@dataclass(frozen=True)
class TimeLimits:
    """When a running attempt counts as over its time limit.

    The clock starts with the solver's first event: before it, a cold worker imports modules and
    compiles kernels, which may take a while on a busy machine — that phase may take
    ``startup_allowance`` seconds. A solve still running ``overrun_grace`` seconds (or a quarter of
    its limit, if more) after its limit is stopped; one that does not return within the same grace
    after being stopped (or cancelled) is abandoned.
    """

    overrun_grace: float = 10.0
    startup_allowance: float = 120.0

    def overrun(self, *, now: float, submitted: float, solving: float | None, time_limit: float) -> tuple[float, str]:
        """``(seconds over, what to say)``; over > 0 means: stop it now."""
        if solving is not None:
            over = now - solving - time_limit - max(self.overrun_grace, 0.25 * time_limit)
            return over, (f"still solving {now - solving:.0f} s after it began, over its time limit of "
                          f"{time_limit:g} s")
        over = now - submitted - time_limit - self.startup_allowance
        return over, (f"no progress {now - submitted:.0f} s after it was submitted (time limit "
                      f"{time_limit:g} s + {self.startup_allowance:g} s to start)")

    def abandon(self, *, now: float, stopped_at: float | None) -> bool:
        """True when an attempt asked to stop at ``stopped_at`` has had its grace and is still running."""
        return stopped_at is not None and now - stopped_at > self.overrun_grace

    def stop_reason(self, *, now: float, submitted: float, solving: float | None, time_limit: float) -> str | None:
        """What to say when a running attempt must be stopped now for its time limit, else None."""
        over, what = self.overrun(now=now, submitted=submitted, solving=solving, time_limit=time_limit)
        return f"{what}; stopping it" if over > 0 else None

    def abandoned(self, *, now: float, cancelled_at: float | None, overrun_at: float | None,
                  time_limit: float) -> tuple[str, str] | None:
        """``(final status, message)`` of an attempt stopped (for overrunning at ``overrun_at``, or
        cancelled at ``cancelled_at``) that is still running after the grace; None while it may stop."""
        if not self.abandon(now=now, stopped_at=overrun_at or cancelled_at):
            return None
        if overrun_at is None:
            status, why = "cancelled", "did not stop after being cancelled"
        else:
            status, why = "failed", f"exceeded its time limit of {time_limit:g} s and did not stop"
        return status, f"{why} within {self.overrun_grace:g} s; its worker task was abandoned"
