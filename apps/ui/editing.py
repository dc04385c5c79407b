"""Manual editing and free-resource heatmaps for the timetable app (not served: ``apps/ui/``).

:class:`EditorState` is a thin param view over one :class:`~tt_core.editing.EditSession`: pick a
lecture, a period and a room, see at once what the move would change (delta evaluation), move,
undo, redo, ask where the lecture could go, and save the result as a new variant whose parent is
the edited one; only for roles that may change variants (``choose_variant``: planners and admins),
never through a read-only share link — everyone else sees the grid without the controls, and a
crafted edit is refused here and by the services. :class:`FreeState` draws how many teachers, rooms
or curricula are free per day and period of the timetable on screen. Neither holds any logic of its
own beyond wiring.
"""

from __future__ import annotations

import html

import holoviews as hv
import pandas as pd
import panel as pn
import param
from panel.custom import JSComponent

from tt_core import views
from tt_core.editing import EditSession, place_text

from . import shared as S

SUGGESTION_COLUMNS = ["place", "swap with", "hard", "soft", "what changes"]


class EditorState(param.Parameterized):
    """The edit session of the variant on screen, and what the edit controls show."""

    lecture = param.Integer(None, allow_None=True)
    period = param.Integer(None, allow_None=True)
    room = param.Integer(None, allow_None=True)
    lecture_options = param.Dict({}, doc="{label: lecture id} of the lectures in the view")
    period_options = param.Dict({}, doc="{label: period}")
    room_options = param.Dict({}, doc="{label: room}")
    preview = param.String("", doc="what the picked move would change")
    status = param.String("", doc="the current cost, and its change since the variant")
    violations = param.List([], doc="the hard violations now, in words")
    changes = param.DataFrame(pd.DataFrame(), doc="per-constraint change since the variant")
    suggestions = param.DataFrame(pd.DataFrame(columns=SUGGESTION_COLUMNS))
    can_undo = param.Boolean(False)
    can_redo = param.Boolean(False)
    edited = param.Boolean(False)
    new_name = param.String("", label="Save as (name)")
    version = param.Integer(0, doc="bumped whenever the timetable changes")
    saved = param.Integer(None, allow_None=True, doc="id of the variant saved last")
    allowed = param.Boolean(True, doc="the user may edit (move, undo, ask where, save as a variant)")

    def __init__(self, studio, messages: S.Messages, **params):
        self.studio = studio
        self.messages = messages
        self.session: EditSession | None = None
        self.scenario = ""
        self._found = []
        # the role decides (the app narrows it further for read-only share links)
        params.setdefault("allowed", studio.allowed("choose_variant"))
        super().__init__(**params)

    # ------------------------------------------------------------------ loading
    def load(self, scenario: str, problem, variant_id: int | None, timetable, weights) -> None:
        """Start a fresh session on the variant now shown (None: nothing to edit)."""
        self.scenario = scenario
        self.session = None if variant_id is None or timetable is None else \
            EditSession(problem, timetable, weights, source=int(variant_id))
        self.period_options = {} if problem is None else {lab: p for p, lab in enumerate(problem.period_labels)}
        self._found = []
        self.param.update(suggestions=pd.DataFrame(columns=SUGGESTION_COLUMNS), preview="", saved=None)
        self._refresh()

    @property
    def timetable(self):
        return None if self.session is None else self.session.timetable

    def show_lectures(self, ids) -> None:
        """Offer the lectures ``ids`` (those of the view on screen) in the lecture picker; the one
        picked stays picked when it is still offered, else the first is."""
        if self.session is None:
            self.param.update(lecture_options={}, lecture=None)
            return
        options = _lecture_labels(self.session, ids)
        keep = self.lecture if self.lecture in options.values() else next(iter(options.values()), None)
        unchanged = keep == self.lecture
        self.param.update(lecture_options=options, lecture=keep)
        if unchanged:  # no change event: show its (possibly new) place here
            self._picked()

    # ------------------------------------------------------------------ picking
    @param.depends("lecture", watch=True)
    def _picked(self) -> None:
        s = self.session
        if s is None or self.lecture is None:
            self.param.update(room_options={}, period=None, room=None, preview="")
            return
        p, r = s.placement(self.lecture)
        c = int(s.problem.lecture_course[self.lecture])
        rooms = {}
        for k, name in enumerate(s.problem.room_names):
            note = "" if s.problem.suitable[c, k] else ", unsuitable"
            rooms[f"{name} ({int(s.problem.room_capacity[k])} seats{note})"] = k
        self._found = []
        self.param.update(room_options=rooms, period=p if p >= 0 else None, room=r if r >= 0 else None,
                          suggestions=pd.DataFrame(columns=SUGGESTION_COLUMNS))
        self._preview()

    @param.depends("period", "room", watch=True)
    def _preview(self) -> None:
        s = self.session
        if s is None or self.lecture is None or self.period is None or self.room is None:
            self.preview = ""
            return
        if (self.period, self.room) == s.placement(self.lecture):
            self.preview = "Pick another period or room to see what moving the lecture there would change."
            return
        delta = s.preview_move(self.lecture, self.period, self.room)
        clashes = views.placement_conflicts(s.problem, s.timetable, self.lecture, self.period, self.room)
        self.preview = (f"Moving it to {place_text(s.problem, self.period, self.room)}: {delta.text()}"
                        + (f" — {'; '.join(clashes)}" if clashes else ""))

    # ------------------------------------------------------------------ edits
    def _need_session(self) -> EditSession:
        if not self.allowed:  # the controls are not shown; this refuses a crafted event (a drop, a click)
            raise S.TimetableError("this timetable is read-only here: moving lectures and saving variants is for "
                                   "planners and admins, and never through a read-only link")
        if self.session is None:
            raise S.TimetableError("no variant to edit: pick one that fits the scenario")
        return self.session

    @S.guarded
    def move(self) -> None:
        s = self._need_session()
        if self.lecture is None or self.period is None or self.room is None:
            raise S.TimetableError("pick a lecture, then the period and room to move it to")
        edit = s.move(self.lecture, self.period, self.room)
        self._done(f"moved {edit.text} ({edit.delta.text()})")

    @S.guarded
    def move_to(self, lecture: int, period: int) -> None:
        """Move ``lecture`` to ``period`` (a drop on the grid): into its own room when free, else into
        the room where the move costs least."""
        s = self._need_session()
        p0, r0 = s.placement(lecture)
        rooms = [x for x in s.suggest(lecture, n=10 ** 6, swaps=False) if x.period == period]
        if not rooms:
            raise S.TimetableError("the lecture does not fit there (it would run past the end of the day)")
        same = next((x for x in rooms if x.room == r0), None)
        best = same if same is not None and same.delta.hard <= rooms[0].delta.hard else rooms[0]
        edit = s.move(lecture, period, best.room)
        self.lecture = int(lecture)
        self._done(f"moved {edit.text} ({edit.delta.text()})")

    @S.guarded
    def undo(self) -> None:
        edit = self._need_session().undo()
        self._done(f"undone: {edit.text}")

    @S.guarded
    def redo(self) -> None:
        edit = self._need_session().redo()
        self._done(f"redone: {edit.text}")

    @S.guarded
    def suggest(self, n: int = 10) -> None:
        s = self._need_session()
        if self.lecture is None:
            raise S.TimetableError("pick a lecture to see where it could go")
        self._found = s.suggest(self.lecture, n=n)
        rows = []
        for x in self._found:
            rows.append({"place": place_text(s.problem, x.period, x.room),
                         "swap with": "" if x.other is None else _short(s, x.other),
                         "hard": x.delta.hard, "soft": x.delta.soft, "what changes": x.delta.text()})
        self.suggestions = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
        self.messages.ok(f"{len(rows)} best places for {_short(s, self.lecture)}, best first")

    @S.guarded
    def apply_suggestion(self, index: int) -> None:
        s = self._need_session()
        if not 0 <= index < len(self._found):
            raise S.TimetableError("pick one of the suggested places first")
        edit = s.apply(self._found[index])
        self._found = []
        self.suggestions = pd.DataFrame(columns=SUGGESTION_COLUMNS)
        self._done(f"{edit.text} ({edit.delta.text()})")

    @S.guarded
    def save(self) -> int | None:
        s = self._need_session()
        vid = self.studio.variants.save_edited(self.scenario, s, self.new_name, user=S.current_user())
        self.new_name = ""
        self.saved = vid  # the page switches to it
        self.messages.ok(f"saved as variant #{vid} (derived from #{s.source})")
        return vid

    def _done(self, text: str) -> None:
        self._refresh()
        self._picked()
        self.messages.ok(text)

    def _refresh(self) -> None:
        s = self.session
        if s is None:
            self.param.update(status="", violations=[], changes=pd.DataFrame(), can_undo=False, can_redo=False,
                              edited=False, version=self.version + 1)
            return
        rep, change = s.report(), s.change()
        n = len(s.history)
        status = f"hard violations {rep.hard_violations} · soft cost {rep.soft_cost:g}"
        if s.edited:
            status += (f" · since #{s.source}: hard {change.hard:+d}, soft {change.soft:+g} · "
                       f"{len(s.moved())} lecture(s) moved in {n} edit(s), not saved")
        rows = [{"constraint": name, "units": u, "cost": c} for name, u, c in change.changes()]
        # cost.explain walks every lecture in Python (seconds on a university): only when there is a hard one
        hard = [v.text for v in s.hard_violations()[:20]] if rep.hard_violations else []
        self.param.update(status=status, violations=hard,
                          changes=pd.DataFrame(rows, columns=["constraint", "units", "cost"]),
                          can_undo=s.can_undo, can_redo=s.can_redo, edited=s.edited, version=self.version + 1)


def _short(s: EditSession, lecture: int) -> str:
    pb = s.problem
    c = int(pb.lecture_course[lecture])
    return f"{pb.course_names[c]} #{int(lecture) - int(pb.course_lecture_ptr[c]) + 1}"


def _lecture_labels(s: EditSession, ids) -> dict[str, int]:
    tt = s.timetable
    return {f"{_short(s, l)} · {place_text(s.problem, int(tt.period[l]), int(tt.room[l]))}": int(l)
            for l in sorted(int(x) for x in ids)}


def _picker(state, value: str, options: str, name: str, **kw) -> pn.widgets.Select:
    sel = pn.widgets.Select(name=name, options=getattr(state, options), value=getattr(state, value), **kw)

    def from_state(*_):
        sel.param.update(options=getattr(state, options), value=getattr(state, value))

    state.param.watch(from_state, [value, options])
    sel.param.watch(lambda e: setattr(state, value, e.new) if e.new != getattr(state, value) else None, "value")
    return sel


def editor_panel(state: EditorState, can_save: bool) -> pn.Column:
    """The edit controls: pickers, preview, move / undo / redo, suggestions, cost and save."""
    w = pn.widgets
    lecture = _picker(state, "lecture", "lecture_options", "Lecture", css_classes=["tt-edit-lecture"], width=330)
    period = _picker(state, "period", "period_options", "Period", css_classes=["tt-edit-period"], width=160)
    room = _picker(state, "room", "room_options", "Room", css_classes=["tt-edit-room"], width=230)
    preview = pn.pane.Markdown("", css_classes=["tt-edit-preview"], sizing_mode="stretch_width")
    status = pn.pane.Markdown("", css_classes=["tt-edit-status"], sizing_mode="stretch_width")
    violations = pn.pane.Markdown("", css_classes=["tt-edit-violations"], sizing_mode="stretch_width")
    move = w.Button(name="Move", button_type="primary", css_classes=["tt-edit-move"], width=90)
    undo = w.Button(name="Undo", css_classes=["tt-edit-undo"], width=80)
    redo = w.Button(name="Redo", css_classes=["tt-edit-redo"], width=80)
    where = w.Button(name="Where could it go?", css_classes=["tt-edit-suggest"], width=160)
    move.on_click(lambda _: state.move())
    undo.on_click(lambda _: state.undo())
    redo.on_click(lambda _: state.redo())
    where.on_click(lambda _: state.suggest())
    found = w.Tabulator(state.suggestions, disabled=True, selectable=1, show_index=False, sizing_mode="stretch_width",
                        css_classes=["tt-edit-suggestions"], layout="fit_data_table")
    take = w.Button(name="Apply the selected place", css_classes=["tt-edit-apply"], disabled=True)
    found.param.watch(lambda e: setattr(take, "disabled", not e.new), "selection")
    take.on_click(lambda _: state.apply_suggestion(found.selection[0]) if found.selection else None)
    changes = w.Tabulator(state.changes, disabled=True, show_index=False, css_classes=["tt-edit-changes"],
                          layout="fit_data_table")
    name = w.TextInput.from_param(state.param.new_name, placeholder="edit of #…", width=230)
    save = w.Button(name="Save as new variant", button_type="success", css_classes=["tt-edit-save"],
                    disabled=True, visible=can_save)

    def show(*_):
        preview.object = S.safe(state.preview)
        status.object = S.safe(state.status)
        violations.object = ("**Hard violations now:**\n\n" + "\n".join(f"- {S.safe(v)}" for v in state.violations)
                             if state.violations else "")
        undo.disabled, redo.disabled = not state.can_undo, not state.can_redo
        save.disabled = not state.edited
        changes.value = state.changes
        changes.visible = not state.changes.empty
        found.value = state.suggestions
        found.visible = take.visible = not state.suggestions.empty

    state.param.watch(show, ["preview", "status", "violations", "can_undo", "can_redo", "edited", "changes",
                             "suggestions"])
    show()
    save.on_click(lambda _: state.save())
    hint = pn.pane.Markdown("Pick a lecture, a period and a room, or drag a lecture in the grid onto another "
                            "period (it keeps its room when that is free, else takes the room that costs least). "
                            "Nothing is stored until you save a new variant.", styles={"color": "#555"})
    return pn.Column(
        hint, status, violations,
        pn.Row(lecture, period, room), preview, pn.Row(move, undo, redo, where),
        found, take, changes, pn.Row(name, save), sizing_mode="stretch_width", css_classes=["tt-editor-panel"])


# ============================================================================ free resources
class FreeState(param.Parameterized):
    """How many teachers, rooms or curricula are free per day and period of a timetable."""

    kind = param.Selector(objects=list(views.FREE_KINDS), default="teachers", label="Free")
    frame = param.DataFrame(pd.DataFrame())
    active = param.Boolean(True, doc="drawn only while shown (the page sets it from its tab)")

    def __init__(self, messages: S.Messages, **params):
        self.messages = messages
        self._problem = None
        self._timetable = None
        super().__init__(**params)

    def show(self, problem, timetable) -> None:
        self._problem, self._timetable = problem, timetable
        self._draw()

    @param.depends("kind", "active", watch=True)
    @S.guarded
    def _draw(self) -> None:
        if not self.active:  # a whole university's free resources are counted when the tab opens
            return
        if self._problem is None or self._timetable is None:
            self.frame = pd.DataFrame()
            return
        self.frame = views.free_resources_frame(self._problem, self._timetable, self.kind)


def free_panel(state: FreeState) -> pn.Column:
    pane = pn.pane.HoloViews(None, css_classes=["tt-free-heatmap"], sizing_mode="stretch_width")

    def draw(*_):
        df = state.frame
        if df.empty:
            pane.object = None
            return
        days = list(dict.fromkeys(df["day"]))
        periods = list(dict.fromkeys(df["period"]))
        top = int(df["total"].iloc[0]) or 1
        plot = hv.HeatMap(df, ["day", "period"], ["free", "total", "names"]).opts(
            cmap="Greens", clim=(0, top), colorbar=True, tools=["hover"], height=380, responsive=True,
            invert_yaxis=True, xlabel="", ylabel="", toolbar=None, default_tools=[],
            title=f"free {state.kind} per period (of {top})")
        labels = hv.Labels(df, ["day", "period"], "free").opts(text_font_size="9pt", text_color="black")
        pane.object = (plot * labels).redim.values(day=days, period=periods)

    state.param.watch(draw, "frame")
    draw()
    kind = pn.widgets.RadioButtonGroup.from_param(state.param.kind, css_classes=["tt-free-kind"])
    return pn.Column(kind, pane, sizing_mode="stretch_width")


# ============================================================================ drag and drop
DRAG_CSS = """
table.tt-grid .tt-lecture[draggable=true] { cursor: grab; }
table.tt-grid .tt-lecture.tt-moved { background: #fff3cd; }
table.tt-grid td.tt-drop { outline: 2px dashed #0d6efd; outline-offset: -2px; background: #eef5ff; }
table.tt-grid td.tt-unavailable { background: repeating-linear-gradient(45deg, #eeeeee, #eeeeee 6px, #dcdcdc 6px,
  #dcdcdc 12px); }
table.tt-grid td.tt-undesired { background: #fbf3dc; }
table.tt-grid .tt-lecture.tt-violation { background: #fde2e4; border: 2px solid #dc3545; }
table.tt-grid .tt-lecture.tt-pinned::before { content: "\\1F4CC "; }
"""


class DragGrid(JSComponent):
    """The weekly grid (as :func:`grid_markup` draws it) whose lectures can be dragged onto another
    period; a drop sets :attr:`drop` to ``"lecture:period:nonce"`` for Python to act on."""

    markup = param.String("", doc="the grid's HTML (escaped names, data-lecture / data-period attributes)")
    drop = param.String("", doc="the last drop, 'lecture:period:nonce'")
    draggable = param.Boolean(True, doc="lectures can be dragged (False: a read-only grid)")

    _esm = """
    export function render({ model, el }) {
      const box = document.createElement('div');
      function wire() {
        if (!model.draggable) { return; }
        box.querySelectorAll('.tt-lecture[data-lecture]').forEach((s) => {
          s.setAttribute('draggable', 'true');
          s.addEventListener('dragstart', (e) => { e.dataTransfer.setData('text/plain', s.dataset.lecture); });
        });
        box.querySelectorAll('td[data-period]').forEach((td) => {
          td.addEventListener('dragover', (e) => { e.preventDefault(); td.classList.add('tt-drop'); });
          td.addEventListener('dragleave', () => td.classList.remove('tt-drop'));
          td.addEventListener('drop', (e) => {
            e.preventDefault();
            td.classList.remove('tt-drop');
            const lecture = e.dataTransfer.getData('text/plain');
            if (lecture !== '') { model.drop = `${lecture}:${td.dataset.period}:${Date.now()}`; }
          });
        });
      }
      function draw() { box.innerHTML = model.markup; wire(); }
      model.on(['markup', 'draggable'], draw);
      draw();
      return box;
    }
    """


def grid_markup(problem, timetable, view: str, key: str | None, teacher_labels=None, moved=(),
                entries=None, marks: views.GridMarks | None = None) -> str:
    """The weekly grid of ``views.weekly_grid`` as HTML for :class:`DragGrid`: each cell knows its
    period (``data-period``), each lecture its id (``data-lecture``, on its first period only);
    lectures moved in this session are marked ``tt-moved``. ``entries`` replaces the view's own
    (``views.weekly_entries``), as for ``weekly_grid``. ``marks`` (:func:`tt_core.views.grid_marks`)
    shades unavailable (``tt-unavailable``) and undesired (``tt-undesired``) cells and marks lectures
    in a hard conflict (``tt-violation``) and pinned ones (``tt-pinned``), each with a tooltip."""
    days, slots = views.day_names(problem), views.slot_names(problem)
    ppd = problem.periods_per_day
    cells: list[list[list[str]]] = [[[] for _ in days] for _ in slots]
    moved = {int(x) for x in moved}
    if entries is None:
        entries = views.weekly_entries(problem, timetable, view, key, teacher_labels)
    for e in entries:
        for k in range(e.length):
            s = e.slot + k
            if s >= ppd:
                break
            cls = "tt-lecture" + (" tt-moved" if e.lecture in moved else "")
            attr = f" data-lecture='{e.lecture}'" if k == 0 else ""
            if marks is not None:
                found = marks.conflicts.get(e.lecture)
                cls += (" tt-violation" if found else "") + (" tt-pinned" if k == 0 and e.lecture in marks.pinned
                                                             else "")
                if found:
                    attr += f" title='{html.escape('; '.join(found), quote=True)}'"
            text = html.escape(e.text if k == 0 else f"{e.text} (cont.)")
            cells[s][e.day].append(f"<span class='{cls}'{attr}>{text}</span>")
    head = "".join(f"<th>{html.escape(d)}</th>" for d in days)
    rows = []

    def td(q: int, inner: str) -> str:
        if marks is None or not (marks.unavailable[q] or marks.undesired[q]):
            return f"<td data-period='{q}'>{inner}</td>"
        cls = "tt-unavailable" if marks.unavailable[q] else "tt-undesired"
        tip = html.escape(marks.why.get(q, ""), quote=True)
        return f"<td data-period='{q}' class='{cls}' title='{tip}'>{inner}</td>"

    for s, name in enumerate(slots):
        tds = "".join(td(d * ppd + s, "".join(cells[s][d])) for d in range(len(days)))
        rows.append(f"<tr><th>{html.escape(name)}</th>{tds}</tr>")
    return f"<table class='tt-grid'><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def drag_grid(on_drop, draggable: bool = True) -> DragGrid:
    """A :class:`DragGrid` calling ``on_drop(lecture, period)`` for every drop (``draggable=False``:
    nothing can be dragged; ``on_drop`` must still refuse what the user may not do)."""
    grid = DragGrid(sizing_mode="stretch_width", css_classes=["tt-grid-pane"], draggable=draggable,
                    stylesheets=[views.GRID_CSS, DRAG_CSS])

    def dropped(event):
        try:
            lecture, period, _nonce = (int(x) for x in event.new.split(":"))
        except ValueError:
            return
        on_drop(lecture, period)

    grid.param.watch(dropped, "drop")
    return grid
