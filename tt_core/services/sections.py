"""Sections: splitting large offerings into sections as a new scenario, and moving students between
sections after solving (:mod:`tt_core.sectioning`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cost import evaluate
from ..errors import TimetableError
from ..sectioning import merge_sections, reassign_sections, split_sections
from .session import Service, Session

if TYPE_CHECKING:
    from .data import DataService
    from .variants import VariantService


class SectionService(Service):
    """Sectioning of scenarios (``studio.sections``)."""

    def __init__(self, session: Session, data: DataService, variants: VariantService):
        super().__init__(session)
        self.data = data
        self.variants = variants

    def split(self, scenario: str, new_name: str, *, section_size: int | None = None,
                         method: str = "affinity", user: str | None = None) -> dict:
        """Split the scenario's large offerings into sections (:func:`tt_core.sectioning.split_sections`)
        and store the result as the new scenario ``new_name``; returns the plan's summary and notes.

        A sectioned scenario is sectioned again from its offerings (sections merged back, their
        teachers kept as the offering's teaching team)."""

        user = self.require("edit_data", user)
        name = (new_name or "").strip()
        if not name:
            raise TimetableError("give the sectioned scenario a name")
        if name in self.data.scenarios():
            raise TimetableError(f"a scenario named {name!r} already exists; choose another name")
        original = self.data.problem(scenario)
        problem, teams = merge_sections(original)
        plan = split_sections(problem, section_size=section_size, teams=teams, method=method)
        info = self.store.scenarios.get(scenario)
        meta = self.store.scenarios.meta(scenario)
        full = dict(zip(original.teacher_names, meta.get("teacher_full_names") or []))
        meta["teacher_full_names"] = [full.get(t, "") for t in plan.problem.teacher_names]  # new course order
        self.store.scenarios.import_problem(plan.problem, name, institution=info["institution"], term=info["term"],
                                  description=f"{scenario} split into sections of at most "
                                              f"{section_size or 'the largest room'} students",
                                  meta=meta, user=user)
        return {**plan.summary(), "notes": plan.notes}

    def reassign(self, scenario: str, variant_id: int, user: str | None = None) -> dict:
        """After solving: move students between sections of the same offering to lower their clashes in
        the variant (:func:`tt_core.sectioning.reassign_sections`), store the new enrolments and save
        the same timetable, re-evaluated, as a new variant. Returns the moves and clashes before/after
        and ``variant`` (the new id; None when nobody moved)."""

        user = self.require("edit_data", user)
        problem = self.data.problem(scenario)
        (v,) = self.variants.load(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r}; generate a new variant")
        new, stats = reassign_sections(problem, v.timetable)
        if not stats["moved"]:
            return {**stats, "variant": None}
        report = evaluate(new, v.timetable, self.variants.weights_of(v.info))
        enrolments = [(new.student_names[s], [new.course_names[c] for c in new.student_course_ids(s)])
                      for s in range(new.n_students)]
        with self.store.transaction():  # the new enrolments and the variant made for them, together
            self.store.students.replace_enrolments(scenario, enrolments, user=user,
                                                   reason=f"students re-sectioned for variant #{variant_id}")
            vid = self.store.variants.save(scenario, v.timetable, report, meta={"re_sectioned_from": int(variant_id)},
                                           name=f"{v.info['name']} (re-sectioned)", parent=int(variant_id),
                                           user=user)
        return {**stats, "variant": vid}
