"""The progress bar of ``tt solve`` (both problem families): on a terminal only, never in a pipe."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(quiet: bool, cost_label: str = "cost") -> Iterator[Callable]:
    """A solver ``progress`` callback that draws a bar on stderr when it is a terminal (and not
    ``quiet``), closed when the block ends; ``cost_label`` names the cost ("cost", "total")."""
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=100, unit="%", desc="solving", file=sys.stderr)

    def progress(ev) -> None:
        if bar is not None:
            bar.n = int(ev.fraction * 100)
            cost = "-" if math.isinf(ev.best_cost) else f"{ev.best_cost:g}"
            bar.set_postfix_str(f"{ev.stage}: {cost_label} {cost}, hard {ev.hard_violations}")
            bar.refresh()

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
