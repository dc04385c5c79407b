"""Several searches at once: worker threads (the numba loops release the GIL), each with its own
seed, meeting on a :class:`Board` where a worker that has fallen behind takes the leader's
timetable and sectioning and goes on from there with its own random stream."""

from __future__ import annotations

import threading
import time

from . import sectioning as sec


class Board:
    """The best of all workers; a worker offers its best every ``period`` seconds of its search
    and adopts the board's when that is better by more than ``margin`` (relative)."""

    def __init__(self, period: float = 10.0, margin: float = 0.01):
        self.lock = threading.Lock()
        self.period = period
        self.margin = margin
        self.hard = 1 << 60
        self.total = 1 << 62
        self.best = None   # (time, ropt, enrollment)
        self.owner = -1
        self._last: dict[int, float] = {}

    def offer(self, run) -> bool:
        """Offer ``run``'s best; True when ``run`` adopted the board's instead."""
        now = time.perf_counter()
        key = id(run)
        if now - self._last.get(key, 0.0) < self.period or run.best.time is None:
            return False
        self._last[key] = now
        with self.lock:
            b = run.best
            if (b.hard, b.total) < (self.hard, self.total):
                self.hard, self.total, self.owner = b.hard, b.total, key
                self.best = (b.time.copy(), b.ropt.copy(), sec.copy_enrollment(b.enrollment))
                return False
            if self.best is None or self.owner == key or b.hard < self.hard:
                return False
            if b.hard == self.hard and b.total <= self.total * (1 + self.margin):
                return False
            time_, ropt, en = self.best
            hard, total = self.hard, self.total
        run._load(time_, ropt, en)
        run.best.hard, run.best.total = hard, total
        run.best.time, run.best.ropt, run.best.enrollment = time_.copy(), ropt.copy(), sec.copy_enrollment(en)
        return True


def run_threads(runs, drive) -> None:
    """``drive(run)`` for every run in its own thread; the first error is raised after all end."""
    errors: list[BaseException] = []

    def target(run):
        try:
            drive(run)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(r,), name=f"classes-{k}", daemon=True)
               for k, r in enumerate(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
