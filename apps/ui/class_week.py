"""The timetable app's week of a class-based scenario (real university data, ITC2019 style).

A class timetable is no grid of equal periods: classes of 50, 75 or 110 minutes meet on their own
days, in their own weeks. The Timetables app shows one room, course or student of a variant as a
week on a real clock: one column per day, each meeting a block whose top and height are its
start and length (:func:`tt_core.classes.views.week_html`), for the week picked among the weeks
the variant uses; the dates in the headings and in the iCal export count from the first day of
week 1, a setting. Downloads: the calendar of the item shown on real dates, and the whole variant
as an ITC2019 solution file. Everything goes through ``studio.class_variants`` and
``studio.files``.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import panel as pn
import param

from tt_core import services

from . import shared as S

WEEK_COLUMNS = ["day", "from", "to", "minutes", "course", "class", "subpart", "room"]


def _default_first_day() -> dt.date:
    from tt_core.classes.views import default_first_day

    return default_first_day()


class ClassWeekState(param.Parameterized):
    """The week shown of one room, course or student of a class variant, and its downloads.

    The scenario, variant, view and item are the Timetables app's (:meth:`show` is called when
    they change); the week and the first day of week 1 are this state's own.
    """

    week = param.Integer(None, allow_None=True, doc="the week shown, 0-based")
    week_options = param.Dict({}, doc="{label: week} of the weeks the variant uses")
    first_day = param.CalendarDate(None, allow_None=True, label="First day of week 1 (a Monday)")
    markup = param.String("", doc="the week drawn to scale (HTML)")
    table = param.DataFrame(pd.DataFrame(columns=WEEK_COLUMNS), doc="the week's meetings as a table")
    title = param.String("")

    def __init__(self, studio, messages: S.Messages, **params):
        self.studio = studio
        self.messages = messages
        self._shown: tuple = (None, None, None, None)  # scenario, variant, view, key
        self._label = ""  # the variant's label, for the title
        self._weeks: list[int] = []
        self._busy = False
        super().__init__(**params)
        if self.first_day is None:
            self.first_day = _default_first_day()

    def show(self, scenario: str, variant: int | None, view: str, key: str, label: str = "") -> None:
        """Show ``key`` of ``view`` in ``variant`` (the week picked stays when the variant uses it)."""
        before = self._shown
        self._shown = (scenario, variant, view, key)
        self._label = label or (f"#{variant}" if variant is not None else "")
        if variant is None:
            self._weeks = []
        elif before[:2] != (scenario, variant):
            self._weeks = self.studio.class_variants.weeks(scenario, variant)
        self._busy = True
        try:
            week = self.week if self.week in self._weeks else (self._weeks[0] if self._weeks else None)
            self.param.update(week_options=self._week_labels(), week=week)
        finally:
            self._busy = False
        self._draw()

    def _week_labels(self) -> dict[str, int]:
        first = self.first_day
        out = {}
        for w in self._weeks:
            monday = first + dt.timedelta(weeks=w)
            out[f"week {w + 1} · {monday:%d.%m.}–{monday + dt.timedelta(days=6):%d.%m.%Y}"] = w
        return out

    @param.depends("first_day", watch=True)
    @S.guarded
    def _first_day_changed(self) -> None:
        if self.first_day is not None and self.first_day.weekday() != 0:
            monday = self.first_day - dt.timedelta(days=self.first_day.weekday())
            self.messages.warn(f"week 1 begins on a Monday (the instance's first day): {monday:%Y-%m-%d}, the "
                               f"Monday of {self.first_day:%Y-%m-%d}'s week")
            self.first_day = monday  # runs this again
            return
        self.week_options = self._week_labels()
        self._draw()

    @param.depends("week", watch=True)
    def _week_changed(self) -> None:
        if not self._busy:
            self._draw()

    @S.guarded
    def _draw(self) -> None:
        from tt_core.classes.views import meetings_frame, week_html

        scenario, variant, view, key = self._shown
        if variant is None or not key:
            self.param.update(markup="", table=pd.DataFrame(columns=WEEK_COLUMNS),
                              title="No variant to show: import one of the scenario's solution .xml files in "
                                    "the Data app (or `tt import SOLUTION.xml --scenario NAME`)." if scenario else "")
            return
        problem = self.studio.data.class_problem(scenario)
        what = f"{view} {key}"
        if self.week is None:
            self.param.update(markup="", table=pd.DataFrame(columns=WEEK_COLUMNS),
                              title=f"{what} — {self._label}: no class of this variant has a time")
            return
        meetings = self.studio.class_variants.week(scenario, variant, view, key, self.week)
        monday = self.first_day + dt.timedelta(weeks=self.week)
        title = (f"{what} — {self._label} · week {self.week + 1} ({monday:%d.%m.%Y}) · "
                 f"{len(meetings)} meeting(s)")
        self.param.update(markup=week_html(problem, meetings, first_day=self.first_day, week=self.week),
                          table=meetings_frame(problem, meetings), title=title)

    # ------------------------------------------------------------------ downloads
    def download(self, fmt: str) -> io.BytesIO | None:
        """For a FileDownload callback: ``"ical"`` (the item shown, real dates) or ``"xml"`` (the
        variant as an ITC2019 solution); None with the reason in ``messages``."""
        scenario, variant, view, key = self._shown
        try:
            if variant is None:
                raise S.TimetableError("no variant to export")
            name, data = self.studio.files.export_class_timetable(scenario, variant, fmt, view, key,
                                                                  first_day=self.first_day)
        except Exception as exc:  # noqa: BLE001 - shown in the page
            self.messages.fail(exc)
            return None
        self.messages.ok(f"{name} downloaded")
        return io.BytesIO(data)

    def filename(self, fmt: str) -> str:
        scenario, variant, view, key = self._shown
        if fmt == "xml":
            return f"{services.file_stem(f'{scenario}-v{variant}')}.xml"
        return f"{services.file_stem(f'{scenario}-v{variant}-{view}-{key}')}.ics"


def week_panel(state: ClassWeekState) -> pn.Column:
    """The main area: title, the week drawn to scale, the week's meetings as a table."""
    title = pn.pane.Markdown("", css_classes=["tt-class-title"], sizing_mode="stretch_width")
    week = pn.pane.HTML("", css_classes=["tt-class-week"], sizing_mode="stretch_width")
    table = pn.widgets.Tabulator(state.table, disabled=True, show_index=False, sizing_mode="stretch_width",
                                 pagination="local", page_size=25, css_classes=["tt-class-meetings"],
                                 layout="fit_data_table")

    def draw(*_):
        title.object = f"### {S.safe_md(state.title)}" if state.title else ""
        week.object = state.markup
        table.value = state.table

    state.param.watch(draw, ["markup", "table", "title"])
    draw()
    return pn.Column(title, week, pn.pane.Markdown("**Meetings this week**"), table, sizing_mode="stretch_width")


def week_sidebar(state: ClassWeekState) -> pn.Column:
    """The week picker, the first day of week 1 and the downloads."""
    w = pn.widgets
    pick = w.Select(name="Week", options=state.week_options, value=state.week, sizing_mode="stretch_width",
                    css_classes=["tt-class-week-pick"])

    def from_state(*_):
        pick.param.update(options=state.week_options, value=state.week)

    state.param.watch(from_state, ["week", "week_options"])
    pick.param.watch(lambda e: setattr(state, "week", e.new) if e.new != state.week else None, "value")
    first = w.DatePicker.from_param(state.param.first_day, sizing_mode="stretch_width",
                                    css_classes=["tt-class-first-day"])
    downloads = []
    for fmt, label in (("ical", "iCal of this item (real dates)"), ("xml", "ITC2019 solution .xml")):
        d = S.Download(callback=lambda fmt=fmt: state.download(fmt), filename=state.filename(fmt),
                       label=f"Download {label}", button_type="primary", button_style="outline",
                       css_classes=[f"tt-class-download-{fmt}"], sizing_mode="stretch_width")
        state.param.watch(lambda _e, d=d, fmt=fmt: setattr(d, "filename", state.filename(fmt)), ["title"])
        downloads.append(d)
    return pn.Column(pick, first, pn.layout.Divider(), pn.pane.Markdown("**Export**"), *downloads,
                     sizing_mode="stretch_width", margin=0)
