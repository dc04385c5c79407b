"""Timetables: the weekly grid of one curriculum, teacher, room or department for a variant
(cells: course · room · teacher), with iCal, Excel and HTML downloads.

The view lives in the URL (``?scenario=…&variant=…&view=teacher&key=T0001``), so a link opens
the same timetable.
"""

from __future__ import annotations

import io
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

import _shared as S  # noqa: E402
from tt_core import services  # noqa: E402

VIEWS = ("curriculum", "teacher", "room", "department")
URL = {"scenario": "scenario", "variant": "variant", "view": "view", "key": "key"}


class TimetableState(param.Parameterized):
    """What is shown (scenario, variant, view, key: synced with the URL) and the grid itself."""

    scenario = param.String("")
    variant = param.Integer(None, allow_None=True)
    view = param.Selector(objects=list(VIEWS), default="curriculum")
    key = param.String("")

    scenarios = param.List([])
    variant_options = param.Dict({}, doc="{label: id}")
    key_options = param.Dict({}, doc="{label: key}")
    grid = param.DataFrame(pd.DataFrame())
    title = param.String("")
    weeks = param.Integer(12, bounds=(1, 60), label="Teaching weeks (iCal)")
    start_date = param.CalendarDate(None, allow_None=True, label="Term start (iCal)")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self._problem = None
        self._labels: dict[str, str] = {}
        self._timetable = None
        self._variant_rows: list[dict] = []
        self._busy = False
        wanted = {k: params.pop(k) for k in list(URL) if k in params}
        super().__init__(**params)
        self.scenarios = studio.scenarios()
        if not self.scenarios:
            self.messages.error = "The database has no scenario yet: import one in the Data app."
            return
        self.apply(**wanted)
        self.param.watch(self._changed, list(URL))

    # ------------------------------------------------------------------ state
    def _changed(self, *events) -> None:
        if self._busy:
            return
        self.apply(**{e.name: e.new for e in events})

    @S.guarded
    def apply(self, scenario=None, variant=None, view=None, key=None) -> None:
        """Show another scenario / variant / view / item; an unknown value falls back with a message."""
        self._busy = True
        try:
            self._apply(scenario, variant, view, key)
        finally:
            self._busy = False

    def _apply(self, scenario, variant, view, key) -> None:
        notes = []
        scenario = self.scenario if scenario is None else str(scenario)
        if scenario not in self.scenarios:
            if scenario:
                notes.append(f"no scenario {scenario!r}; showing {self.scenarios[0]!r}")
            scenario = self.scenarios[0]
        if scenario != self.scenario or self._problem is None:
            self._problem = self.studio.problem(scenario)
            self._labels = self.studio.teacher_labels(scenario, self._problem)
            self._variant_rows = self.studio.variants(scenario)
            self.variant_options = {self.studio.variant_label(r): int(r["id"]) for r in reversed(self._variant_rows)}
            self._timetable = None
            if variant is None:
                variant = self._default_variant()
        ids = list(self.variant_options.values())
        if variant is not None:
            try:
                variant = int(variant)
            except (TypeError, ValueError):
                notes.append(f"variant {variant!r} is not a number")
                variant = None
        if variant not in ids:
            if variant is not None:
                notes.append(f"scenario {scenario!r} has no variant #{variant}")
            variant = self._default_variant()
        if variant != self.variant or self._timetable is None:
            self._timetable = None
            if variant is not None:
                (v,) = self.studio.load_variants(self._problem, [variant])
                if not v.fits:
                    notes.append(f"variant #{variant} no longer fits the scenario (its data changed since)")
                else:
                    self._timetable = v.timetable
        view = self.view if view is None else view
        if view not in VIEWS:
            notes.append(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
            view = "curriculum"
        keys = services.view_keys(self._problem, view)
        labels = {(self._labels.get(k, k) if view == "teacher" else k): k for k in keys}
        explicit_key = key is not None
        key = self.key if key is None else str(key)
        if key not in keys:
            if explicit_key and key:
                notes.append(f"no {view} {key!r} in scenario {scenario!r}")
            key = keys[0] if keys else ""
        self.param.update(scenario=scenario, variant=variant, view=view, key=key, key_options=labels)
        self._draw()
        if notes:
            self.messages.error = "; ".join(notes)
        elif self.messages.error:
            self.messages.clear()

    def _default_variant(self) -> int | None:
        """The chosen variant of the scenario, else the newest."""
        chosen = [int(r["id"]) for r in self._variant_rows if r.get("chosen")]
        if chosen:
            return chosen[0]
        ids = list(self.variant_options.values())
        return ids[0] if ids else None

    def _draw(self) -> None:
        if self._timetable is None or not self.key:
            self.grid = pd.DataFrame()
            self.title = "No variant to show: generate one in the Generate app." if self.variant is None else ""
            return
        self.grid = services.weekly_grid(self._problem, self._timetable, self.view, self.key, self._labels)
        label = next((k for k, v in self.variant_options.items() if v == self.variant), f"#{self.variant}")
        self.title = f"{services.view_title(self.view, self.key, self._labels)} — {label}"

    # ------------------------------------------------------------------ exports
    def export(self, fmt: str) -> tuple[str, bytes]:
        if self.variant is None:
            raise S.TimetableError("no variant to export")
        return self.studio.export_timetable(self.scenario, self.variant, fmt, self.view, self.key or None,
                                            start_date=self.start_date, weeks=int(self.weeks))

    def download(self, fmt: str) -> io.BytesIO | None:
        """For a FileDownload callback: the file, or None with the reason in ``messages``."""
        try:
            name, data = self.export(fmt)
        except Exception as exc:  # noqa: BLE001
            self.messages.fail(exc)
            return None
        self.messages.ok(f"{name} downloaded")
        return io.BytesIO(data)

    def filename(self, fmt: str) -> str:
        ext = {"ical": "ics", "xlsx": "xlsx", "html": "html"}[fmt]
        stem = services.file_stem(f"{self.scenario}-v{self.variant}" + (f"-{self.view}-{self.key}" if self.key else ""))
        return f"{stem}.{ext}"


# ============================================================================ view
def _select(state: TimetableState, value: str, options: str, name: str, **kw) -> pn.widgets.Select:
    """A Select showing ``state.<options>`` (a {label: value} dict) bound both ways to ``state.<value>``."""
    sel = pn.widgets.Select(name=name, options=getattr(state, options), value=getattr(state, value), **kw)

    def from_state(*_):
        sel.param.update(options=getattr(state, options), value=getattr(state, value))

    state.param.watch(from_state, [value, options])
    sel.param.watch(lambda e: setattr(state, value, e.new) if e.new != getattr(state, value) else None, "value")
    return sel


def layout(state: TimetableState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select(name="Scenario", options=state.scenarios, value=state.scenario or None,
                        sizing_mode="stretch_width")
    state.param.watch(lambda e: setattr(scenario, "value", e.new), "scenario")
    scenario.param.watch(lambda e: setattr(state, "scenario", e.new) if e.new != state.scenario else None, "value")
    variant = _select(state, "variant", "variant_options", "Variant", sizing_mode="stretch_width",
                      css_classes=["tt-variant"])
    view = w.Select.from_param(state.param.view, name="View", sizing_mode="stretch_width",
                               css_classes=["tt-view"])
    key = _select(state, "key", "key_options", "Show", sizing_mode="stretch_width", css_classes=["tt-key"])

    title = pn.pane.Markdown(f"### {state.title}", css_classes=["tt-title"])
    grid = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["tt-grid-pane"],
                        stylesheets=[services.GRID_CSS])

    def draw(*_):
        title.object = f"### {state.title}" if state.title else ""
        grid.object = services.grid_html(state.grid) if not state.grid.empty else ""

    state.param.watch(draw, ["grid", "title"])
    draw()

    downloads = []
    for fmt, label in (("ical", "iCal"), ("xlsx", "Excel"), ("html", "HTML")):
        d = S.Download(callback=lambda fmt=fmt: state.download(fmt), filename=state.filename(fmt),
                           label=f"Download {label}", button_type="primary", button_style="outline",
                           css_classes=[f"tt-download-{fmt}"], sizing_mode="stretch_width")
        state.param.watch(lambda _e, d=d, fmt=fmt: setattr(d, "filename", state.filename(fmt)),
                          ["scenario", "variant", "view", "key"])
        downloads.append(d)
    ical_opts = pn.Param(state, parameters=["start_date", "weeks"], show_name=False,
                         widgets={"start_date": w.DatePicker, "weeks": w.IntInput}, sizing_mode="stretch_width")

    main = [S.message_alerts(state.messages), title, grid]
    sidebar = [scenario, variant, view, key, pn.layout.Divider(),
               pn.pane.Markdown("**Export**"), *downloads, ical_opts]
    return S.page("Timetables", "timetable", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        studio = S.studio()
        query = dict(pn.state.location.query_params) if pn.state.location else {}
        state = TimetableState(studio, **{k: query[v] for k, v in URL.items() if v in query})
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Timetables", "timetable", exc)
    if pn.state.location and state.scenarios:
        location = pn.state.location
        location.sync(state, URL, on_error=lambda bad: state.messages.fail(
            S.TimetableError(f"cannot show {bad} from the link")))
        # write the whole view into the address once the page is up, so it can be copied as a link
        pn.state.onload(lambda: location.update_query(**{v: str(getattr(state, k)) for k, v in URL.items()
                                                          if getattr(state, k) not in (None, "")}))
    return layout(state)


pn.extension(notifications=True)

if pn.state.served:
    app().servable()
