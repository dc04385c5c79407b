"""Timetables: the weekly grid of one curriculum, teacher, room, department or student (their own
week, from their enrolments) for a variant
(cells: course · room · teacher; unavailable periods shaded, lectures in a hard conflict marked),
with iCal, Excel and HTML downloads; manual edits of the variant with live cost feedback,
undo/redo and "where could this lecture go?", saved as a new variant; lectures pinned where they
are before a re-solve job starts from the variant; and heatmaps of the free teachers, rooms and
curricula per period (``ui/editing.py``). It opens on the scenario's published variant, on a view
that has items (a university without curricula opens on its teachers); with a "week of" date the
grid shows that week's substitutions.

A class-based scenario (real university data, ITC2019) shows one room, course or student of a
variant as a week on a real clock, classes of different lengths to scale, with a week picker, the
first day of week 1 for real dates, and iCal / ITC2019 solution downloads (``ui/class_week.py``).

The view lives in the URL (``?scenario=…&variant=…&view=teacher&key=T0001``), so a link opens
the same timetable.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from tt_core import services, views  # noqa: E402
from tt_core.solvers import DEFAULT_STRATEGY, STRATEGIES  # noqa: E402

from ui import class_week as CW  # noqa: E402
from ui import editing as E  # noqa: E402
from ui import shared as S  # noqa: E402

VIEWS = ("curriculum", "teacher", "room", "department", "student")
CLASS_VIEWS = ("room", "course", "student")  # of a class-based scenario
PLURAL = {"curriculum": "curricula", "teacher": "teachers", "room": "rooms", "department": "departments",
          "student": "students", "course": "courses"}
URL = {"scenario": "scenario", "variant": "variant", "view": "view", "key": "key"}


class TimetableState(param.Parameterized):
    """What is shown (scenario, variant, view, key: synced with the URL) and the grid itself."""

    scenario = param.String("")
    variant = param.Integer(None, allow_None=True)
    view = param.Selector(objects=list(dict.fromkeys(VIEWS + CLASS_VIEWS)), default="curriculum")
    key = param.String("")
    kind = param.Selector(objects=["curriculum", "classes"], default="curriculum",
                          doc="what the scenario shown holds: curricula (the grid) or classes (a week on a clock)")

    scenarios = param.List([])
    variant_options = param.Dict({}, doc="{label: id}")
    key_options = param.Dict({}, doc="{label: key}")
    grid = param.DataFrame(pd.DataFrame())
    title = param.String("")
    weeks = param.Integer(12, bounds=(1, 60), label="Teaching weeks (iCal)")
    start_date = param.CalendarDate(None, allow_None=True, label="Term start (iCal)")
    week = param.CalendarDate(None, allow_None=True, label="Week of (shows its substitutions)")
    pinned = param.List([], doc="lecture ids kept where they are when a re-solve starts from the variant")
    resolve_strategy = param.Selector(objects=sorted(STRATEGIES), default=DEFAULT_STRATEGY, label="Strategy")
    resolve_time_limit = param.Number(60.0, bounds=(1, 3600), label="Time limit (s)")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self._problem = None
        self._labels: dict[str, str] = {}
        self._timetable = None
        self._loaded: int | None = None  # the variant whose timetable _timetable is
        self._loaded_scenario: str | None = None  # the scenario _problem is (self.scenario may be set already)
        self._class_view: str | None = None  # the view of a class scenario last shown
        self._entries = None  # the grid's entries when they are not the timetable's own (a week's substitutions)
        self._variant_rows: list[dict] = []
        self._busy = False
        wanted = {k: params.pop(k) for k in list(URL) if k in params}
        super().__init__(**params)
        self.editor = E.EditorState(studio, self.messages)
        self.free = E.FreeState(self.messages)
        self.classes = CW.ClassWeekState(studio, self.messages)
        # an edit redraws at once; while apply() runs it draws once at its end (view and key settled)
        self.editor.param.watch(lambda _e: None if self._busy else self._draw(), "version")
        self.editor.param.watch(self._saved, "saved")
        self.scenarios = studio.data.scenarios()
        if not self.scenarios:
            self.messages.error = S.NO_SCENARIO
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
        if self.studio.data.is_class_scenario(scenario):
            self._apply_classes(scenario, variant, view, key, notes)
            return
        if self.kind != "curriculum":  # back from a class scenario: load everything again
            self._loaded_scenario, self.kind = None, "curriculum"
            if view is None and self.view not in VIEWS:  # a class view ("course"): the grid's first view
                self.view = "curriculum"
        # compare with the scenario loaded, not self.scenario: a widget or the URL has already set that
        if scenario != self._loaded_scenario or self._problem is None:
            self.pinned = []  # lecture ids of another scenario mean nothing here
            self._problem = self.studio.data.problem(scenario)
            self._loaded_scenario = scenario
            self._labels = self.studio.data.teacher_labels(scenario, self._problem)
            self._variant_rows = self.studio.variants.current_rows(scenario, self._problem)  # costs under the data now
            self.variant_options = {self.studio.variants.label(r): int(r["id"]) for r in reversed(self._variant_rows)}
            self._timetable = None
            if variant is None:
                variant = self._default_variant()
        elif variant is None:  # another view or item of the same scenario: keep the variant on screen
            variant = self.variant
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
        # compare with the variant loaded, not self.variant: a widget or the URL has already set that
        if variant != self._loaded or self._timetable is None:
            self._timetable = None
            self._loaded = variant
            if variant is not None:
                (v,) = self.studio.variants.load(self._problem, [variant])
                if not v.fits:
                    notes.append(f"variant #{variant} no longer fits the scenario (its data changed since)")
                else:
                    self._timetable = v.timetable
            # a fresh edit session on every variant shown (unsaved edits of the previous one are dropped)
            self.editor.load(
                scenario,
                self._problem,
                variant if self._timetable is not None else None,
                self._timetable,
                None if self._timetable is None else self.studio.variants.weights_of(v.info),
            )
        asked = view
        view = self.view if view is None else view
        if view not in VIEWS:
            notes.append(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
            view = "curriculum"
        keys = views.view_keys(self._problem, view)
        if not keys:  # e.g. a university without curricula: open on a view that has something to show
            other = next((v for v in VIEWS if views.view_keys(self._problem, v)), None)
            if view == "student":
                notes.append(f"scenario {scenario!r} has no students; import students and enrolments (Data app) "
                             "to see a student's week")
            elif asked is not None and other is not None:
                notes.append(f"scenario {scenario!r} has no {PLURAL[view]}; showing its {PLURAL[other]}")
            if other is not None:
                view, keys, key = other, views.view_keys(self._problem, other), None
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

    def _apply_classes(self, scenario, variant, view, key, notes: list[str]) -> None:
        """:meth:`_apply` for a class-based scenario: its variants, a room / course / student, and
        the week drawn by :attr:`classes` (:class:`ui.class_week.ClassWeekState`)."""
        cv = self.studio.class_variants
        if scenario != self._loaded_scenario or self.kind != "classes":
            self.pinned = []
            self._problem, self._timetable, self._loaded, self._entries = None, None, None, None
            self.editor.load(scenario, None, None, None, None)  # nothing to edit here
            self.free.show(None, None)
            self.grid = pd.DataFrame()
            self._loaded_scenario = scenario
            self.variant_options = cv.options(scenario)
            self.kind = "classes"
            if variant is None:
                variant = cv.default_variant(scenario)
        elif variant is None:
            variant = self.variant
        ids = list(self.variant_options.values())
        try:
            variant = None if variant is None else int(variant)
        except (TypeError, ValueError):
            notes.append(f"variant {variant!r} is not a number")
            variant = None
        if variant not in ids:
            if variant is not None:
                notes.append(f"scenario {scenario!r} has no variant #{variant}")
            variant = cv.default_variant(scenario)
        asked = view
        view = self.view if view is None else view
        if view not in CLASS_VIEWS:
            if asked is not None:
                notes.append(f"a class timetable is shown per room, course or student, not per {view}")
            view = "room"
        keys = cv.keys(scenario, view, variant)  # rooms: those the variant uses
        explicit_key = key is not None
        # another view: its first item (room "8" and course "8" are different things)
        key = (self.key if view == self._class_view else "") if key is None else str(key)
        if key not in keys:
            if explicit_key and key:
                notes.append(f"no {view} {key!r} in scenario {scenario!r}")
            key = keys[0] if keys else ""
        if not keys and view == "student":
            notes.append(f"scenario {scenario!r} has no students")
        self._class_view = view  # self.view is already the new one when a widget changed it
        self.param.update(scenario=scenario, variant=variant, view=view, key=key, key_options={k: k for k in keys})
        label = next((k for k, v in self.variant_options.items() if v == variant), f"#{variant}")
        self.classes.show(scenario, variant, view, key, label)
        self.title = self.classes.title
        if notes:
            self.messages.error = "; ".join(notes)
        elif self.messages.error:
            self.messages.clear()

    def view_options(self) -> list[str]:
        """The views of the scenario's kind."""
        return list(CLASS_VIEWS if self.kind == "classes" else VIEWS)

    def _default_variant(self) -> int | None:
        """The published variant of the scenario (what viewers, exports and share links show by
        default, :mod:`tt_core.workflow`), else the chosen one, else the newest."""
        published = [int(r["id"]) for r in self._variant_rows if r.get("status") == "published"]
        if published:
            return published[-1]
        chosen = [int(r["id"]) for r in self._variant_rows if r.get("chosen")]
        if chosen:
            return chosen[0]
        ids = list(self.variant_options.values())
        return ids[0] if ids else None

    def _saved(self, event) -> None:
        """An edited timetable was saved as a new variant: list it and show it."""
        if event.new is None:
            return
        self._variant_rows = self.studio.variants.current_rows(self.scenario, self._problem)
        self.variant_options = {self.studio.variants.label(r): int(r["id"]) for r in reversed(self._variant_rows)}
        self.variant = int(event.new)

    def grid_marks(self, picked: bool = True) -> views.GridMarks | None:
        """What the grid on screen marks (:func:`tt_core.views.grid_marks`): the periods the teacher
        shown, and with ``picked`` the course of the lecture picked for editing, cannot use; the
        lectures in a hard conflict; the pinned lectures."""
        shown = self.editor.timetable if self.editor.session is not None else self._timetable
        if self._problem is None or shown is None or not self.key:
            return None
        lecture = self.editor.lecture if picked else None
        course = None if lecture is None else int(self._problem.lecture_course[lecture])
        lectures = None if self._entries is None else sorted({e.lecture for e in self._entries if e.lecture >= 0})
        return views.grid_marks(self._problem, shown, self.view, self.key, course=course, lectures=lectures,
                                pinned=self.pinned)

    def grid_markup(self, picked: bool = True) -> str:
        """The grid on screen as HTML with lecture ids and periods, for the drag-and-drop grid."""
        shown = self.editor.timetable if self.editor.session is not None else self._timetable
        if shown is None or not self.key or self.grid.empty:
            return ""
        moved = self.editor.session.moved() if self.editor.session is not None else ()
        return E.grid_markup(self._problem, shown, self.view, self.key, self._labels, moved, entries=self._entries,
                             marks=self.grid_marks(picked))

    # ------------------------------------------------------------------ pins and re-solving
    def shown_lectures(self) -> list[int]:
        """The placed lectures of the view on screen (what "pin all shown" pins)."""
        if self._timetable is None or not self.key:
            return []
        tt = self._timetable
        return [int(x) for x in views.view_lectures(self._problem, tt, self.view, self.key)
                if tt.period[x] >= 0 and tt.room[x] >= 0]

    def pin(self, lectures) -> None:
        """Pin ``lectures`` (ids) too."""
        self.pinned = sorted(set(self.pinned) | {int(x) for x in lectures})

    def unpin(self, lectures) -> None:
        """Unpin ``lectures`` (ids)."""
        drop = {int(x) for x in lectures}
        self.pinned = [x for x in self.pinned if x not in drop]

    def set_view_pins(self, lectures) -> None:
        """Make ``lectures`` the pinned ones of the view on screen (a multi-choice of the view's
        lectures): the view's others are unpinned, pins in other views stay."""
        view = set(self.editor.lecture_options.values())
        keep = [x for x in self.pinned if x not in view]
        self.pinned = sorted(set(keep) | {int(x) for x in lectures})

    def pins_text(self) -> str:
        n = len(self.pinned)
        here = len(set(self.pinned) & set(self.editor.lecture_options.values()))
        if not n:
            return "No lecture pinned: pick lectures to keep where they are, then re-solve the rest."
        return f"{n} lecture(s) pinned ({here} in this view): a re-solve keeps them where they are."

    @S.guarded
    def resolve(self) -> int | None:
        """Start a job from the variant on screen that keeps the pinned lectures where they are and
        re-solves the others (:meth:`tt_core.services.jobs.JobService.resolve_pinned`)."""
        if self.variant is None or self._timetable is None:
            raise S.TimetableError("no variant to re-solve: pick one that fits the scenario")
        if self.editor.edited:
            raise S.TimetableError("the timetable on screen has unsaved edits: save it as a new variant first, "
                                   "then pin its lectures and re-solve from it")
        job = self.studio.jobs.resolve_pinned(self.scenario, self.variant, self.pinned,
                                              strategy=self.resolve_strategy,
                                              time_limit=float(self.resolve_time_limit), user=S.current_user())
        self.messages.ok(f"job {job} queued: re-solving variant #{self.variant} around {len(self.pinned)} pinned "
                         "lecture(s); follow it in the Generate app, its result is a new variant")
        return job

    def _draw(self) -> None:
        shown = self.editor.timetable if self.editor.session is not None else self._timetable
        self.free.show(self._problem, shown)
        if shown is None or not self.key:
            self.grid = pd.DataFrame()
            self.title = "No variant to show: generate one in the Generate app." if self.variant is None else ""
            self.editor.show_lectures([])
            return
        entries = None
        if self.week is not None and not self.editor.edited:  # that week's substitutions (dated overlays)
            entries = self.studio.substitutions.week_entries(
                self.scenario, self._problem, shown, self.variant, self.view, self.key, self.week, self._labels
            )
        self.grid = views.weekly_grid(self._problem, shown, self.view, self.key, self._labels, entries=entries)
        self._entries = entries
        self.editor.show_lectures(views.view_lectures(self._problem, shown, self.view, self.key))
        label = next((k for k, v in self.variant_options.items() if v == self.variant), f"#{self.variant}")
        self.title = f"{views.view_title(self.view, self.key, self._labels)} — {label}"
        if self.editor.edited:
            self.title += " · edited, not saved"
        elif entries is not None:
            self.title += f" · week of {self.week - dt.timedelta(days=self.week.weekday()):%Y-%m-%d}"

    @param.depends("week", watch=True)
    @S.guarded
    def _week_changed(self) -> None:
        if self._problem is not None and self.kind == "curriculum":
            self._draw()

    # ------------------------------------------------------------------ exports
    def export(self, fmt: str) -> tuple[str, bytes]:
        if self.variant is None:
            raise S.TimetableError("no variant to export")
        return self.studio.files.export_timetable(self.scenario, self.variant, fmt, self.view, self.key or None,
                                            start_date=self.start_date, weeks=int(self.weeks), week=self.week)

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


LONG_LIST = 150  # more items than this (a university's students, teachers or rooms): a search box


def _key_picker(state: TimetableState) -> pn.Column:
    """The item shown: a drop-down, or for a long list a search box that completes any part of a name
    (19,000 students in one drop-down can neither be sent quickly nor scrolled through)."""
    select = pn.widgets.Select(label="Show", sizing_mode="stretch_width", css_classes=["tt-key"])
    search = pn.widgets.AutocompleteInput(
        label="Show (type part of a name)", restrict=True, case_sensitive=False, search_strategy="includes",
        min_characters=2, placeholder="e.g. a surname or an id", sizing_mode="stretch_width",
        css_classes=["tt-key-search"])

    syncing = [False]

    def from_state(*_):
        options, key = state.key_options, state.key
        label = next((k for k, v in options.items() if v == key), "")
        syncing[0] = True
        try:  # only the widget on screen carries the options (the other one is emptied)
            if len(options) > LONG_LIST:
                select.param.update(visible=False, options={})
                search.param.update(visible=True, options=list(options))
                search.value = label
            else:
                search.param.update(visible=False, value="", options=[])
                select.param.update(visible=True, options=options, value=key)
        finally:
            syncing[0] = False

    def to_state(event):
        if syncing[0]:
            return
        key = state.key_options.get(event.new) if event.obj is search else event.new
        if key is not None and key != state.key:
            state.key = key

    state.param.watch(from_state, ["key", "key_options"])
    select.param.watch(to_state, "value")
    search.param.watch(to_state, "value")
    from_state()
    return pn.Column(select, search, sizing_mode="stretch_width", margin=0)


def _pin_panel(state: TimetableState) -> pn.Card:
    """Pick lectures to pin, then start a re-solve job from the variant that keeps them in place."""
    w = pn.widgets
    choice = w.MultiChoice(name="Pinned lectures of this view", options=state.editor.lecture_options,
                           sizing_mode="stretch_width", css_classes=["tt-pin-choice"])
    count = pn.pane.Markdown("", css_classes=["tt-pin-count"], sizing_mode="stretch_width")
    pin_all = w.Button(name="Pin every lecture shown", css_classes=["tt-pin-shown"])
    clear = w.Button(name="Unpin all", css_classes=["tt-pin-clear"])
    strategy = w.Select.from_param(state.param.resolve_strategy, width=160)
    limit = w.FloatInput.from_param(state.param.resolve_time_limit, start=1, end=3600, step=1, width=140)
    go = w.Button(name="Re-solve around the pins", button_type="primary", css_classes=["tt-resolve"], align="end")
    syncing = [False]

    def from_state(*_):
        options = state.editor.lecture_options
        syncing[0] = True
        try:
            choice.param.update(options=options, value=[x for x in state.pinned if x in options.values()])
        finally:
            syncing[0] = False
        count.object = S.safe(state.pins_text())
        go.disabled = not state.pinned

    choice.param.watch(lambda e: None if syncing[0] else state.set_view_pins(e.new), "value")
    pin_all.on_click(lambda _: state.pin(state.shown_lectures()))
    clear.on_click(lambda _: setattr(state, "pinned", []))
    go.on_click(lambda _: state.resolve())
    state.param.watch(from_state, "pinned")
    state.editor.param.watch(from_state, "lecture_options")
    from_state()
    return pn.Card(choice, pn.Row(pin_all, clear), count, pn.Row(strategy, limit, go), title="Pin and re-solve",
                   collapsed=True, sizing_mode="stretch_width", css_classes=["tt-pin-card"])


def layout(state: TimetableState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select(name="Scenario", options=state.scenarios, value=state.scenario or None,
                        sizing_mode="stretch_width")
    state.param.watch(lambda e: setattr(scenario, "value", e.new), "scenario")
    scenario.param.watch(lambda e: setattr(state, "scenario", e.new) if e.new != state.scenario else None, "value")
    variant = _select(state, "variant", "variant_options", "Variant", sizing_mode="stretch_width",
                      css_classes=["tt-variant"])
    # the views of the scenario's kind (a class scenario: room, course, student)
    view = w.Select(name="View", options=state.view_options(), value=state.view, sizing_mode="stretch_width",
                    css_classes=["tt-view"])

    def views_shown(*_):
        options = state.view_options()
        view.param.update(options=options, value=state.view if state.view in options else options[0])

    state.param.watch(views_shown, ["view", "kind"])
    view.param.watch(lambda e: setattr(state, "view", e.new) if e.new != state.view else None, "value")
    key = _key_picker(state)

    title = pn.pane.Markdown(f"### {S.safe_md(state.title)}", css_classes=["tt-title"])
    # the weekly grid; a lecture dragged onto another period is moved there (EditorState.move_to),
    # for roles that may edit (the others get neither drag nor the Edit card)
    grid = E.drag_grid(state.editor.move_to, draggable=state.editor.allowed)

    can_edit = S.can("choose_variant")

    def draw(*_):
        title.object = f"### {S.safe_md(state.title)}" if state.title else ""  # names are user data
        grid.markup = state.grid_markup(picked=can_edit)

    state.param.watch(draw, ["grid", "title", "pinned"])
    state.editor.param.watch(draw, "lecture")  # the picked lecture's course: its unavailable periods shaded
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

    editor = [pn.Card(E.editor_panel(state.editor, can_save=True), title="Edit", collapsed=False,
                      sizing_mode="stretch_width", css_classes=["tt-edit-card"])] if state.editor.allowed else []
    pins = [_pin_panel(state)] if S.can("run_jobs") else []
    tabs = pn.Tabs(("Timetable", pn.Column(grid, *editor, *pins, sizing_mode="stretch_width")),
                   ("Free resources", E.free_panel(state.free)), sizing_mode="stretch_width", dynamic=True,
                   css_classes=["tt-tabs"])
    # the heatmap is counted and drawn when its tab is opened, not with every page
    state.free.active = False
    tabs.param.watch(lambda e: setattr(state.free, "active", e.new == 1), "active")
    week = w.DatePicker.from_param(state.param.week, sizing_mode="stretch_width", css_classes=["tt-week"])
    # a curriculum scenario: the grid, editing and its exports; a class scenario: the week on a clock
    curriculum_main = pn.Column(title, tabs, sizing_mode="stretch_width")
    curriculum_side = pn.Column(week, pn.layout.Divider(), pn.pane.Markdown("**Export**"), *downloads, ical_opts,
                                sizing_mode="stretch_width", margin=0)
    class_main, class_side = CW.week_panel(state.classes), CW.week_sidebar(state.classes)

    def kind_shown(*_):
        classes = state.kind == "classes"
        curriculum_main.visible = curriculum_side.visible = not classes
        class_main.visible = class_side.visible = classes

    state.param.watch(kind_shown, "kind")
    kind_shown()
    main = [S.message_alerts(state.messages), curriculum_main, class_main]
    sidebar = [scenario, variant, view, key, curriculum_side, class_side, S.share_link()]
    return S.page("Timetables", "timetable", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        studio = S.studio()
        query = dict(pn.state.location.query_params) if pn.state.location else {}
        state = TimetableState(studio, **{k: query[v] for k, v in URL.items() if v in query})
        state.editor.allowed = S.can("choose_variant")  # the role, and never through a read-only link
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Timetables", "timetable", exc)
    if pn.state.location and state.scenarios:
        location = pn.state.location
        def from_link(bad: dict) -> None:
            # the URL's values arrive parsed: key=8 (a room or course id of real data) is a number
            texts = {k: str(v) if k in ("scenario", "view", "key") and v is not None else v for k, v in bad.items()}
            try:
                state.param.update(**texts)
            except Exception:  # noqa: BLE001 - named in the page
                state.messages.fail(S.TimetableError(f"cannot show {bad} from the link"))

        location.sync(state, URL, on_error=from_link)
        # write the whole view into the address once the page is up, so it can be copied as a link
        pn.state.onload(lambda: location.update_query(**{v: str(getattr(state, k)) for k, v in URL.items()
                                                          if getattr(state, k) not in (None, "")}))
    return layout(state)


pn.extension("tabulator", notifications=True)
E.hv.extension("bokeh", logo=False)

if pn.state.served:
    app().servable()
