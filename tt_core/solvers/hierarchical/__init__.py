"""Hierarchical pipeline: departments first, electives next, then the whole timetable.

The decomposition follows the way universities build timetables (and the multi-stage CB-CTT
methods that exploit it, e.g. Lach & Lübbecke 2012 for the time/room split): the core courses of
each department hardly interact with other departments, so they are solved as independent small
problems; electives are then inserted around them; a final global search removes what the
decomposition cost.

1. ``stage 1: departments`` — the core courses, grouped by department (departments that share a
   teacher or a curriculum among these courses form one group), are planned together with the
   department's own electives; the electives' places are only kept as hints for stage 2, but the
   core is laid out so that they fit. Rooms are shared fairly before anything is solved: every
   (room, period) slot goes to at most one group, in proportion to the group's lecture-periods
   per *room class* (rooms of the same suitability and capacity band, see :func:`room_shares`),
   the open electives' share being left free, so the groups' timetables merge without room
   clashes. Each group is a :class:`SubProblem` whose slots owned by others are occupied by
   pinned *blocker* lectures; it is solved by the greedy construction, CP-SAT feasibility when
   the greedy start breaks a hard constraint, and a short simulated annealing. Groups run in
   parallel on Dask (a given ``client`` or, with ``parallel=True``, the cluster of
   ``TT_DASK_SCHEDULER`` or a private ``LocalCluster``) or one after the other in this process.
2. ``stage 2: electives`` — departmental electives (from their stage-1 places), then open
   electives (greedy construction) are inserted and improved by annealing with every earlier
   lecture pinned (lectures in a hard violation excepted). When the pins leave a hard violation,
   a second pass frees the earlier lectures of the courses in a violation and of every course
   conflicting with them, each move of an earlier lecture costing ``perturbation_weight`` (a
   hint instead of a pin: the minimal-perturbation criterion of UniTime's ``Perturbations``).
3. ``stage 3: global`` — simulated annealing on the whole timetable for the remaining time. Its best
   timetable is ranked by hard violations first, so it never has more than the merged start.

Stage budgets: stage 1 gets at most ``shares[0]`` of the time and each group 0.05 s + 2 ms per
lecture (plus CP-SAT's time where needed); stage 2 at most ``shares[1]`` and 1 s + 5 ms per
inserted lecture; stage 3 the rest.

On instances without departments (ITC2007) stage 1 is the whole instance and only its greedy
construction runs; stage 2 is empty; stage 3 is the annealing of ``strategy="local"`` (with its
own CP-SAT feasibility step when the greedy start is infeasible) for the rest of the time, so the
pipeline does the work of ``"local"``. Measured on comp01–07: CP-SAT feasibility needs 0.3–2.7 s
and returns timetables whose soft cost is 1–6× the greedy start's, so it stays a repair tool.

The package, by concept: :mod:`.decomposition` (sub-problems, groups, room shares),
:mod:`.groups` (solving one group), :mod:`.pipeline` (the three stages).
"""

from __future__ import annotations

from .decomposition import SubProblem, department_groups, room_classes, room_shares, subproblem, violating_lectures
from .groups import GroupResult, GroupTask, solve_group
from .pipeline import STAGE_1, STAGE_2, STAGE_3, STAGES, solve_hierarchical

__all__ = ["solve_hierarchical", "SubProblem", "subproblem", "violating_lectures", "department_groups", "room_classes",
           "room_shares", "GroupTask", "GroupResult", "solve_group", "STAGE_1", "STAGE_2", "STAGE_3", "STAGES"]
