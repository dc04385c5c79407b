"""Synthetic university generator: seeded, deterministic and feasible by construction.

A :class:`Recipe` describes the shape of a university (departments, programmes, years, students,
courses, labs, rooms, teachers, time grid). :func:`generate` turns it into a
:class:`~tt_core.model.Problem` plus the *hidden* :class:`~tt_core.model.Timetable` the instance was
built around, so every generated instance is known to be feasible and the hidden timetable is an
upper bound a solver should reach or beat.

How feasibility is guaranteed (planted-solution generation, as in the "quiet planting" of random
CSP benchmarks): the curricula, courses and teachers are drawn first, then every lecture is placed
greedily in a period where none of its curricula and not its teacher is busy, keeping a per-period
room-capacity invariant (see below). Rooms are assigned afterwards and only then are the teacher
unavailabilities and undesired periods derived, from periods the hidden timetable leaves free.

Rooms come in capacity *tiers* (20, 30, 40 … seats). A lecture of tier ``k`` needs a room of tier
``>= k``; since those room sets are nested, a period can host its lectures iff for every tier ``j``
the number of lectures of tier ``>= j`` does not exceed the number of rooms of tier ``>= j`` (Hall's
condition for nested sets). The placement keeps that condition true in every period, and the room
assignment then processes courses in decreasing tier, which can always find a free room. Labs
(2–3 consecutive periods) use lab rooms booked per day *block* of ``max lab length`` periods, so
the same argument holds for them with blocks instead of periods.

The *enrolments* form (``students.form = "enrolments"``, presets ``campus`` and ``university``)
draws every student's courses instead of curricula — their cohort's cores, departmental electives,
open electives, minors and skill courses shared across departments (NEP-2020 style) — splits
offerings above ``section_size`` into sections of similar students, and plants the timetable with
one group per distinct set of a student's courses in place of the curricula, so no student has a
clash in it. The problem then has students' enrolments and no curricula.

All randomness comes from one ``numpy.random.Generator`` seeded by ``Recipe.seed`` and passed
down; the same recipe gives identical arrays and names.
"""


from .generate import generate
from .recipe import FORMS, PRESETS, Recipe
from .result import SynthUniversity
from .vocabulary import ROOM_TYPES

__all__ = ["FORMS", "PRESETS", "ROOM_TYPES", "Recipe", "SynthUniversity", "generate"]
