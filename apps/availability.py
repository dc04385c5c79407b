"""My availability: a teacher marks the periods they cannot teach (hard: the solver never places
their lectures there) and the periods they would rather not teach (soft: it avoids them).

Instructor self-service: a signed-in user with the role ``teacher`` edits only their own teacher
(``users.teacher``); planners and admins pick any teacher. Anyone may look at a teacher's form
(``?teacher=T0002`` in the address), but saving goes through
:meth:`tt_core.services.DataService.save_teacher_periods`, which refuses a teacher saving someone
else's periods whatever the browser sends. Every save is one audit entry (periods added and
removed), shown to planners in "Users & audit". When the published (or chosen, approved, under
review) timetable now has the teacher's lectures where they are unavailable, the save says so,
and the planners see the same in the variants and workflow apps.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from tt_core import views  # noqa: E402

from ui import shared as S  # noqa: E402

FREE, UNAVAILABLE, UNDESIRED = "", "unavailable", "rather not"
#: a click on a cell moves it to the next mark
NEXT = {FREE: UNDESIRED, UNDESIRED: UNAVAILABLE, UNAVAILABLE: FREE}


class AvailabilityState(param.Parameterized):
    """One teacher's marks: a grid of time of day (rows) × day (columns)."""

    scenario = param.Selector(objects=[])
    teacher = param.Selector(objects=[], allow_None=True)
    frame = param.DataFrame(pd.DataFrame())
    dirty = param.Boolean(False, doc="marks changed since the last load or save")
    editable = param.Boolean(False, doc="the user may save this teacher's marks")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self.own = studio.my_teacher()   # the teacher a ``teacher`` account is linked to, else None
        self._problem = None
        self.wanted_teacher = params.pop("wanted_teacher", None)
        super().__init__(**params)
        S.offer_scenarios(self, self.load_scenario, empty="The database has no scenario yet.")

    @param.depends("scenario", watch=True)
    @S.guarded
    def load_scenario(self) -> None:
        self._problem = self.studio.data.problem(self.scenario)
        names = list(self._problem.teacher_names)
        labels = self.studio.data.teacher_labels(self.scenario, self._problem)
        if self.own is not None:
            # a teacher account is offered its own teacher (and one opened by a link, read-only)
            shown = [t for t in names if t == self.own or t == self.wanted_teacher]
            if self.own not in names:
                self.messages.error = (f"your account is linked to teacher {self.own!r}, who is not in scenario "
                                       f"{self.scenario!r}; ask a planner to correct the link")
        else:
            shown = names
        self.param.teacher.objects = {labels.get(t, t): t for t in shown}
        first = self.wanted_teacher if self.wanted_teacher in shown else (
            self.own if self.own in shown else (shown[0] if shown else None))
        if first == self.teacher:
            self.load()
        else:
            self.teacher = first

    @param.depends("teacher", watch=True)
    @S.guarded
    def load(self) -> None:
        """Read the teacher's marks from the store (after every save too)."""
        p = self._problem
        if p is None or self.teacher is None:
            self.frame = pd.DataFrame()
            return
        marks = self.studio.data.teacher_periods(self.scenario, self.teacher)
        days, slots = views.day_names(p), views.slot_names(p)
        grid = pd.DataFrame(FREE, index=range(p.periods_per_day), columns=days)
        for entity, mark in (("teacher_preferences", UNDESIRED), ("teacher_unavailability", UNAVAILABLE)):
            for q in marks[entity]:
                grid.iat[q % p.periods_per_day, q // p.periods_per_day] = mark
        grid.insert(0, "time", slots)
        # the session's rights (a read-only share link: none); the service checks again when saving
        self.editable = self.studio.allowed("edit_own_availability", teacher=self.teacher) and not S.read_only()
        self.dirty = False
        self.frame = grid

    def toggle(self, row: int, column: str) -> None:
        """Move one cell to its next mark (free → rather not → unavailable → free); not saved yet."""
        if column == "time" or column not in self.frame.columns or not self.editable:
            return
        frame = self.frame.copy()
        frame.at[row, column] = NEXT[frame.at[row, column]]
        self.dirty = True
        self.frame = frame

    def periods(self) -> tuple[list[int], list[int]]:
        """(unavailable, rather-not) periods of the grid shown."""
        ppd = self._problem.periods_per_day
        out = {UNAVAILABLE: [], UNDESIRED: []}
        for d, day in enumerate(self.frame.columns[1:]):
            for s, mark in enumerate(self.frame[day]):
                if mark in out:
                    out[mark].append(d * ppd + s)
        return out[UNAVAILABLE], out[UNDESIRED]

    @S.guarded
    def save(self) -> None:
        """Save the marks; the service decides whether this user may (never this page)."""
        if self.teacher is None:
            raise S.TimetableError("pick a teacher first")
        unavailable, undesired = self.periods()
        self.messages.ok(self.studio.data.save_teacher_periods(self.scenario, self.teacher, unavailable, undesired))
        # the timetable people follow may now put this teacher where they cannot teach: say so at once
        broken = self.studio.variants.warnings(self.scenario, teacher=self.teacher)
        if broken:
            self.messages.warn("\n\n".join(broken))
        self.load()


# ============================================================================ view
def layout(state: AvailabilityState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select.from_param(state.param.scenario, sizing_mode="stretch_width")
    teacher = w.Select.from_param(state.param.teacher, name="Teacher", sizing_mode="stretch_width",
                                  css_classes=["tt-teacher"])
    colours = {UNAVAILABLE: "background-color: #f4b6b6", UNDESIRED: "background-color: #fbe3a8"}

    grid = w.Tabulator(state.frame, disabled=True, show_index=False, selectable=False, sizing_mode="stretch_width",
                       css_classes=["tt-availability"], layout="fit_columns")
    grid.style.map(lambda v: colours.get(v, ""))
    grid.on_click(lambda e: state.toggle(e.row, e.column))

    def show(*_):
        grid.value = state.frame
        save.visible = state.editable
        note.object = (("**Click a cell** to mark it *rather not* (soft), then *unavailable* (hard), then free again; "
                        "**Save** when done." + (" Unsaved changes." if state.dirty else ""))
                       if state.editable else
                       "You may look at this teacher's marks; only the teacher or a planner changes them.")

    save = w.Button(name="Save", button_type="primary", css_classes=["tt-save-availability"], width=120)
    save.on_click(lambda _: state.save())
    note = pn.pane.Markdown("", css_classes=["tt-availability-note"])
    state.param.watch(show, ["frame", "editable", "dirty"])
    show()
    main = [S.message_alerts(state.messages), note, grid, save]
    return S.page("My availability", "availability", *main, sidebar=[scenario, teacher])


def app() -> pn.template.BaseTemplate:
    try:
        refused = S.refused("My availability", "availability", "edit_own_availability")
        if refused is not None:
            return refused
        query = pn.state.location.query_params if pn.state.location else {}
        state = AvailabilityState(S.studio(), wanted_teacher=query.get("teacher"))
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("My availability", "availability", exc)
    if query.get("scenario") in state.param.scenario.objects:
        state.scenario = query["scenario"]
    return layout(state)


pn.extension("tabulator", notifications=True)

if pn.state.served:
    app().servable()
