"""Substitutions on the published timetable: ranked proposals, recording and rolling back, and the
week views and calendars that show them (rules: :mod:`tt_core.substitution`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .. import substitution
from ..model import Problem, Timetable
from ..substitution import overlay_entries, overlays_of, week_of
from ..views import Entry, weekly_entries
from .session import Service, Session

if TYPE_CHECKING:
    from .data import DataService


class SubstitutionService(Service):
    """Dated substitutions on variants (``studio.substitutions``)."""

    def __init__(self, session: Session, data: DataService):
        super().__init__(session)
        self.data = data

    def overlays(self, scenario: str, problem: Problem, variant_id: int, *, date_from=None, date_to=None) -> list:
        """The variant's active substitutions (:class:`tt_core.substitution.Overlay`)."""

        return overlays_of(self.store, problem, scenario, int(variant_id), date_from=date_from, date_to=date_to)[0]

    def week_entries(self, scenario: str, problem: Problem, timetable: Timetable, variant_id: int, view: str,
                     key: str | None, week, labels: dict[str, str] | None = None) -> list[Entry]:
        """A view's weekly entries for the week of the date ``week``, with that week's substitutions."""

        monday, sunday = week_of(week)
        overlays = self.overlays(scenario, problem, variant_id, date_from=monday, date_to=sunday)
        entries = weekly_entries(problem, timetable, view, key, labels)
        return overlay_entries(problem, entries, overlays, view, key, timetable, labels)

    def propose(self, scenario: str, teacher: str, dates, *, limit: int | None = 5,
                            user: str | None = None):
        """Ranked substitutes for each lecture of ``teacher`` on ``dates`` in the published timetable
        (:func:`tt_core.substitution.propose`)."""

        return substitution.propose(self.store, scenario, teacher, dates, limit=limit,
                                    labels=self.data.teacher_labels(scenario), user=self.who(user))

    def apply(self, scenario: str, on_date, lecture: int, substitute: str, *, note: str = "",
                           replaces: int | None = None, user: str | None = None) -> str:

        sid = substitution.apply(self.store, scenario, on_date, int(lecture), substitute, note=note,
                                 replaces=replaces, user=self.who(user))
        return f"substitution {sid}: {substitute} takes lecture {lecture} on {on_date}"

    def apply_best(self, scenario: str, teacher: str, dates, *, note: str = "",
                               user: str | None = None) -> str:

        ids, left = substitution.apply_best(self.store, scenario, teacher, dates, note=note, user=self.who(user))
        text = f"{len(ids)} substitution(s) recorded" + (f" ({', '.join(map(str, ids))})" if ids else "")
        return text + ("; uncovered: " + "; ".join(left) if left else "")

    def rollback(self, ids, *, user: str | None = None) -> str:

        ids = [int(i) for i in ids]
        substitution.rollback(self.store, ids, user=self.who(user))
        return f"rolled back substitution(s) {', '.join(map(str, ids))}"

    def frame(self, scenario: str, *, active_only: bool = True) -> pd.DataFrame:
        """The scenario's substitutions, by date: id, variant, date, lecture, course, absent, substitute…"""
        cols = ["id", "variant_id", "on_date", "lecture", "course", "absent_teacher", "substitute", "note",
                "created_by", "rolled_back_at"]
        rows = self.store.substitutions.list(scenario, active_only=active_only)
        df = pd.DataFrame(rows, columns=cols + ["created_at", "rolled_back_by"])[cols]
        df["on_date"] = [d.isoformat() for d in df["on_date"]]
        df["lecture"] = df["lecture"].astype("Int64")
        df["course"] = [c if isinstance(c, str) else "(absent that day)" for c in df["course"]]
        df["substitute"] = [t if isinstance(t, str) else ("" if pd.isna(l) else "(nobody: uncovered)")
                            for t, l in zip(df["substitute"], df["lecture"])]
        df["note"] = df["note"].fillna("")
        df["created_by"] = df["created_by"].fillna("")
        df["rolled_back_at"] = [t.strftime("%Y-%m-%d %H:%M") if t is not None and t == t else ""
                                for t in df["rolled_back_at"].astype(object)]
        return df
