"""The one catalogue of the CSV/Excel bundle: its tables, their columns, what each column holds.

Every reader and writer of the bundle, the template, the user documentation (``docs/data-format.md``)
and the other parts of the studio that speak of the bundle's tables (the store, the data app) take
the table and column names from here. A column that holds a number names its bound in
:data:`tt_core.limits.BOUNDS` (``bound``), so the readers and the data editor refuse the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "Table", "CATALOGUE", "TABLES", "REQUIRED_TABLES", "SETTINGS", "ROOM_TYPE_SEPARATOR",
           "CSV_FORMULA_START"]

#: separates the room types of a course's ``room_types`` cell
ROOM_TYPE_SEPARATOR = "|"
#: a CSV export writes a text cell starting with one of these (after any apostrophes) with one more
#: leading apostrophe, so that a spreadsheet shows it as text instead of running it as a formula
#: (CWE-1236); a CSV import drops that apostrophe again, so a round trip gives the original text
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of a bundle table.

    Attributes
    ----------
    name : str
    required : bool
        The table must have this column (its cells may still be empty where ``doc`` says so).
    doc : str
        What the column holds, for the documentation and the template.
    bound : str or None
        For a number, its key in :data:`tt_core.limits.BOUNDS` (``"lectures"``…); ``None`` for text.
    """

    name: str
    required: bool = False
    doc: str = ""
    bound: str | None = None


@dataclass(frozen=True)
class Table:
    """One table of the bundle: a CSV file ``<name>.csv`` or a sheet ``<name>``."""

    name: str
    required: bool
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, required: bool = False, doc: str = "", bound: str | None = None) -> Column:
    return Column(name, required, doc, bound)


#: every table, in the order they are written and documented
CATALOGUE: dict[str, Table] = {t.name: t for t in (
    Table("settings", False, (_c("key", True, "a setting's name"), _c("value", True, "its value")),
          "keys `name` (instance name), `institution`, `term`, `days`, `periods_per_day`"),
    Table("time_grid", False, (
        _c("day", True, "day, 0-based", "days"),
        _c("period", True, "period within the day, 0-based", "periods_per_day"),
        _c("label", doc="what the period is called, e.g. `Mon 09:00` (iCal and Excel read clock times from it)"),
        _c("penalty", doc="time-of-day penalty units of a lecture there (default 0)", bound="penalty")),
        "one row for every day and period; without it the settings `days` and `periods_per_day` give the grid"),
    Table("teachers", True, (
        _c("name", True, "unique name (an id such as `T0007`)"), _c("full_name", doc="display name"),
        _c("max_per_day", doc="soft daily maximum of lectures (0 = none)", bound="max_per_day")),
        "every teacher must teach a course"),
    Table("departments", False, (_c("name", True, "unique name"), _c("code", doc="short code")),
          "every department must have a course"),
    Table("courses", True, (
        _c("name", True, "unique name"), _c("teacher", True, "a name in `teachers`"),
        _c("lectures", True, "lectures a week", "lectures"),
        _c("min_days", True, "minimum number of days its lectures spread over", "min_days"),
        _c("students", True, "number of students", "students"),
        _c("length", doc="periods per lecture (default 1; labs 2–3)", bound="length"),
        _c("department", doc="a name in `departments` (empty: none)"),
        _c("category", doc="`core` (default), `elective` or `open`"),
        _c("room_types", doc="room types it may use, separated by `|` (empty: any room)"),
        _c("offering", doc="the offering it is a section of (empty: it is its own offering)"))),
    Table("rooms", True, (
        _c("name", True, "unique name"), _c("capacity", True, "seats", "capacity"),
        _c("type", doc="room type, e.g. `lab` (empty: generic)"),
        _c("building", doc="a name in `buildings`, or any name (numbered in order of appearance)"),
        _c("features", doc="free text"))),
    Table("buildings", False, (_c("name", True, "unique name"), _c("code", doc="short code")),
          "row order gives the building numbers"),
    Table("curricula", False, (
        _c("name", True, "unique name"), _c("programme", doc="programme name"),
        _c("year", doc="year of study", bound="year"),
        _c("max_per_day", doc="daily maximum of lectures (0 = none)", bound="max_per_day")),
        "groups of courses that may not overlap"),
    Table("curriculum_courses", False, (_c("curriculum", True, "a name in `curricula`"),
                                        _c("course", True, "a name in `courses`")), "row order is kept"),
    Table("unavailability", False, (
        _c("course", True, "a name in `courses`"), _c("day", True, "0-based", "days"),
        _c("period", True, "0-based", "periods_per_day")), "periods a course may not be taught in"),
    Table("teacher_unavailability", False, (
        _c("teacher", True, "a name in `teachers`"), _c("day", True, "0-based", "days"),
        _c("period", True, "0-based", "periods_per_day")), "periods a teacher cannot teach in"),
    Table("teacher_preferences", False, (
        _c("teacher", True, "a name in `teachers`"), _c("day", True, "0-based", "days"),
        _c("period", True, "0-based", "periods_per_day")), "periods a teacher would rather not teach in (soft)"),
    Table("course_rooms", False, (_c("course", True, "a name in `courses`"), _c("room", True, "a name in `rooms`")),
          "the only rooms a course may use (instead of its `room_types`)"),
    Table("students", False, (
        _c("name", True, "unique name"), _c("programme", doc="programme name"),
        _c("year", doc="year of study", bound="year"),
        _c("department", doc="a name in `departments`"))),
    Table("enrolments", False, (_c("student", True, "a name in `students`, or a new student"),
                                _c("course", True, "a name in `courses`")),
          "one row per course a student takes; two courses sharing a student may not overlap"),
)}

#: table -> ((column, required), ...): the columns of each table, the required ones marked
TABLES: dict[str, tuple[tuple[str, bool], ...]] = {
    t.name: tuple((c.name, c.required) for c in t.columns) for t in CATALOGUE.values()}
#: the tables a bundle must have
REQUIRED_TABLES = tuple(t.name for t in CATALOGUE.values() if t.required)
#: the keys of the ``settings`` table
SETTINGS = ("name", "institution", "term", "days", "periods_per_day")


def markdown() -> str:
    """The reference of every table and column, with the numbers' ranges, as Markdown
    (``docs/data-format.md`` holds it verbatim; a test keeps the two equal)."""
    from ... import limits

    lines = []
    for t in CATALOGUE.values():
        need = "required" if t.required else "optional"
        lines += [f"### `{t.name}` ({need})", ""]
        if t.doc:
            lines += [t.doc[0].upper() + t.doc[1:] + ".", ""]
        lines += ["| column | required | holds |", "|---|---|---|"]
        for c in t.columns:
            holds = c.doc
            if c.bound:
                b = limits.bound(c.bound)
                if c.name in ("day", "period") and t.name == "time_grid":  # the grid's own size
                    holds += f"; 0 to {b.maximum - 1}"
                elif c.name in ("day", "period"):
                    holds += f"; below the grid's {'days' if c.name == 'day' else 'periods per day'}"
                else:
                    holds += f"; {b.minimum} to {b.maximum}"
            lines.append(f"| `{c.name}` | {'yes' if c.required else ''} | {holds} |")
        lines.append("")
    return "\n".join(lines)
