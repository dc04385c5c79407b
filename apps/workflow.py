"""Approval and substitution: every variant of a scenario with its workflow status (submit, approve
or reject with a reason, publish — the buttons the signed-in user's role may use), and the
substitution of an absent teacher on the published timetable: ranked, explained proposals per
lecture, apply one or cover all with the best, roll back (:mod:`tt_core.substitution`).

The costs in the table are those under the scenario's current data, and a published, approved,
submitted or chosen variant that a data change broke (a teacher now unavailable where they teach)
is named in a warning with its hard violations.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from ui import approval as WF  # noqa: E402
from ui import shared as S  # noqa: E402

PROPOSAL_COLUMNS = ["date", "lecture", "course", "when", "room", "rank", "substitute", "why", "replaces"]


class WorkflowAppState(param.Parameterized):
    """The scenario's variants with their status, and the substitution of one absent teacher."""

    scenario = param.Selector(objects=[])
    options = param.Dict({}, doc="{label: id} of the scenario's variants, newest first")
    variants = param.DataFrame(pd.DataFrame())
    published = param.String("", doc="the published variant in words")
    warnings = param.String("", doc="followed variants that a change of their data broke, in words")

    teacher = param.Selector(objects={}, allow_None=True, doc="the absent teacher")
    date_from = param.CalendarDate(None, allow_None=True, label="Absent from")
    date_to = param.CalendarDate(None, allow_None=True, label="to (inclusive)")
    proposals = param.DataFrame(pd.DataFrame(columns=PROPOSAL_COLUMNS))
    notes = param.String("")
    substitutions = param.DataFrame(pd.DataFrame())
    show_rolled_back = param.Boolean(False, label="Show rolled-back substitutions too")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        super().__init__(**params)
        today = dt.date.today()
        monday = today + dt.timedelta(days=(7 - today.weekday()) % 7)
        self.param.update(date_from=monday, date_to=monday)
        S.offer_scenarios(self, self._load_scenario)

    @param.depends("scenario", watch=True)
    @S.guarded
    def _load_scenario(self) -> None:
        problem = self.studio.data.problem(self.scenario)
        labels = self.studio.data.teacher_labels(self.scenario, problem)
        self.param.teacher.objects = {labels.get(t, t): t for t in problem.teacher_names}
        self.teacher = problem.teacher_names[0] if problem.teacher_names else None
        self.proposals = pd.DataFrame(columns=PROPOSAL_COLUMNS)
        self.refresh_variants()
        self.refresh_substitutions()

    def refresh_variants(self) -> None:
        """Relist the variants (after a workflow step: their status changed)."""
        rows = []
        problem = self.studio.data.problem(self.scenario)
        # cost and hard violations under the data as it is now (a variant made before a change is evaluated again)
        for v in reversed(self.studio.variants.current_rows(self.scenario, problem)):
            r = self.studio.approval.review(v["id"])
            rows.append({"id": v["id"], "name": v["name"], "status": r.status, "round": r.round,
                         "waiting for": ", ".join(r.pending) if r.status == "submitted" else "",
                         "cost": v["soft_cost"], "hard": v["hard_violations"],
                         "data changed": "yes" if v["changed"] else ""})
        self.variants = pd.DataFrame(rows, columns=["id", "name", "status", "round", "waiting for", "cost", "hard",
                                                    "data changed"])
        self.warnings = "\n\n".join(self.studio.variants.warnings(self.scenario, problem))
        self.options = self.studio.variants.options(self.scenario, problem)
        pub = self.studio.approval.published(self.scenario)
        self.published = (f"Published timetable: variant #{pub}" if pub is not None else
                          "No variant is published yet: substitutions apply to the published timetable.")

    @param.depends("show_rolled_back", watch=True)
    @S.guarded
    def refresh_substitutions(self) -> None:
        self.substitutions = self.studio.substitutions.frame(self.scenario, active_only=not self.show_rolled_back)

    # ------------------------------------------------------------------ substitution
    def _dates(self) -> str:
        if self.date_from is None:
            raise S.TimetableError("pick the first day of the absence")
        last = self.date_to or self.date_from
        if last < self.date_from:
            raise S.TimetableError("the absence ends before it starts; check the dates")
        return f"{self.date_from.isoformat()}..{last.isoformat()}"

    @S.guarded
    def propose(self) -> None:
        if self.teacher is None:
            raise S.TimetableError("pick the absent teacher")
        result = self.studio.substitutions.propose(self.scenario, self.teacher, [self._dates()])
        self.proposals = result.frame()
        self.notes = "; ".join(result.notes)
        n = sum(1 for lp in result.lectures if lp.candidates)
        self.messages.ok(f"{len(result.lectures)} lecture(s) of {self.teacher}; {n} with a substitute available")

    @S.guarded
    def apply(self, rows: list[int]) -> None:
        """Apply the proposal rows picked in the table (one substitute per lecture and date)."""
        if not rows:
            raise S.TimetableError("select the proposal(s) to apply in the table first")
        picked = self.proposals.iloc[list(rows)]
        if picked["rank"].isna().any() or (picked["substitute"] == "").any():
            raise S.TimetableError("a selected row has no substitute to apply (covered already, or nobody free)")
        if picked.duplicated(["date", "lecture"]).any():
            raise S.TimetableError("select one substitute per lecture")
        done = []
        for _, r in picked.iterrows():
            replaces = None if pd.isna(r["replaces"]) else int(r["replaces"])
            done.append(self.studio.substitutions.apply(self.scenario, dt.date.fromisoformat(r["date"]),
                                                       int(r["lecture"]), r["substitute"], replaces=replaces))
        self.refresh_substitutions()
        self.propose()
        self.messages.ok("; ".join(done))

    @S.guarded
    def cover(self) -> None:
        """Give every lecture of the absence to its best candidate."""
        if self.teacher is None:
            raise S.TimetableError("pick the absent teacher")
        text = self.studio.substitutions.apply_best(self.scenario, self.teacher, [self._dates()])
        self.refresh_substitutions()
        self.propose()
        self.messages.ok(text)

    @S.guarded
    def rollback(self, rows: list[int]) -> None:
        if not rows:
            raise S.TimetableError("select the substitution(s) to roll back in the table first")
        ids = [int(i) for i in self.substitutions.iloc[list(rows)]["id"]]
        text = self.studio.substitutions.rollback(ids)
        self.refresh_substitutions()
        if not self.proposals.empty:
            self.propose()
        self.messages.ok(text)


# ============================================================================ view
def layout(state: WorkflowAppState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select.from_param(state.param.scenario, sizing_mode="stretch_width")
    flow = WF.WorkflowState(state.studio, state.messages)
    approval = WF.variant_workflow(flow, state)

    variants = w.Tabulator(state.variants, disabled=True, show_index=False, sizing_mode="stretch_width",
                           css_classes=["tt-wf-variants"], layout="fit_data_table")
    state.param.watch(lambda e: setattr(variants, "value", e.new), "variants")
    published = pn.pane.Markdown(state.published, css_classes=["tt-published"])
    warnings = pn.pane.Alert(S.safe_md(state.warnings), alert_type="danger", visible=bool(state.warnings),
                             css_classes=["tt-wf-warnings"], sizing_mode="stretch_width")
    state.param.watch(lambda e: warnings.param.update(object=S.safe_md(e.new), visible=bool(e.new)), "warnings")
    state.param.watch(lambda e: setattr(published, "object", S.safe(e.new)), "published")

    may = S.can("substitute")
    teacher = w.Select.from_param(state.param.teacher, name="Absent teacher", css_classes=["tt-sub-teacher"])
    d_from = w.DatePicker.from_param(state.param.date_from, css_classes=["tt-sub-from"])
    d_to = w.DatePicker.from_param(state.param.date_to, css_classes=["tt-sub-to"])
    propose = w.Button(name="Propose substitutes", button_type="primary", css_classes=["tt-sub-propose"])
    propose.on_click(lambda _e: state.propose())
    proposals = w.Tabulator(state.proposals, disabled=True, show_index=False, sizing_mode="stretch_width",
                            selectable="checkbox", pagination="local", page_size=20, css_classes=["tt-proposals"],
                            layout="fit_data_table", hidden_columns=["replaces"])
    state.param.watch(lambda e: proposals.param.update(value=e.new, selection=[]), "proposals")
    apply = w.Button(name="Apply selected", button_type="success", css_classes=["tt-sub-apply"], visible=may)
    apply.on_click(lambda _e: state.apply(list(proposals.selection)))
    cover = w.Button(name="Cover every lecture with the best", button_type="success", button_style="outline",
                     css_classes=["tt-sub-cover"], visible=may)
    cover.on_click(lambda _e: state.cover())
    notes = pn.pane.Markdown("", css_classes=["tt-sub-notes"])
    state.param.watch(lambda e: setattr(notes, "object", S.safe(e.new)), "notes")

    subs = w.Tabulator(state.substitutions, disabled=True, show_index=False, sizing_mode="stretch_width",
                       selectable="checkbox", pagination="local", page_size=20, css_classes=["tt-substitutions"],
                       layout="fit_data_table")
    state.param.watch(lambda e: subs.param.update(value=e.new, selection=[]), "substitutions")
    rolled = w.Checkbox.from_param(state.param.show_rolled_back)
    rollback = w.Button(name="Roll back selected", button_type="warning", css_classes=["tt-sub-rollback"],
                        visible=may)
    rollback.on_click(lambda _e: state.rollback(list(subs.selection)))

    main = [
        S.message_alerts(state.messages),
        pn.pane.Markdown("### Variants and their approval"), published, warnings, variants,
        pn.pane.Markdown("### Substitution of an absent teacher"),
        pn.pane.Markdown("Candidates are free at the lecture's time, teach the course's department or students, "
                         "and stay within their daily limit; same department first. Applying records a dated "
                         "overlay on the published timetable, which itself does not change."),
        pn.Row(teacher, d_from, d_to), pn.Row(propose, apply, cover), notes, proposals,
        pn.pane.Markdown("### Substitutions"), rolled, subs, rollback,
    ]
    return S.page("Approval & substitution", "workflow", *main, sidebar=[scenario, pn.layout.Divider(), approval])


def app() -> pn.template.BaseTemplate:
    try:
        state = WorkflowAppState(S.studio())
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Approval & substitution", "workflow", exc)
    query = pn.state.location.query_params if pn.state.location else {}
    if query.get("scenario") in state.param.scenario.objects:
        state.scenario = query["scenario"]
    return layout(state)


pn.extension("tabulator", notifications=True)

if pn.state.served:
    app().servable()
