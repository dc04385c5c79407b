"""A portfolio of annealers in threads (the numba kernels release the GIL: one core each)."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...model import Problem
from ..base import SolveResult
from .search import anneal


class Exchange:
    """Meeting points of a portfolio's annealers (threads): each brings its best timetable and
    leaves with the best of all. A barrier with a timeout: an annealer that is late (stopped,
    still constructing) never blocks the others for long."""

    POINTS = (0.3, 0.55, 0.8)  # fractions of the schedule (time, or iterations when fixed)

    def __init__(self, workers: int):
        self.barrier = threading.Barrier(workers)
        self.lock = threading.Lock()
        self.offers: dict[int, tuple] = {}

    def meet(self, k: int, hard: float, total: float, period: np.ndarray, room: np.ndarray):
        """Offer (hard, weighted total, timetable); returns the best offer of this round."""
        with self.lock:
            self.offers[k] = (hard, total, period.copy(), room.copy())
        self._wait()
        with self.lock:
            best = min(self.offers.values(), key=lambda o: (o[0], o[1]))
        self._wait()  # everyone has read before the next round's offers
        return best

    def _wait(self):
        try:
            self.barrier.wait(timeout=0.5)
        except threading.BrokenBarrierError:
            pass  # someone is late or stopped: go on alone from now on


def solve_local(problem: Problem, *, weights=None, time_limit: float = 60.0, seed: int = 0, initial=None,
                pinned=None, progress=None, stop=None, workers: int = 1, share: bool = False,
                **options) -> SolveResult:
    """Simulated annealing (see the module docstring and :func:`anneal` for the options).

    ``workers > 1`` runs that many annealers (seeds ``seed``, ``seed+1``, …) in threads — the numba
    kernels release the GIL, so they use one core each — and returns the best: a portfolio, which on
    this problem beats one longer run because results vary much from seed to seed. With ``share``
    the annealers meet at a few points of the schedule (``Exchange.POINTS``) and every one that is
    behind continues from the best timetable so far, at its own temperature and random stream: the
    early part explores several basins, the rest refines the best one several ways. Off by
    default: at 20 s on comp02/05/06/07 × 4 seeds it helped comp06/07 and hurt comp02 (less
    diversity), sum of means 481.5 vs 487.3 — within the noise. Progress events report the best
    of all annealers.
    """
    workers = int(workers)
    if workers <= 1:
        return anneal(problem, weights=weights, time_limit=time_limit, seed=seed, initial=initial,
                      pinned=pinned, progress=progress, stop=stop, **options)
    lock = threading.Lock()
    latest: dict[int, object] = {}
    last_emit = [0.0]

    def relay(k):
        def on_event(ev):
            with lock:
                latest[k] = ev
                best = min(latest.values(), key=lambda e: (e.hard_violations, e.best_cost))
                if progress is not None and (ev.elapsed - last_emit[0] >= 0.2 or ev.message == "done"):
                    last_emit[0] = ev.elapsed
                    progress(dataclasses.replace(best, elapsed=ev.elapsed, fraction=ev.fraction, eta=ev.eta))
        return on_event

    exchange = Exchange(workers) if share else None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="anneal") as pool:
        futures = [pool.submit(anneal, problem, weights=weights, time_limit=time_limit, seed=int(seed) + k,
                               initial=initial, pinned=pinned, progress=relay(k), stop=stop,
                               _exchange=(exchange, k) if exchange else None, **options)
                   for k in range(workers)]
        results = [f.result() for f in futures]
    best = min(results, key=lambda r: (r.hard_violations, r.cost))
    best.stats = {**best.stats, "workers": workers, "portfolio_costs": [(r.hard_violations, r.cost) for r in results]}
    best.seed = int(seed)
    return best
