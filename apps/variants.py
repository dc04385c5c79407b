"""Compare variants: 2–4 timetables of a scenario side by side as day × period occupancy heatmaps
(whole institution, a department, curriculum, teacher or room), their cost breakdown per
constraint and the weights each was optimised for, the lectures that moved between any two
variants (by default the first two compared) with the cost change per constraint,
the scenario's history (each variant with its parent); mark one as the chosen variant; move a
variant through the approval workflow (submit, approve or reject with a reason, publish: only the
buttons the signed-in user's role may use, ``ui/approval.py``). Costs are those under the
scenario's current data: a published or chosen variant that a data change broke is named in a
warning with its hard violations.

A class-based scenario (real university data, ITC2019) compares two of its variants instead: the
cost components of the competition's rules and the hard violations per kind, every hard violation
in words, and the classes whose time or room changed (``ui/class_compare.py``); choosing and the
approval workflow are the same.

The comparison can be saved as one HTML file that opens without a server, and shared as a
read-only link (``?scenario=…&variants=1,2&view=…&key=…&readonly=1``).
"""

from __future__ import annotations

import io
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import holoviews as hv  # noqa: E402
import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from tt_core import services, views  # noqa: E402

from ui import approval as WF  # noqa: E402
from ui import class_compare as CC  # noqa: E402
from ui import shared as S  # noqa: E402

MAX_VARIANTS = 4


class VariantsState(param.Parameterized):
    """Which variants are compared, through which view, and the derived tables."""

    scenario = param.Selector(objects=[])
    selected = param.ListSelector(default=[], objects=[], doc="variant ids compared (2-4)")
    view = param.Selector(objects=list(views.VIEWS), default="institution")
    key = param.Selector(objects=[], allow_None=True, doc="the department/curriculum/teacher/room shown")
    diff_a = param.Selector(objects=[], allow_None=True, label="From variant")
    diff_b = param.Selector(objects=[], allow_None=True, label="To variant")
    to_choose = param.Selector(objects=[], allow_None=True, label="Variant")

    options = param.Dict({}, doc="{label: id} of the scenario's variants")
    heatmaps = param.List([], doc="[(label, occupancy frame)] of the selected variants")
    metrics = param.DataFrame(pd.DataFrame())
    weights = param.DataFrame(pd.DataFrame(), doc="the soft constraints' weights each compared variant was made with")
    moves = param.DataFrame(pd.DataFrame())
    diff_costs = param.DataFrame(pd.DataFrame(), doc="constraints whose units changed from diff_a to diff_b")
    diff_summary = param.String("", doc="moved / added / removed lectures and the cost change, in one line")
    history = param.DataFrame(pd.DataFrame(), doc="every variant of the scenario with its parent")
    notes = param.String("", doc="warnings about variants that no longer fit the scenario")
    kind = param.Selector(objects=["curriculum", "classes"], default="curriculum",
                          doc="what the scenario holds: curricula (heatmaps, constraints) or classes (ITC2019)")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self._problem = None
        self._views: dict[int, services.VariantView] = {}
        self._labels: dict[str, str] = {}
        self._compared: tuple[int, ...] = ()  # the variants the diff pair was last taken from
        self._warnings: list[str] = []  # followed variants a data change broke (VariantService.warnings)
        super().__init__(**params)
        self.classes = CC.ClassCompareState(studio, self.messages)
        S.offer_scenarios(self, self._load_scenario)

    # ------------------------------------------------------------------ loading
    @param.depends("scenario", watch=True)
    @S.guarded
    def _load_scenario(self) -> None:
        if self.studio.data.is_class_scenario(self.scenario):
            self._problem, self._views = None, {}
            self.param.update(heatmaps=[], metrics=pd.DataFrame(), weights=pd.DataFrame(), moves=pd.DataFrame(),
                              diff_costs=pd.DataFrame(), diff_summary="", history=pd.DataFrame(), notes="")
            self.kind = "classes"
            self.classes.load(self.scenario)
            self.refresh_variants()
            return
        self.kind = "curriculum"
        self._problem = self.studio.data.problem(self.scenario)
        self._labels = self.studio.data.teacher_labels(self.scenario, self._problem)
        self._views = {}
        self.refresh_variants()
        newest = list(self.options.values())[:2]
        self.param.update(selected=newest)
        self._keys()

    def refresh_variants(self) -> None:
        if self.kind == "classes":  # the approval panel's and the chosen picker's list
            self.classes.refresh()
            self.options = self.classes.options
            self.param.to_choose.objects = list(self.options.values())
            if self.to_choose not in self.param.to_choose.objects:
                self.to_choose = next(iter(self.options.values()), None)
            return
        self.options = self.studio.variants.options(self.scenario, self._problem)
        ids = list(self.options.values())
        self.param.selected.objects = ids
        # a diff may compare any two variants of the scenario, not only those compared above
        self.param.diff_a.objects = self.param.diff_b.objects = ids
        self.history = self.studio.variants.history(self.scenario, self._problem)
        self._warnings = self.studio.variants.warnings(self.scenario, self._problem)
        keep = [v for v in self.selected if v in ids]
        if keep != self.selected:
            self.selected = keep

    @param.depends("view", watch=True)
    def _keys(self) -> None:
        keys = views.view_keys(self._problem, self.view) if self._problem is not None else []
        # teachers are listed by full name; the value stays the teacher id
        self.param.key.objects = {self.key_label(k): k for k in keys}
        old = self.key
        self.key = keys[0] if keys else None
        if self.key == old:  # no change event: draw for the new view here
            self._update()

    def key_label(self, key: str) -> str:
        return self._labels.get(key, key) if self.view == "teacher" else key

    @param.depends("selected", "key", watch=True)
    @S.guarded
    def _update(self) -> None:
        if self._problem is None:
            return
        if len(self.selected) > MAX_VARIANTS:
            self.selected = self.selected[:MAX_VARIANTS]
            raise S.TimetableError(f"compare at most {MAX_VARIANTS} variants at once")
        missing = [v for v in self.selected if v not in self._views]
        for view in self.studio.variants.load(self._problem, missing):
            self._views[view.id] = view
        shown = [self._views[v] for v in self.selected]
        fits = [v for v in shown if v.fits]
        self.notes = "\n\n".join(self._warnings + [f"Variant #{v.id} no longer fits the scenario (its data changed "
                                                   "since it was made)." for v in shown if not v.fits])
        key = self.key if self.view != "institution" else None
        if self.view != "institution" and key is None:
            self.heatmaps = []
        else:
            self.heatmaps = [(v.label, views.occupancy_frame(self._problem, v.timetable, self.view, key))
                             for v in fits]
        self.metrics = self.studio.variants.metrics_frame(self._problem, shown)
        self.weights = self.studio.variants.weights_frame(shown)
        ids = [v.id for v in shown]
        self.param.to_choose.objects = ids
        every = list(self.options.values())
        if tuple(ids) != self._compared and len(ids) >= 2:
            # other variants compared: the diff shows the first two of them (a pair picked below stays
            # until the comparison changes again; with fewer than two compared, the pair stays too)
            self._compared = tuple(ids)
            a, b = ids[0], ids[1]
        else:
            a = self.diff_a if self.diff_a in every else (ids[0] if ids else None)
            b = self.diff_b if self.diff_b in every and self.diff_b != a else next((i for i in ids if i != a), None)
        self.param.update(diff_a=a, diff_b=b, to_choose=self.to_choose if self.to_choose in ids else
                          (ids[0] if ids else None))
        self._diff()

    @param.depends("diff_a", "diff_b", watch=True)
    @S.guarded
    def _diff(self) -> None:
        missing = [v for v in (self.diff_a, self.diff_b) if v is not None and v not in self._views]
        for view in self.studio.variants.load(self._problem, missing):
            self._views[view.id] = view
        va, vb = self._views.get(self.diff_a), self._views.get(self.diff_b)
        if va is None or vb is None or va.id == vb.id or not (va.fits and vb.fits):
            self.param.update(moves=pd.DataFrame(columns=["course", "teacher", "change", "from", "to"]),
                              diff_costs=pd.DataFrame(), diff_summary="")
            return
        d = self.studio.variants.diff_views(self._problem, va, vb, teacher_labels=self._labels)
        self.param.update(moves=d.moves, diff_costs=d.changed_costs().drop(columns=["hard"]),
                          diff_summary=d.summary())

    # ------------------------------------------------------------------ actions
    @S.guarded
    def choose(self) -> None:
        if self.to_choose is None:
            raise S.TimetableError("select the variant to mark as chosen")
        if not self.studio.allowed("choose_variant") or S.read_only():
            raise S.TimetableError("your role may compare variants but not choose one")
        self.studio.variants.choose(self.to_choose, user=S.current_user())
        self._views = {}
        self.refresh_variants()
        if self.kind == "curriculum":
            self._update()
        self.messages.ok(f"variant #{self.to_choose} is now the chosen timetable of {self.scenario}")

    def label_of(self, vid: int) -> str:
        return next((k for k, v in self.options.items() if v == vid), f"#{vid}")


# ============================================================================ view
def heatmap_plots(state: VariantsState) -> list:
    """One HoloViews heatmap per selected variant, on one colour scale."""
    if not state.heatmaps:
        return []
    top = max(int(df["lectures"].max()) for _, df in state.heatmaps) or 1
    plots = []
    for label, df in state.heatmaps:
        days = list(dict.fromkeys(df["day"]))
        periods = list(dict.fromkeys(df["period"]))
        plot = hv.HeatMap(df, ["day", "period"], "lectures").opts(
            cmap="Blues", clim=(0, top), colorbar=True, tools=["hover"], width=360, height=300,
            invert_yaxis=True, title=label, xlabel="", ylabel="", toolbar=None,
            xticks=None, default_tools=[], fontsize={"title": 10})
        plots.append(plot.redim.values(day=days, period=periods))
    return plots


def standalone(state: VariantsState) -> io.BytesIO | None:
    """The comparison shown now as one HTML file that opens without a server (for a FileDownload)."""
    try:
        if not state.heatmaps:
            raise S.TimetableError("select the variants to compare first")
        title = f"{state.scenario} · " + " vs ".join(label for label, _ in state.heatmaps)
        where = views.view_title(state.view, state.key, state._labels)
        data = S.standalone_html(
            title, pn.pane.Markdown(f"Occupancy (lectures per period): {S.safe_md(where)}"),
            pn.FlexBox(*[pn.pane.HoloViews(p, margin=5) for p in heatmap_plots(state)]),
            pn.pane.Markdown("## Cost per constraint"),
            pn.pane.DataFrame(state.metrics.drop(columns=["hard"], errors="ignore"), index=False),
            pn.pane.Markdown("## Weights each variant was optimised for"),
            pn.pane.DataFrame(state.weights, index=False),
            pn.pane.Markdown("## Lectures moved"), pn.pane.DataFrame(state.moves, index=False))
    except Exception as exc:  # noqa: BLE001 - shown in the page
        state.messages.fail(exc)
        return None
    state.messages.ok("the comparison was saved as a standalone HTML file")
    return io.BytesIO(data)


def heatmap_panel(state: VariantsState) -> pn.Column:
    row = pn.FlexBox(sizing_mode="stretch_width")

    def draw(*_):
        if not state.heatmaps:
            row.objects = [pn.pane.Markdown("Select at least one variant (and an item for this view).")]
            return
        row.objects = [pn.pane.HoloViews(plot, css_classes=["tt-heatmap"], margin=5) for plot in heatmap_plots(state)]

    state.param.watch(draw, "heatmaps")
    draw()
    return row


def layout(state: VariantsState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select.from_param(state.param.scenario, sizing_mode="stretch_width")
    pick = w.MultiChoice(name="Variants (2–4)", options=state.options, value=list(state.selected),
                         max_items=MAX_VARIANTS, sizing_mode="stretch_width", css_classes=["tt-pick"])
    state.param.watch(lambda e: setattr(pick, "options", e.new), "options")
    state.param.watch(lambda e: setattr(pick, "value", list(e.new)) if pick.value != e.new else None, "selected")
    pick.param.watch(lambda e: setattr(state, "selected", list(e.new)) if e.new != state.selected else None, "value")
    view = w.Select.from_param(state.param.view, name="View", sizing_mode="stretch_width",
                               css_classes=["tt-view"])
    key = w.Select.from_param(state.param.key, name="Item", sizing_mode="stretch_width")
    key.visible = state.view != "institution"
    state.param.watch(lambda e: setattr(key, "visible", e.new != "institution"), "view")

    notes = pn.pane.Alert(S.safe_md(state.notes), alert_type="warning", visible=bool(state.notes),
                          css_classes=["tt-variant-notes"], sizing_mode="stretch_width")
    state.param.watch(lambda e: notes.param.update(object=S.safe_md(e.new), visible=bool(e.new)), "notes")

    metrics = w.Tabulator(state.metrics, disabled=True, show_index=False, sizing_mode="stretch_width",
                          css_classes=["tt-metrics"], layout="fit_data_table", hidden_columns=["hard"])
    state.param.watch(lambda e: setattr(metrics, "value", e.new), "metrics")
    weights = w.Tabulator(state.weights, disabled=True, show_index=False, css_classes=["tt-weights"],
                          layout="fit_data_table")
    weights.style.apply(lambda row: ["font-weight: bold" if row["differs"] else ""] * len(row), axis=1)
    state.param.watch(lambda e: setattr(weights, "value", e.new), "weights")

    def _variant_select(p):
        sel = w.Select(name=p.label, options={state.label_of(i): i for i in p.objects}, value=getattr(state, p.name))

        def sync_opts(*_):
            sel.param.update(options={state.label_of(i): i for i in p.objects}, value=getattr(state, p.name))

        state.param.watch(sync_opts, [p.name, "options", "selected"])
        sel.param.watch(lambda e: setattr(state, p.name, e.new) if e.new != getattr(state, p.name) else None,
                        "value")
        return sel

    moves = w.Tabulator(state.moves, disabled=True, show_index=False, sizing_mode="stretch_width",
                        pagination="local", page_size=15, css_classes=["tt-moves"])
    moves_title = pn.pane.Markdown("")

    diff_costs = w.Tabulator(state.diff_costs, disabled=True, show_index=False, css_classes=["tt-diff-costs"],
                             layout="fit_data_table")
    history = w.Tabulator(state.history, disabled=True, show_index=False, sizing_mode="stretch_width",
                          pagination="local", page_size=10, css_classes=["tt-history"], layout="fit_data_table")
    state.param.watch(lambda e: setattr(history, "value", e.new), "history")

    def show_moves(*_):
        moves.value = state.moves
        diff_costs.value = state.diff_costs
        diff_costs.visible = not state.diff_costs.empty
        if state.diff_a is None or state.diff_b is None or state.diff_a == state.diff_b:
            moves_title.object = "Pick two different variants to list the lectures that moved."
        else:
            moves_title.object = f"**{S.safe(state.diff_summary)}**" if state.diff_summary else \
                f"**{len(state.moves)} lecture(s) moved** from #{state.diff_a} to #{state.diff_b}"

    state.param.watch(show_moves, ["moves", "diff_costs", "diff_summary"])
    show_moves()

    choose = w.Button(name="Mark as chosen", button_type="success", css_classes=["tt-choose"])
    choose.on_click(lambda _: state.choose())
    # roles that may not choose see no choose control (VariantsState.choose and the services refuse anyway)
    choosing = [pn.layout.Divider(), pn.pane.Markdown("**Chosen timetable**"),
                _variant_select(state.param.to_choose), choose] if S.can("choose_variant") else []
    save_html = S.Download(
        callback=lambda: standalone(state),
        filename=f"{services.file_stem(state.scenario or 'variants')}-comparison.html",
        label="Save view as HTML",
        button_type="primary",
        button_style="outline",
        css_classes=["tt-save-html"],
        sizing_mode="stretch_width",
    )
    share = S.share_link(lambda: {"scenario": state.scenario or "", "variants": ",".join(map(str, state.selected)),
                                  "view": state.view, "key": state.key or ""},
                         depends=[(state, ["scenario", "selected", "view", "key"])])

    curriculum_main = pn.Column(
        notes,
        pn.pane.Markdown("### Occupancy (lectures per period)"), heatmap_panel(state),
        pn.pane.Markdown("### Cost per constraint"), metrics,
        pn.pane.Markdown("### Weights each variant was optimised for (bold: they differ)"), weights,
        pn.pane.Markdown("### Lectures moved"),
        pn.Row(_variant_select(state.param.diff_a), _variant_select(state.param.diff_b)), moves_title, moves,
        pn.pane.Markdown("Cost change per constraint (only those that changed):"), diff_costs,
        pn.pane.Markdown("### History (each variant with the one it was derived from)"), history,
        sizing_mode="stretch_width")
    # a class scenario: two variants compared by the competition's rules (ui/class_compare.py)
    class_main, class_side = CC.compare_panel(state.classes), CC.compare_sidebar(state.classes)
    curriculum_side = pn.Column(pick, view, key, sizing_mode="stretch_width", margin=0)
    share_box = pn.Column(pn.layout.Divider(), pn.pane.Markdown("**Share**"), save_html, share,
                          sizing_mode="stretch_width", margin=0)

    def kind_shown(*_):
        classes = state.kind == "classes"
        curriculum_main.visible = curriculum_side.visible = share_box.visible = not classes
        class_main.visible = class_side.visible = classes

    state.param.watch(kind_shown, "kind")
    kind_shown()
    main = [S.message_alerts(state.messages), curriculum_main, class_main]
    # the approval workflow of any variant of the scenario: only the buttons the user's role may use
    approval = WF.variant_workflow(WF.WorkflowState(state.studio, state.messages), state)
    sidebar = [scenario, curriculum_side, class_side, *choosing, pn.layout.Divider(), approval, share_box]
    return S.page("Compare variants", "variants", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        state = VariantsState(S.studio())
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Compare variants", "variants", exc)
    query = pn.state.location.query_params if pn.state.location else {}
    if query.get("scenario") in state.param.scenario.objects:
        state.scenario = query["scenario"]
    if query.get("view") in views.VIEWS:
        state.view = query["view"]
    if query.get("key") and query["key"] in state.param.key.objects:
        state.key = query["key"]
    wanted = [int(v) for v in str(query.get("variants", "")).split(",") if v.strip().isdigit()]
    if wanted and all(v in state.param.selected.objects for v in wanted):
        state.selected = wanted[:MAX_VARIANTS]
    return layout(state)


pn.extension("tabulator", notifications=True)
hv.extension("bokeh", logo=False)

if pn.state.served:
    app().servable()
