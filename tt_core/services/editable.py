"""The tables of the data editor: which columns show, which can be edited, how a typed value is read.

A :class:`TableSpec` describes how the data app shows one store entity (:data:`TABLES`);
:func:`coerce_value` turns what a user typed into what the store expects, or refuses it saying why;
:func:`search_rows` is the editor's search box (a university has 2,533 courses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ValidationError


# ----------------------------------------------------------------------------- editable tables
@dataclass(frozen=True)
class Column:
    """One column of an editable table: its kind decides how a typed value is checked."""

    name: str
    kind: str = "text"            # text, int, optional_int, optional_text, choice, list, ref, optional_ref
    editable: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    required: bool = False        # a new row needs it (the others, left empty, take the store's default)


@dataclass(frozen=True)
class TableSpec:
    """How the data editor shows one store entity."""

    entity: str
    title: str
    key: tuple[str, ...]          # columns identifying a row (the store's key, by name)
    columns: tuple[Column, ...]
    rows_editable: bool = True    # cells can be edited (link tables: rows are only added/removed)
    addable: bool = False         # rows can be added / deleted

    @property
    def read_only(self) -> bool:
        """Shown only: neither cells nor rows change here (students and enrolments are imported)."""
        return not self.rows_editable and not self.addable

    @property
    def new_row_columns(self) -> tuple[str, ...]:
        """The inputs of a new row: a link table's key, else every editable column."""
        if not self.rows_editable:
            return self.key
        return tuple(c.name for c in self.columns if c.editable)


#: the tables a teacher edits for themself (self-service; ``edit_own_availability``)
TEACHER_TABLES = ("teacher_unavailability", "teacher_preferences")

TABLES: dict[str, TableSpec] = {t.entity: t for t in (
    TableSpec("departments", "Departments", ("name",), (Column("name", required=True), Column("code")),
              addable=True),
    TableSpec("curricula", "Curricula", ("name",), (
        Column("name", required=True), Column("programme", "optional_text"),
        Column("year", "optional_int", minimum=1), Column("max_per_day", "int", minimum=0)), addable=True),
    TableSpec("courses", "Courses", ("name",), (
        Column("name", required=True), Column("teacher", "ref", required=True), Column("department", "optional_ref"),
        Column("category", "choice", choices=("core", "elective", "open")),
        Column("lectures", "int", minimum=0, required=True), Column("min_days", "int", minimum=0),
        Column("students", "int", minimum=0), Column("length", "int", minimum=1),
        Column("room_types", "list"), Column("explicit_rooms", "bool", editable=False)), addable=True),
    TableSpec("teachers", "Teachers", ("name",), (
        Column("name", required=True), Column("full_name"), Column("max_per_day", "int", minimum=0)), addable=True),
    TableSpec("rooms", "Rooms", ("name",), (
        Column("name", required=True), Column("capacity", "int", minimum=0, required=True),
        Column("room_type", "optional_text"), Column("building", "optional_ref"), Column("features")), addable=True),
    TableSpec("time_grid", "Time grid", ("period",), (
        Column("period", "int", editable=False), Column("day", "int", editable=False),
        Column("slot", "int", editable=False), Column("label"), Column("penalty", "int", minimum=0))),
    TableSpec("curriculum_courses", "Curriculum members", ("curriculum", "course"), (
        Column("curriculum", "ref"), Column("course", "ref")), rows_editable=False, addable=True),
    TableSpec("course_unavailability", "Course unavailability", ("course", "period"), (
        Column("course", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
    TableSpec("teacher_unavailability", "Teacher unavailability", ("teacher", "period"), (
        Column("teacher", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
    TableSpec("teacher_preferences", "Teacher undesired periods", ("teacher", "period"), (
        Column("teacher", "ref"), Column("period", "int", minimum=0), Column("label", editable=False)),
        rows_editable=False, addable=True),
    # imported with the scenario (students.csv, enrolments.csv); shown so planners can look people up
    TableSpec("students", "Students", ("name",), (
        Column("name", editable=False), Column("programme", "optional_text", editable=False),
        Column("year", "optional_int", editable=False), Column("department", "optional_text", editable=False),
        Column("courses", "int", editable=False)), rows_editable=False),
    TableSpec("enrolments", "Enrolments", ("student", "course"), (
        Column("student", editable=False), Column("course", editable=False)), rows_editable=False),
)}


#: the tables of a class-based scenario (ITC2019 data, imported whole): shown, searched, never edited;
#: the entity is ``class_<what>`` for :meth:`~tt_core.services.data.DataService.class_table` ``(what)``
CLASS_TABLES: dict[str, TableSpec] = {t.entity: t for t in (
    TableSpec("class_courses", "Courses (configs, subparts, classes)", ("class",), (
        Column("course", editable=False), Column("config", editable=False), Column("subpart", editable=False),
        Column("class", editable=False), Column("limit", "int", editable=False),
        Column("parent", "optional_text", editable=False), Column("times", "int", editable=False),
        Column("rooms", "int", editable=False)), rows_editable=False),
    TableSpec("class_rooms", "Rooms", ("room",), (
        Column("room", editable=False), Column("capacity", "int", editable=False),
        Column("unavailable_times", "int", editable=False), Column("classes", "int", editable=False)),
        rows_editable=False),
    TableSpec("class_distributions", "Distributions", ("distribution",), (
        Column("distribution", "int", editable=False), Column("type", editable=False),
        Column("required", "bool", editable=False), Column("penalty", "int", editable=False),
        Column("classes", editable=False)), rows_editable=False),
    TableSpec("class_students", "Students", ("student",), (
        Column("student", editable=False), Column("courses", editable=False)), rows_editable=False),
)}

def coerce_value(spec: TableSpec, column: str, value, *, new_row: bool = False):
    """A value typed into the editor (or a new row's form, ``new_row``) as the store expects it;
    raises ValidationError saying why not."""
    col = next((c for c in spec.columns if c.name == column), None)
    if col is None or not (new_row or (col.editable and spec.rows_editable)):
        raise ValidationError([f"{spec.title}: column {column!r} cannot be edited here"],
                              title="the change was refused")

    def refuse(why: str):
        raise ValidationError([f"{spec.title}, {column}: {why}"], title="the change was refused")

    if isinstance(value, float) and np.isnan(value):
        value = None
    if isinstance(value, str):
        value = value.strip()
    empty = value is None or value == ""
    kind = col.kind
    if kind in ("int", "optional_int"):
        if empty:
            if kind == "optional_int":
                return None
            refuse("a whole number is required")
        if isinstance(value, bool):
            refuse(f"expected a whole number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            refuse(f"expected a whole number, got {value!r}")
        if not number.is_integer():
            refuse(f"expected a whole number, got {value!r}")
        number = int(number)
        if col.minimum is not None and number < col.minimum:
            refuse(f"must be at least {col.minimum}, got {number}")
        return number
    if kind == "choice":
        if value not in col.choices:
            refuse(f"must be one of {', '.join(col.choices)}, got {value!r}")
        return value
    if kind == "list":
        if empty:
            return None
        items = [x.strip() for x in str(value).split(",") if x.strip()]
        return items or None
    if kind in ("optional_text", "optional_ref"):
        return None if empty else str(value)
    if empty and column == "name":
        refuse("a name cannot be empty")
    if kind == "ref" and empty:
        refuse("a value is required")
    return "" if value is None else str(value)


def display(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The store's frame as the editor shows it: the spec's columns, lists joined, no NaN."""
    out = pd.DataFrame(index=range(len(df)))
    for col in spec.columns:
        values = df[col.name].tolist() if col.name in df.columns else [None] * len(df)
        if col.kind == "list":
            values = [", ".join(v) if isinstance(v, (list, tuple, np.ndarray)) else "" for v in values]
        elif col.kind == "optional_int":
            values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in values]
            out[col.name] = pd.Series(values, dtype="object")
            continue
        elif col.kind in ("optional_text", "optional_ref", "text", "ref") and col.name != "period":
            values = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
        out[col.name] = values
    return out


def folded(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Each column of ``frame`` as case-folded text (what :func:`search_rows` compares; computed
    once per table, not per keystroke)."""
    return {c: frame[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
            .str.casefold() for c in frame.columns}


def search_rows(frame: pd.DataFrame, text: str, text_of: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """The rows of ``frame`` matching a search box's ``text`` (the index is kept).

    Words are ANDed, each matched case-insensitively as part of any cell; ``column:value`` matches
    one column only (a whole number exactly: ``lectures:0`` is not ``lectures:10``), e.g.
    ``department:physics lectures:0``; a word whose part before ``:`` is no column (``09:00``) is
    plain text. Empty text: every row. ``text_of``: :func:`folded` of ``frame``, when already made.
    """
    words = str(text or "").split()
    if not words or frame.empty:
        return frame
    text_of = folded(frame) if text_of is None else text_of
    keep = np.ones(len(frame), bool)
    for word in words:
        column, _, value = word.partition(":")
        if value and column.casefold() in {c.casefold() for c in frame.columns}:
            col = next(c for c in frame.columns if c.casefold() == column.casefold())
            value = value.casefold()
            cells = text_of[col]
            keep &= (cells == value).to_numpy() if value.lstrip("-").isdigit() else \
                cells.str.contains(value, regex=False).to_numpy()
        else:
            word = word.casefold()
            hit = np.zeros(len(frame), bool)
            for cells in text_of.values():
                hit |= cells.str.contains(word, regex=False).to_numpy()
            keep &= hit
    return frame[keep]
