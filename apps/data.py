"""Data: edit a scenario's departments, curricula, courses, teachers, rooms, time grid and
unavailability in tables (search any table; add and delete rows); look up its students and
enrolments; import scenarios (ITC2007 .ctt, ITC2019 .xml, Excel workbook, a zip of CSV tables or
the CSV files themselves), export them, delete a scenario.

A class-based scenario (an ITC2019 instance: real university data) shows its own tables, read-only
and searchable: courses with their configs, subparts and classes, rooms, distributions, students
(:data:`tt_core.services.CLASS_TABLES`).

Every change goes through :attr:`tt_core.services.Studio.data` (``edit_cell``, ``add_row``,
``delete_rows``, ``delete_scenario``): a value the store, the problem model or ``tt check``'s entry
rules refuse is not saved, the table shows the stored value again and the reason appears above it.
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

from tt_core import services  # noqa: E402
from tt_core.services.editable import folded, search_rows  # noqa: E402

from ui import shared as S  # noqa: E402

REFS = {"teacher": "teachers", "department": "departments", "building": "buildings", "course": "courses",
        "curriculum": "curricula"}


class DataState(param.Parameterized):
    """The scenario and table being edited, the rows the search finds, the import form and the
    deletion of a scenario."""

    scenario = param.Selector(objects=[])
    table = param.Selector(objects=list(services.TABLES) + list(services.CLASS_TABLES), default="rooms")
    kind = param.Selector(objects=["curriculum", "classes"], default="curriculum",
                          doc="what the scenario holds: curricula (editable tables) or classes (ITC2019, read-only)")
    search = param.String("", doc="words (or column:value) every row shown contains")
    frame = param.DataFrame(pd.DataFrame(), doc="the rows shown: the table's rows the search finds")
    total = param.Integer(0, doc="rows of the table before the search")
    choices = param.Dict({}, doc="names offered for reference columns: {column: [names]}")
    periods = param.Dict({}, doc="{label: period} of the scenario's time grid")
    import_name = param.String("", label="New scenario name")
    editable = param.Boolean(True)

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self._rows = pd.DataFrame()   # the whole table
        self._folded: dict = {}       # its cells as folded text, for the search
        super().__init__(**params)
        self.refresh_scenarios()

    @property
    def spec(self) -> services.TableSpec:
        return services.TABLES.get(self.table) or services.CLASS_TABLES[self.table]

    def table_options(self) -> dict[str, str]:
        """``{title: entity}`` of the tables of the scenario's kind."""
        tables = services.CLASS_TABLES if self.kind == "classes" else services.TABLES
        return {s.title: e for e, s in tables.items()}

    @S.guarded
    def refresh_scenarios(self, select: str | None = None) -> None:
        names = self.studio.data.scenarios()
        self.param.scenario.objects = names
        target = select if select in names else (self.scenario if self.scenario in names else
                                                  (names[0] if names else None))
        if not names:
            self.messages.error = "The database has no scenario yet: import one below."
        if target != self.scenario:
            self.scenario = target
        else:
            self.reload()

    @param.depends("scenario", "table", watch=True)
    @S.guarded
    def reload(self) -> None:
        """Read the table again from the store (after every edit, so the view shows what is stored)."""
        if not self.scenario:
            self._rows, self._folded = pd.DataFrame(), {}
            self.param.update(frame=pd.DataFrame(), total=0)
            return
        classes = self.studio.data.is_class_scenario(self.scenario)
        self.kind = "classes" if classes else "curriculum"
        if classes != (self.table in services.CLASS_TABLES):  # the other kind's table: this kind's first one
            self.table = "class_courses" if classes else "rooms"  # (its watcher reloads)
            return
        if classes:
            self.choices = {}
            self._rows = self.studio.data.class_table(self.scenario, self.table)
            self._folded = folded(self._rows)
            self._filter()
            return
        spec = self.spec
        choices = {}
        if not spec.read_only:
            for col in spec.columns:
                if col.name in REFS:
                    choices[col.name] = self.studio.data.names(self.scenario, REFS[col.name])
        if "period" in spec.new_row_columns:
            grid = self.studio.data.table(self.scenario, "time_grid")
            self.periods = {f"{p} · {lab}": int(p) for p, lab in zip(grid["period"], grid["label"])}
        self.choices = choices
        self._rows = self.studio.data.table(self.scenario, self.table)
        self._folded = folded(self._rows)
        self._filter()

    @param.depends("search", watch=True)
    @S.guarded
    def _filter(self) -> None:
        """Show the rows the search finds (numbered 0.. so a table row is a position in ``frame``)."""
        found = search_rows(self._rows, self.search, self._folded)
        self.param.update(frame=found.reset_index(drop=True), total=len(self._rows))

    def count_text(self) -> str:
        """``"2,533 courses"``, or ``"12 of 2,533 courses match"`` while searching."""
        what = self.spec.title.lower()
        if len(self.frame) == self.total:
            return f"{self.total:,} {what}"
        return f"{len(self.frame):,} of {self.total:,} {what} match"

    def key_of(self, row: int, column: str | None = None, old=None):
        """The store key of a displayed row; ``old`` is the cell's previous value when ``column``
        (a key column) was just edited."""
        values = []
        for k in self.spec.key:
            values.append(old if k == column else self.frame.iloc[row][k])
        values = [int(v) if k == "period" else v for k, v in zip(self.spec.key, values)]
        return values[0] if len(values) == 1 else tuple(values)

    @S.guarded
    def edit(self, row: int, column: str, old, value) -> None:
        """Save one edited cell; on refusal the reason is shown and the stored value comes back."""
        try:
            if not self.editable:
                raise S.TimetableError("your role may look at the data but not change it")
            key = self.key_of(row, column, old)
            self.messages.ok(self.studio.data.edit_cell(self.scenario, self.table, key, column, value,
                                                   user=S.current_user()))
        finally:
            self.reload()

    @S.guarded
    def add(self, values: dict) -> bool:
        """Add a row from the form's ``values`` ({column: typed value}); True when it was saved."""
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not change it")
        self.messages.ok(self.studio.data.add_row(self.scenario, self.table, values, user=S.current_user()))
        self.reload()
        return True

    @S.guarded
    def delete(self, rows: list[int]) -> None:
        """Delete the rows at positions ``rows`` of the table shown (all or none, one transaction)."""
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not change it")
        if not rows:
            raise S.TimetableError("tick the rows to delete first")
        keys = [self.key_of(r) for r in rows]
        try:
            self.messages.ok(self.studio.data.delete_rows(self.scenario, self.table, keys, user=S.current_user()))
        finally:
            self.reload()

    def scenario_summary(self) -> str:
        """What deleting the scenario would remove, in words (for the confirmation)."""
        try:
            x = self.studio.data.scenario_summary(self.scenario)
        except Exception as exc:  # noqa: BLE001
            return S.message_of(exc)
        sizes = f"{x['courses']:,} courses" + (f", {x['classes']:,} classes" if "classes" in x else "")
        text = (f"Deleting scenario **{S.safe_md(x['name'])}** removes its data ({sizes}), "
                f"{x['variants']} variant(s) and {x['jobs']} job(s) for good")
        if x["published"]:
            text += ", including its published timetable"
        text += "."
        if x["active"]:
            text += f" It has {x['active']} queued or running job(s): cancel them in Generate first."
        return text + " Type its name to confirm."

    @S.guarded
    def delete_scenario(self, confirm: str) -> bool:
        """Delete the scenario shown; ``confirm`` must repeat its name. True when it was deleted."""
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not delete it")
        if not self.scenario:
            raise S.TimetableError("no scenario to delete")
        done = self.studio.data.delete_scenario(self.scenario, confirm, user=S.current_user())
        self.refresh_scenarios()
        self.messages.ok(done)
        return True

    @S.guarded
    def import_upload(self, filename, data) -> str | None:
        """Import an upload: one file (``filename``, ``data``) or several (two lists, as a
        multi-file input gives them: the CSV tables of one scenario)."""
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not import it")
        names = list(filename) if isinstance(filename, (list, tuple)) else [filename]
        blobs = list(data) if isinstance(data, (list, tuple)) else [data]
        if not any(blobs):
            raise S.TimetableError("choose a .ctt, .xml, .xlsx or .zip file, or the .csv tables, to import first")
        files = dict(zip([n or "" for n in names], blobs))
        first = os.path.basename(names[0] or "")
        if len(files) == 1 and first.lower().endswith(".xml") and b"<solution" in (blobs[0] or b"")[:65536] \
                and b"<problem" not in (blobs[0] or b"")[:65536]:
            return self._import_solution(first, blobs[0])
        default = (os.path.splitext(first)[0] if len(files) == 1 else
                   next((os.path.basename(os.path.dirname(n or "")) for n in names if os.path.dirname(n or "")), "")
                   or "imported tables")
        name = self.import_name.strip() or default
        name = self.studio.files.import_files(files, name, user=S.current_user())
        self.refresh_scenarios(select=name)
        self.import_name = ""
        shown = first if len(files) == 1 else f"{len(files)} CSV files"
        self.messages.ok(f"imported {shown} as scenario {name!r}")
        return name

    def _import_solution(self, filename: str, data: bytes) -> str | None:
        """An ITC2019 solution becomes a variant of the class scenario shown (import its instance first)."""
        if not self.scenario or self.kind != "classes":
            raise S.TimetableError(f"{filename} is an ITC2019 solution: select the class scenario it solves (import "
                                   "its instance .xml first), then import the solution")
        vid = self.studio.files.import_class_solution(self.scenario, filename, data, self.import_name,
                                                      user=S.current_user())
        self.import_name = ""
        report = self.studio.class_variants.report(self.scenario, vid)
        self.messages.ok(f"imported {filename} as variant #{vid} of scenario {self.scenario!r}: "
                         f"total {report.total:,}, {report.hard_violations} hard violation(s); see it in Timetables "
                         "and Compare variants")
        return self.scenario

    def download(self, fmt: str) -> io.BytesIO | None:
        try:
            if not self.scenario:
                raise S.TimetableError("no scenario to export")
            name, data = self.studio.files.export_data(self.scenario, fmt)
        except Exception as exc:  # noqa: BLE001
            self.messages.fail(exc)
            return None
        self.messages.ok(f"{name} downloaded")
        return io.BytesIO(data)

    def filename(self, fmt: str) -> str:
        stem = services.file_stem(self.scenario or "scenario")
        return {"ctt": f"{stem}.ctt", "xlsx": f"{stem}.xlsx", "zip": f"{stem}-tables.zip"}[fmt]


# ============================================================================ view
def _editors(state: DataState) -> dict:
    editors = {}
    for col in state.spec.columns:
        if not col.editable or not state.spec.rows_editable:
            editors[col.name] = None
        elif col.kind == "choice":
            editors[col.name] = {"type": "list", "values": list(col.choices)}
        elif col.name in state.choices:
            names = list(state.choices[col.name])
            editors[col.name] = {"type": "list", "values": ([""] if col.kind.startswith("optional") else []) + names}
        elif col.kind in ("int", "optional_int"):
            editors[col.name] = {"type": "number", "step": 1}
        else:
            editors[col.name] = {"type": "input"}
    return editors


def _add_form(state: DataState) -> pn.Column:
    """Inputs for a new row: a link table's key (membership, unavailability, preferences), or every
    editable column of a course, teacher, room, department or curriculum."""
    w = pn.widgets
    box = pn.Column(sizing_mode="stretch_width", css_classes=["tt-add-form"])

    def build(*_):
        spec = state.spec
        if not spec.addable or not state.editable:
            box.objects = []
            return
        inputs = {}
        columns = {c.name: c for c in spec.columns}
        for k in spec.new_row_columns:
            col = columns[k]
            label = k + (" *" if col.required or k in spec.key else "")
            css = [f"tt-new-{k}"]
            if k == "period":
                inputs[k] = w.Select(name="period", options=state.periods, width=200, css_classes=css)
            elif k in state.choices:
                optional = col.kind.startswith("optional")
                inputs[k] = w.Select(name=label, options=([""] if optional else []) + list(state.choices[k]),
                                     width=200, css_classes=css)
            elif col.kind == "choice":
                inputs[k] = w.Select(name=label, options=list(col.choices), width=120, css_classes=css)
            else:
                inputs[k] = w.TextInput(name=label, width=130 if col.kind.endswith("int") else 180, css_classes=css)
        add = w.Button(name=f"Add {spec.title.lower().rstrip('s') if spec.rows_editable else 'row'}",
                       button_type="primary", css_classes=["tt-add-row"], align="end")

        def on_add(_):
            if state.add({k: i.value for k, i in inputs.items()}):
                for i in inputs.values():  # ready for the next one
                    if isinstance(i, w.TextInput):
                        i.value = ""

        add.on_click(on_add)
        box.objects = [pn.FlexBox(*inputs.values(), add, sizing_mode="stretch_width")]

    state.param.watch(build, ["table", "choices", "periods"])
    build()
    return box


def _delete_scenario(state: DataState) -> pn.Column:
    """A "Delete this scenario…" button that asks for the scenario's name before deleting it."""
    w = pn.widgets
    ask = w.Button(name="Delete this scenario…", button_type="danger", button_style="outline",
                   css_classes=["tt-delete-scenario"], sizing_mode="stretch_width")
    what = pn.pane.Markdown("", css_classes=["tt-delete-what"], sizing_mode="stretch_width")
    typed = w.TextInput(placeholder="the scenario's name", css_classes=["tt-delete-confirm"],
                        sizing_mode="stretch_width")
    confirm = w.Button(name="Delete for good", button_type="danger", css_classes=["tt-delete-scenario-confirm"])
    cancel = w.Button(name="Cancel", css_classes=["tt-delete-scenario-cancel"])
    box = pn.Column(what, typed, pn.Row(confirm, cancel), visible=False, sizing_mode="stretch_width")

    def open_box(_):
        what.object = state.scenario_summary()
        typed.value = ""
        box.visible = True

    def close(*_):
        box.visible = False

    ask.on_click(open_box)
    cancel.on_click(close)
    confirm.on_click(lambda _: close() if state.delete_scenario(typed.value_input or typed.value) else None)
    state.param.watch(close, "scenario")
    return pn.Column(ask, box, sizing_mode="stretch_width")


def layout(state: DataState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select.from_param(state.param.scenario, sizing_mode="stretch_width")
    tables = w.Select(name="Table", options=state.table_options(), value=state.table,
                      sizing_mode="stretch_width", css_classes=["tt-table-select"])
    tables.param.watch(lambda e: setattr(state, "table", e.new) if e.new != state.table else None, "value")
    # a class scenario has other tables: the choice follows the scenario's kind and the table shown
    state.param.watch(lambda _e: tables.param.update(options=state.table_options(), value=state.table),
                      ["kind", "table"])

    # a role that may not edit sees a read-only table and no add, delete or import controls
    # (DataState.edit and the services refuse a crafted edit anyway)
    def selectable():
        return "checkbox" if state.spec.addable and state.editable else False

    # remote pagination: only the page on screen travels to the browser (19,000 students, 95,000
    # enrolments); the search below filters on the server
    editor = w.Tabulator(state.frame, show_index=False, sizing_mode="stretch_width", pagination="remote",
                         page_size=20, editors=_editors(state), css_classes=["tt-editor"],
                         selectable=selectable(), height=620, disabled=not state.editable)

    def on_edit(event):
        state.edit(event.row, event.column, event.old, event.value)

    editor.on_edit(on_edit)
    search = w.TextInput(name="Search", placeholder="words, or column:value (e.g. department:physics lectures:0)",
                         sizing_mode="stretch_width", css_classes=["tt-search"])
    search.param.watch(lambda e: setattr(state, "search", e.new), "value_input")
    count = pn.pane.Markdown("", css_classes=["tt-count"], margin=(25, 10, 0, 10))

    shown_for = [None]  # (scenario, table, search) on screen: a new one starts on page 1, an edit keeps the page

    def show(*_):
        now = (state.scenario, state.table, state.search)
        page = {} if now == shown_for[0] else {"page": 1}
        shown_for[0] = now
        editor.param.update(value=state.frame, editors=_editors(state), selectable=selectable(), **page)
        delete.visible = state.spec.addable and state.editable
        ro = state.spec.read_only
        heading.object = f"### {state.spec.title}" + (
            " (imported with the scenario from its ITC2019 .xml; read-only)" if state.kind == "classes" else
            " (imported with the scenario: students.csv, enrolments.csv)" if ro else
            "" if state.spec.rows_editable else " (add or delete rows; cells are not edited)")
        count.object = state.count_text()
        search.placeholder = ("words, or column:value (e.g. course:CS101 type:SameDays)" if state.kind == "classes"
                              else "words, or column:value (e.g. department:physics lectures:0)")

    def new_table(*_):
        if search.value_input or search.value:  # another table: a new search
            search.param.update(value="", value_input="")

    delete = w.Button(name="Delete ticked rows", button_type="danger", css_classes=["tt-delete-rows"])
    delete.on_click(lambda _: state.delete(list(editor.selection)))
    heading = pn.pane.Markdown("")
    state.param.watch(new_table, ["table", "scenario"])
    state.param.watch(show, ["frame", "choices"])

    upload = w.FileInput(accept=".ctt,.xml,.xlsx,.zip,.csv", multiple=True, sizing_mode="stretch_width",
                         css_classes=["tt-upload"])
    name = w.TextInput.from_param(state.param.import_name, sizing_mode="stretch_width", css_classes=["tt-import-name"],
                                  placeholder="default: the file name")
    do_import = w.Button(name="Import", button_type="primary", css_classes=["tt-import"])
    do_import.on_click(lambda _: state.import_upload(upload.filename, upload.value))

    downloads = []
    for fmt, label in (("xlsx", "Excel tables"), ("zip", "CSV tables (zip)"), ("ctt", "ITC2007 .ctt")):
        d = S.Download(callback=lambda fmt=fmt: state.download(fmt), filename=state.filename(fmt),
                           label=f"Export {label}", button_type="primary", button_style="outline",
                           css_classes=[f"tt-export-{fmt}"], sizing_mode="stretch_width")
        state.param.watch(lambda _e, d=d, fmt=fmt: setattr(d, "filename", state.filename(fmt)), "scenario")
        downloads.append(d)
    # a class scenario's data is its ITC2019 file (its timetables download from the Timetables app)
    export_title = pn.pane.Markdown("**Export this scenario**")

    def exports_visible(*_):
        for item in (export_title, *downloads):
            item.visible = state.kind != "classes"

    state.param.watch(exports_visible, "kind")
    exports_visible()

    show()
    main = [S.message_alerts(state.messages), heading, pn.Row(search, count, sizing_mode="stretch_width"),
            _add_form(state), editor, delete]
    importing = [pn.layout.Divider(),
                 pn.pane.Markdown("**Import a scenario**: an ITC2007 .ctt, an ITC2019 instance .xml (classes: real "
                                  "university data; then its solutions .xml as variants of it), an .xlsx workbook "
                                  "of tables, a .zip of "
                                  "CSV tables, or the .csv tables themselves (pick several files at once); "
                                  f"at most {services.max_upload_bytes() / 2**20:g} MB"),
                 upload, name, do_import] if state.editable else []
    deleting = [pn.layout.Divider(), _delete_scenario(state)] if state.editable else []
    sidebar = [scenario, tables, *importing, pn.layout.Divider(), export_title, *downloads, *deleting]
    return S.page("Data", "data", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        state = DataState(S.studio())
        state.editable = S.can_edit()
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Data", "data", exc)
    query = pn.state.location.query_params if pn.state.location else {}
    if query.get("scenario") in state.param.scenario.objects:  # first: a class scenario has other tables
        state.scenario = query["scenario"]
    if query.get("table") in services.TABLES or query.get("table") in services.CLASS_TABLES:
        state.table = query["table"]
    return layout(state)


pn.extension("tabulator", notifications=True)

if pn.state.served:
    app().servable()
