"""The variants app's comparison of two timetables of a class-based scenario (real university data).

Two variants side by side: the four penalty sums of the competition's rules, each weighted, the
weighted total and the hard violations per kind (with the change from the first to the second);
every hard violation of either in words; and the classes whose time or room changed, from where
to where (``studio.class_variants.compare``).
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from . import shared as S


class ClassCompareState(param.Parameterized):
    """Which two variants of a class scenario are compared, and the comparison."""

    a = param.Selector(objects=[], allow_None=True, label="First variant")
    b = param.Selector(objects=[], allow_None=True, label="Second variant")
    options = param.Dict({}, doc="{label: id} of the scenario's variants, newest first")
    components = param.DataFrame(pd.DataFrame())
    violations = param.DataFrame(pd.DataFrame())
    moved = param.DataFrame(pd.DataFrame())
    summary = param.String("")

    def __init__(self, studio, messages: S.Messages, **params):
        self.studio = studio
        self.messages = messages
        self.scenario: str | None = None
        super().__init__(**params)

    def load(self, scenario: str) -> None:
        """List ``scenario``'s variants and compare the newest two (the older one first)."""
        self.scenario = scenario
        self.refresh()

    def refresh(self) -> None:
        """List the variants again (their labels show status and costs); keep the pair when it still exists."""
        options = self.studio.class_variants.options(self.scenario)
        ids = list(options.values())
        self.param.a.objects = self.param.b.objects = ids
        a = self.a if self.a in ids else (ids[1] if len(ids) > 1 else (ids[0] if ids else None))
        b = self.b if self.b in ids and self.b != a else next((i for i in ids if i != a), None)
        with param.parameterized.discard_events(self):  # one comparison below, not one per change
            self.param.update(a=a, b=b)
        self.options = options  # the pickers show the new list and pair
        self._compare()

    def label_of(self, vid) -> str:
        return next((k for k, v in self.options.items() if v == vid), f"#{vid}")

    @param.depends("a", "b", watch=True)
    @S.guarded
    def _compare(self) -> None:
        if self.scenario is None or self.a is None or self.b is None or self.a == self.b:
            self.param.update(components=pd.DataFrame(), violations=pd.DataFrame(), moved=pd.DataFrame(),
                              summary="Pick two different variants to compare." if self.scenario else "")
            return
        c = self.studio.class_variants.compare(self.scenario, self.a, self.b)
        self.param.update(components=c.components, violations=c.violations, moved=c.moved, summary=c.summary())


def compare_panel(state: ClassCompareState) -> pn.Column:
    """The main area: the summary, the components, the hard violations, the classes that moved."""
    w = pn.widgets
    summary = pn.pane.Markdown("", css_classes=["tt-class-summary"], sizing_mode="stretch_width")
    components = w.Tabulator(state.components, disabled=True, show_index=False, css_classes=["tt-class-components"],
                             layout="fit_data_table")
    violations = w.Tabulator(state.violations, disabled=True, show_index=False, sizing_mode="stretch_width",
                             pagination="local", page_size=15, css_classes=["tt-class-violations"])
    no_violations = pn.pane.Markdown("Neither variant breaks a hard constraint.", css_classes=["tt-class-valid"])
    moved = w.Tabulator(state.moved, disabled=True, show_index=False, sizing_mode="stretch_width",
                        pagination="local", page_size=20, css_classes=["tt-class-moved"])

    def show(*_):
        summary.object = f"**{S.safe_md(state.summary)}**" if state.summary else ""
        components.value = state.components
        violations.value = state.violations
        violations.visible = not state.violations.empty
        no_violations.visible = state.violations.empty and not state.components.empty
        moved.value = state.moved

    state.param.watch(show, ["components", "violations", "moved", "summary"])
    show()
    return pn.Column(
        summary, pn.pane.Markdown("### Cost components (penalty sums, weighted, hard violations per kind)"),
        components, pn.pane.Markdown("### Hard violations"), no_violations, violations,
        pn.pane.Markdown("### Classes moved (time or room changed)"), moved, sizing_mode="stretch_width")


def compare_sidebar(state: ClassCompareState) -> pn.Column:
    """Two pickers: the variant compared from, the variant compared to."""
    out = []
    for p, css in ((state.param.a, "tt-class-a"), (state.param.b, "tt-class-b")):
        sel = pn.widgets.Select(name=p.label, options={state.label_of(i): i for i in p.objects},
                                value=getattr(state, p.name), sizing_mode="stretch_width", css_classes=[css])

        def sync(*_, sel=sel, p=p):
            sel.param.update(options={state.label_of(i): i for i in p.objects}, value=getattr(state, p.name))

        state.param.watch(sync, [p.name, "options"])
        sel.param.watch(lambda e, p=p: setattr(state, p.name, e.new) if e.new != getattr(state, p.name) else None,
                        "value")
        out.append(sel)
    return pn.Column(*out, sizing_mode="stretch_width", margin=0)
