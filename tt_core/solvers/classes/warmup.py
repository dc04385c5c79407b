"""Load (or compile) the solver's numba code before a timed solve.

The first call of each numba function in a process loads it from numba's cache — a few seconds
for the whole solver on a busy machine, minutes the first time after an install (compilation).
``solve_classes`` counts that against its time limit like any other work; the ``tt solve`` command
calls :func:`warm_up` first, so that ``--time-limit`` is the search's, as it is for the curriculum
strategies (:func:`tt_core.benchmark.warm_up`). The code numba compiles depends on the argument
*types*, not on the data, so one run of every phase on a tiny problem loads everything a large
instance will use.
"""

from __future__ import annotations

import math

import numpy as np

from ...classes.distributions import DistributionType
from ...classes.model import ClassProblem
from ..base import Deadline, StopFlag


def tiny_problem() -> ClassProblem:
    """Two rooms (with travel, one closed on day 0), one course of a lecture and two labs (its
    children), two students, a required NotOverlap of the labs and a soft MaxDayLoad: every part
    of the solver has something to do."""
    days = [1, 2, 1, 2, 1, 2]           # per time option: day 0 or day 1
    starts = [96, 96, 120, 120, 120, 144]
    return ClassProblem(
        name="warm-up", nr_days=2, nr_weeks=1, slots_per_day=288, weights=[1, 1, 1, 1],
        room_ids=("r1", "r2"), room_capacity=[10, 10], travel=[[0, 2], [2, 0]],
        unavailable_ptr=[0, 0, 1], unavailable_days=[1], unavailable_start=[0], unavailable_length=[288],
        unavailable_weeks=[1],
        course_ids=("k",), config_ids=("f",), subpart_ids=("lec", "lab"), class_ids=("L", "B1", "B2"),
        course_config_ptr=[0, 1], config_subpart_ptr=[0, 2], subpart_class_ptr=[0, 1, 3],
        class_limit=[2, 1, 1], class_parent=[-1, 0, 0],
        time_ptr=[0, 2, 4, 6], time_days=days, time_start=starts, time_length=[12] * 6, time_weeks=[1] * 6,
        time_penalty=[0, 1, 0, 1, 0, 1],
        room_option_ptr=[0, 2, 4, 6], room_option_room=[0, 1, 0, 1, 0, 1], room_option_penalty=[0, 1, 1, 0, 0, 0],
        distribution_type=[int(DistributionType.NOT_OVERLAP), int(DistributionType.MAX_DAY_LOAD)],
        distribution_required=[True, False], distribution_penalty=[0, 1], distribution_param=[[0, 0], [12, 0]],
        distribution_ptr=[0, 2, 5], distribution_classes=[1, 2, 0, 1, 2],
        student_ids=("s1", "s2"), student_ptr=[0, 1, 2], student_courses=[0, 0],
    )


class _AfterSearchStarts:
    """A stop flag set by the first progress report of the search phase."""

    def __init__(self):
        self.set_ = False

    def is_set(self) -> bool:
        return self.set_

    def __call__(self, run, stage: str) -> None:
        if stage == "search":
            self.set_ = True


def warm_up() -> None:
    """Run every phase of one search once on :func:`tiny_problem` (numba's cache loaded). The run
    has no time limit (its search's first report stops it): a limit would skip the phases after the
    construction whenever compiling took longer than that (an empty cache on a busy machine)."""
    from .domain import build_domain
    from .sectioning import build_sections
    from .worker import Run

    problem = tiny_problem()
    flag: StopFlag = _AfterSearchStarts()
    ka, dm = build_domain(problem, np.zeros(problem.n_classes, bool))
    run = Run(problem, ka, dm, build_sections(problem), seed=0, clock=Deadline(math.inf, flag), report=flag)
    run.start()
    if run.construct():
        run.optimise()
