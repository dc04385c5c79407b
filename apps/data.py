"""Data: edit a scenario's departments, curricula, courses, teachers, rooms, time grid and
unavailability in tables; import scenarios (ITC2007 .ctt, Excel workbook, zip of CSV tables) and
export them.

Every edit goes through :meth:`tt_core.services.Studio.edit_cell`: a value the store or the
problem model refuses is not saved, the table shows the stored value again and the reason appears
above the table.
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

from ui import shared as S  # noqa: E402

REFS = {"teacher": "teachers", "department": "departments", "building": "buildings", "course": "courses",
        "curriculum": "curricula"}


class DataState(param.Parameterized):
    """The scenario and table being edited, its rows, and the import form."""

    scenario = param.Selector(objects=[])
    table = param.Selector(objects=list(services.TABLES), default="rooms")
    frame = param.DataFrame(pd.DataFrame())
    choices = param.Dict({}, doc="names offered for reference columns: {column: [names]}")
    periods = param.Dict({}, doc="{label: period} of the scenario's time grid")
    import_name = param.String("", label="New scenario name")
    editable = param.Boolean(True)

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        super().__init__(**params)
        self.refresh_scenarios()

    @property
    def spec(self) -> services.TableSpec:
        return services.TABLES[self.table]

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
            self.frame = pd.DataFrame()
            return
        choices = {}
        for col in self.spec.columns:
            if col.name in REFS:
                choices[col.name] = self.studio.data.names(self.scenario, REFS[col.name])
        grid = self.studio.data.table(self.scenario, "time_grid")
        self.periods = {f"{p} · {lab}": int(p) for p, lab in zip(grid["period"], grid["label"])}
        self.choices = choices
        self.frame = self.studio.data.table(self.scenario, self.table)

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
    def add(self, values: dict) -> None:
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not change it")
        self.messages.ok(self.studio.data.add_row(self.scenario, self.table, values, user=S.current_user()))
        self.reload()

    @S.guarded
    def delete(self, rows: list[int]) -> None:
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not change it")
        if not rows:
            raise S.TimetableError("tick the rows to delete first")
        keys = [self.key_of(r) for r in rows]
        for k in keys:
            self.studio.data.delete_row(self.scenario, self.table, k, user=S.current_user())
        self.messages.ok(f"{self.spec.title}: deleted {len(keys)} row(s)")
        self.reload()

    @S.guarded
    def import_upload(self, filename: str | None, data: bytes | None) -> str | None:
        if not self.editable:
            raise S.TimetableError("your role may look at the data but not import it")
        if not data:
            raise S.TimetableError("choose a .ctt, .xlsx or .zip file to import first")
        name = self.import_name.strip() or os.path.splitext(os.path.basename(filename or ""))[0]
        name = self.studio.files.import_file(filename or "", data, name, user=S.current_user())
        self.refresh_scenarios(select=name)
        self.import_name = ""
        self.messages.ok(f"imported {filename} as scenario {name!r}")
        return name

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
    """Inputs for a new row of a link table (membership, unavailability, preferences)."""
    w = pn.widgets
    box = pn.Column(sizing_mode="stretch_width")

    def build(*_):
        if not state.spec.addable or not state.editable:
            box.objects = []
            return
        inputs = {}
        for k in state.spec.key:
            if k == "period":
                inputs[k] = w.Select(name="period", options=state.periods, width=200)
            else:
                inputs[k] = w.Select(name=k, options=state.choices.get(k, []), width=220)
        add = w.Button(name="Add row", button_type="primary", css_classes=["tt-add-row"], align="end")
        add.on_click(lambda _: state.add({k: i.value for k, i in inputs.items()}))
        box.objects = [pn.Row(*inputs.values(), add)]

    state.param.watch(build, ["table", "choices", "periods"])
    build()
    return box


def layout(state: DataState) -> pn.template.BaseTemplate:
    w = pn.widgets
    scenario = w.Select.from_param(state.param.scenario, sizing_mode="stretch_width")
    tables = w.Select(name="Table", options={s.title: e for e, s in services.TABLES.items()}, value=state.table,
                      sizing_mode="stretch_width", css_classes=["tt-table-select"])
    tables.param.watch(lambda e: setattr(state, "table", e.new), "value")

    # a role that may not edit sees a read-only table and no add, delete or import controls
    # (DataState.edit and the services refuse a crafted edit anyway)
    def selectable():
        return "checkbox" if state.spec.addable and state.editable else False

    editor = w.Tabulator(state.frame, show_index=False, sizing_mode="stretch_width", pagination="local",
                         page_size=20, editors=_editors(state), css_classes=["tt-editor"],
                         selectable=selectable(), height=620, disabled=not state.editable)

    def on_edit(event):
        state.edit(event.row, event.column, event.old, event.value)

    editor.on_edit(on_edit)

    def show(*_):
        editor.param.update(value=state.frame, editors=_editors(state), selectable=selectable())
        delete.visible = state.spec.addable and state.editable
        heading.object = f"### {state.spec.title}" + ("" if state.spec.rows_editable else
                                                      " (add or delete rows; cells are not edited)")

    delete = w.Button(name="Delete ticked rows", button_type="danger", css_classes=["tt-delete-rows"])
    delete.on_click(lambda _: state.delete(list(editor.selection)))
    heading = pn.pane.Markdown("")
    state.param.watch(show, ["frame", "choices"])

    upload = w.FileInput(accept=".ctt,.xlsx,.zip", sizing_mode="stretch_width", css_classes=["tt-upload"])
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

    show()
    main = [S.message_alerts(state.messages), heading, _add_form(state), editor, delete]
    importing = [pn.layout.Divider(),
                 pn.pane.Markdown("**Import a scenario** (.ctt, .xlsx tables, .zip of CSV tables; "
                                  f"at most {services.max_upload_bytes() / 2**20:g} MB)"),
                 upload, name, do_import] if state.editable else []
    sidebar = [scenario, tables, *importing, pn.layout.Divider(), pn.pane.Markdown("**Export this scenario**"),
               *downloads]
    return S.page("Data", "data", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        state = DataState(S.studio())
        state.editable = S.can_edit()
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Data", "data", exc)
    query = pn.state.location.query_params if pn.state.location else {}
    if query.get("table") in services.TABLES:
        state.table = query["table"]
    if query.get("scenario") in state.param.scenario.objects:
        state.scenario = query["scenario"]
    return layout(state)


pn.extension("tabulator", notifications=True)

if pn.state.served:
    app().servable()
