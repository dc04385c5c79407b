"""A corpus of malformed import files, generated on demand (nothing binary is committed).

Each :class:`Case` writes one bad input into a folder — an ITC2007 ``.ctt`` or an extended
``.ectt`` file, a folder of CSV tables, a zip of CSV tables or an ``.xlsx`` workbook — and says which words the refusal must
contain (the file, the row or line, the field). Zip bombs are real: their deflate streams repeat
one fully flushed block, so a few hundred KB expand to hundreds of MB without the test spending
seconds compressing them.

``tests/io/test_bad_input.py`` imports every case through ``tt import`` and asserts a clean
refusal. Run as a script, this module counts the verdicts of the code on ``PYTHONPATH`` — each
case in its own process under a memory limit and a timeout — so the same corpus measures the
code before and after a change::

    .venv/bin/python tests/io/bad_inputs.py            # verdict counts of this checkout
    PYTHONPATH=/tmp/old .venv/bin/python tests/io/bad_inputs.py --verbose
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# ====================================================================================== a valid bundle

BASE: dict[str, list[list]] = {
    "settings": [["key", "value"], ["name", "corpus"], ["days", 5], ["periods_per_day", 4]],
    "teachers": [["name", "full_name", "max_per_day"], ["ann", "Ann Archer", 3], ["bob", "Bob Baker", 0]],
    "departments": [["name", "code"], ["Maths", "MA"]],
    "courses": [["name", "teacher", "lectures", "min_days", "students", "length", "department", "category",
                 "room_types", "offering"],
                ["c1", "ann", 3, 2, 30, 1, "Maths", "core", None, None],
                ["c2", "bob", 2, 2, 20, 1, "Maths", "elective", "lecture", None]],
    "rooms": [["name", "capacity", "type", "building", "features"], ["r1", 40, "lecture", "B1", None],
              ["r2", 25, None, "B1", "projector"]],
    "buildings": [["name", "code"], ["B1", "main"]],
    "curricula": [["name", "programme", "year", "max_per_day"], ["q1", "BSc", 1, 0]],
    "curriculum_courses": [["curriculum", "course"], ["q1", "c1"], ["q1", "c2"]],
    "unavailability": [["course", "day", "period"], ["c1", 0, 0]],
    "teacher_unavailability": [["teacher", "day", "period"], ["bob", 4, 3]],
    "teacher_preferences": [["teacher", "day", "period"], ["ann", 0, 0]],
    "students": [["name", "programme", "year", "department"], ["s1", "BSc", 1, "Maths"]],
    "enrolments": [["student", "course"], ["s1", "c1"], ["s1", "c2"]],
}

CTT = """Name: corpus
Courses: 2
Rooms: 2
Days: 5
Periods_per_day: 4
Curricula: 1
Constraints: 1

COURSES:
c1 ann 3 2 30
c2 bob 2 2 20

ROOMS:
r1 40
r2 25

CURRICULA:
q1 2 c1 c2

UNAVAILABILITY_CONSTRAINTS:
c1 0 0

END.
"""

MiB = 1 << 20


def tables() -> dict[str, list[list]]:
    """A fresh copy of :data:`BASE` to mutate."""
    return {t: [list(r) for r in rows] for t, rows in BASE.items()}


def set_cell(tabs: dict, table: str, row: int, column: str, value) -> dict:
    """Set ``column`` of data row ``row`` (1 = the first row after the header) of ``table``."""
    header = tabs[table][0]
    tabs[table][row][header.index(column)] = value
    return tabs


def csv_text(rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def write_folder(tabs: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tabs.items():
        (folder / f"{name}.csv").write_text(csv_text(rows), encoding="utf-8")
    return folder


def write_zip(tabs: dict, path: Path, prefix: str = "bundle/") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in tabs.items():
            zf.writestr(f"{prefix}{name}.csv", csv_text(rows))
    return path


def write_xlsx(tabs: dict, path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in tabs.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


# ====================================================================================== raw zip files


@dataclass
class Entry:
    """One member of a hand-made zip: its stored bytes and what the headers claim about them."""

    name: str
    data: bytes                 # as stored (compressed when method is 8)
    crc: int
    size: int                   # uncompressed size written in the headers
    method: int = 8
    flags: int = 0


def deflated(payload: bytes) -> Entry:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Entry("", c.compress(payload) + c.flush(), zlib.crc32(payload), len(payload))


def bomb(head: bytes, chunk: bytes, times: int, tail: bytes) -> Entry:
    """``head + chunk * times + tail`` deflated by repeating one fully flushed block of ``chunk``
    (a block after a full flush refers to nothing before it, so copies of it can be chained)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return Entry("", start + block * times + end, crc, len(head) + len(chunk) * times + len(tail))


def raw_zip(entries: list[Entry]) -> bytes:
    """A zip file written byte by byte, so headers can say what zipfile would never write."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name = e.name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, e.flags, e.method, 0, 0x21, e.crc & 0xFFFFFFFF,
                           len(e.data), e.size, len(name), 0) + name + e.data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, e.flags, e.method, 0, 0x21,
                               e.crc & 0xFFFFFFFF, len(e.data), e.size, len(name), 0, 0, 0, 0, 0, offset) + name
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def zip_entries(path: Path) -> list[Entry]:
    """The members of an existing zip (e.g. an .xlsx) as :class:`Entry` objects, deflated anew."""
    with zipfile.ZipFile(path) as zf:
        out = []
        for info in zf.infolist():
            e = deflated(zf.read(info))
            e.name = info.filename
            out.append(e)
    return out


def named(e: Entry, name: str) -> Entry:
    e.name = name
    return e


# ====================================================================================== cases


@dataclass
class Case:
    """One malformed input.

    ``build(folder)`` writes it and returns the path to import; ``expect`` are words the refusal
    must contain (besides the file's name, which :attr:`names` gives when it differs from the
    path's last part). ``accept`` marks an input that must be imported after all (then ``check``
    says whether what was imported is complete).
    """

    id: str
    kind: str                                  # ctt, ectt, csv, zip, xlsx
    build: Callable[[Path], Path]
    expect: tuple[str, ...] = ()
    names: str | None = None
    accept: bool = False
    check: Callable | None = field(default=None, repr=False)
    slow: bool = False


CASES: list[Case] = []


def case(id: str, kind: str, expect=(), **kw):
    def register(build):
        CASES.append(Case(id, kind, build, tuple(expect), **kw))
        return build
    return register


def _bundle(kind: str, tabs: dict, folder: Path) -> Path:
    if kind == "csv":
        return write_folder(tabs, folder / "bundle")
    if kind == "zip":
        return write_zip(tabs, folder / "bundle.zip")
    return write_xlsx(tabs, folder / "bundle.xlsx")


# ---- one bad value, in each of the three table formats
# (table, column, value, words of the refusal); the value goes into data row 1 of the table
VALUES = [
    ("lectures-1e20-int", "courses", "lectures", 10 ** 20, ("row 2", "lectures", "1000")),
    ("lectures-1e20-text", "courses", "lectures", "1e20", ("row 2", "lectures", "1000")),
    ("lectures-3e9", "courses", "lectures", 3_000_000_000, ("row 2", "lectures", "1000")),
    ("lectures-1e12", "courses", "lectures", 10 ** 12, ("row 2", "lectures", "1000")),
    ("lectures-1e8", "courses", "lectures", 100_000_000, ("row 2", "lectures", "1000")),
    ("lectures-negative", "courses", "lectures", -1, ("row 2", "lectures", "below 0")),
    ("lectures-word", "courses", "lectures", "many", ("row 2", "lectures", "not a number")),
    ("lectures-fraction", "courses", "lectures", 2.5, ("row 2", "lectures", "not a whole number")),
    ("lectures-nan", "courses", "lectures", "nan", ("row 2", "lectures", "not a whole number")),
    ("lectures-inf", "courses", "lectures", "inf", ("row 2", "lectures", "not a whole number")),
    ("lectures-5000-digits", "courses", "lectures", "9" * 5000, ("row 2", "lectures", "1000")),
    ("students-3e9", "courses", "students", 3_000_000_000, ("row 2", "students", "100000")),
    ("min-days-3e9", "courses", "min_days", 3_000_000_000, ("row 2", "min_days", "31")),
    ("length-3e9", "courses", "length", 3_000_000_000, ("row 2", "length", "above")),
    ("capacity-1e30-number", "rooms", "capacity", 1e30, ("row 2", "capacity", "100000")),
    ("capacity-1e30-digits", "rooms", "capacity", "1" + "0" * 30, ("row 2", "capacity", "100000")),
    ("periods-per-day-3e9", "settings", "value", None, ("periods per day", "288")),
    ("days-0", "settings", "value", None, ("days", "below 1")),
    ("grid-1e5-by-1e5", "settings", "value", None, ("days", "31")),
    ("teacher-max-per-day-3e9", "teachers", "max_per_day", 3_000_000_000, ("row 2", "max_per_day", "288")),
    ("curriculum-max-per-day-1e20", "curricula", "max_per_day", 10 ** 20, ("row 2", "max_per_day", "288")),
    ("curriculum-year-3e9", "curricula", "year", 3_000_000_000, ("row 2", "year", "99")),
    ("student-year-1e20", "students", "year", 10 ** 20, ("row 2", "year", "99")),
    ("unavailability-day-3e9", "unavailability", "day", 3_000_000_000, ("row 2", "day", "above 4")),
    ("teacher-unavailability-period-negative", "teacher_unavailability", "period", -5, ("row 2", "period", "below 0")),
    ("course-name-100k-chars", "courses", "name", "x" * 100_000, ("row 2", "name", "1000 characters")),
]
_SETTINGS_ROWS = {"periods-per-day-3e9": {3: 3_000_000_000}, "days-0": {2: 0}, "grid-1e5-by-1e5": {2: 100_000, 3: 100_000}}


def _value_case(id: str, table: str, column: str, value, expect: tuple[str, ...], kind: str) -> None:
    def build(folder: Path) -> Path:
        tabs = tables()
        if id in _SETTINGS_ROWS:
            for row, v in _SETTINGS_ROWS[id].items():
                set_cell(tabs, "settings", row, "value", v)
        else:
            set_cell(tabs, table, 1, column, value)
        return _bundle(kind, tabs, folder)

    where = f"sheet {table}" if kind == "xlsx" else f"{table}.csv"
    CASES.append(Case(f"{kind}-{id}", kind, build, (where,) + expect))


for _kind in ("csv", "zip", "xlsx"):
    for _v in VALUES:
        _value_case(*_v, _kind)


def _many_lectures(kind: str) -> None:
    def build(folder: Path) -> Path:
        tabs = tables()
        tabs["courses"] += [[f"x{i}", "ann", 1000, 1, 10, 1, "Maths", "core", None, None] for i in range(250)]
        tabs["curriculum_courses"] = tabs["curriculum_courses"][:1]
        return _bundle(kind, tabs, folder)

    CASES.append(Case(f"{kind}-lectures-250k-in-all", kind, build, ("lectures in all", "200,000")))


def _grid_day_1e9(kind: str) -> None:
    def build(folder: Path) -> Path:
        tabs = tables()
        tabs["settings"] = tabs["settings"][:2]
        tabs["time_grid"] = [["day", "period", "label", "penalty"], [0, 0, "Mon 08:00", 0],
                             [1_000_000_000, 0, "far away", 0]]
        return _bundle(kind, tabs, folder)

    where = "sheet time_grid" if kind == "xlsx" else "time_grid.csv"
    CASES.append(Case(f"{kind}-time-grid-day-1e9", kind, build, (where, "row 3", "day", "30")))


def _grid_penalty(kind: str) -> None:
    def build(folder: Path) -> Path:
        tabs = tables()
        tabs["settings"] = tabs["settings"][:2]
        tabs["time_grid"] = [["day", "period", "label", "penalty"]] + [
            [d, s, f"day {d} period {s}", 10 ** 12 if (d, s) == (0, 1) else 0] for d in range(5) for s in range(4)]
        return _bundle(kind, tabs, folder)

    where = "sheet time_grid" if kind == "xlsx" else "time_grid.csv"
    CASES.append(Case(f"{kind}-time-grid-penalty-1e12", kind, build, (where, "row 3", "penalty", "1000")))


for _kind in ("csv", "zip", "xlsx"):
    _many_lectures(_kind)
    _grid_day_1e9(_kind)
    _grid_penalty(_kind)


# ---- CSV folders: structure


def _csv_edit(id: str, expect, edit, **kw):
    """A CSV folder case made by ``edit(folder)`` on a valid folder."""

    def build(folder: Path) -> Path:
        out = write_folder(tables(), folder / "bundle")
        edit(out)
        return out

    CASES.append(Case(f"csv-{id}", "csv", build, tuple(expect), **kw))


def _tab_edit(id: str, expect, edit, kinds=("csv",)):
    """A case per format made by ``edit(tables)``."""
    for kind in kinds:
        def build(folder: Path, kind=kind) -> Path:
            tabs = tables()
            edit(tabs)
            return _bundle(kind, tabs, folder)
        CASES.append(Case(f"{kind}-{id}", kind, build, tuple(expect)))


def _write(path: Path, data: bytes | str) -> None:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


_csv_edit("unknown-table", ("lecturers.csv", "unknown table"), lambda f: _write(f / "lecturers.csv", "name\nx\n"))
_csv_edit("missing-courses", ("missing file 'courses'",), lambda f: (f / "courses.csv").unlink())
_csv_edit("empty-courses-file", ("courses.csv", "missing column"), lambda f: _write(f / "courses.csv", b""))
_csv_edit("bom-only-courses-file", ("courses.csv", "missing column"), lambda f: _write(f / "courses.csv", b"\xef\xbb\xbf"))
_csv_edit("latin1", ("teachers.csv", "not UTF-8"),
          lambda f: _write(f / "teachers.csv", "name\nann\nbob\nMüller\n".encode("latin-1")))
_csv_edit("nul-bytes", ("rooms.csv",), lambda f: _write(f / "rooms.csv", b"name,capacity\nr1,4\x000\nr2,25\n"))
_csv_edit("field-over-128k", ("rooms.csv",),
          lambda f: _write(f / "rooms.csv", "name,capacity\n\"" + "x" * 200_000 + "\",4\nr2,25\n"))
_csv_edit("unterminated-quote", ("rooms.csv",), lambda f: _write(f / "rooms.csv", 'name,capacity\nr1,40\n"r2,25\n'))
_csv_edit("sparse-300MiB-file", ("courses.csv", "MB"), lambda f: os.truncate(f / "courses.csv", 300 * MiB))
_csv_edit("dev-zero-symlink", ("courses.csv", "not a regular file"),
          lambda f: ((f / "courses.csv").unlink(), os.symlink("/dev/zero", f / "courses.csv")))


def _bad_rows(f: Path, n: int) -> None:
    rows = ["student,course"] + [f"s1,nope{i}" for i in range(n)]
    _write(f / "enrolments.csv", "\n".join(rows) + "\n")


_csv_edit("300k-bad-rows", ("enrolments.csv", "row 2", "more"), lambda f: _bad_rows(f, 300_000))
_csv_edit("rows-over-1M", ("enrolments.csv", "1,000,000 rows"),
          lambda f: _write(f / "enrolments.csv", "student,course\n" + "s1,c1\n" * 1_000_001), slow=True)
_csv_edit("100k-columns", ("teachers.csv", "more"),
          lambda f: _write(f / "teachers.csv", ",".join(["name"] + [f"col{i}" for i in range(100_000)]) + "\nann\nbob\n"))

_tab_edit("missing-column", ("courses", "teacher", "missing column"),
          lambda t: [r.pop(1) for r in t["courses"]], kinds=("csv", "zip", "xlsx"))
_tab_edit("unknown-column", ("teachers", "max_per_week", "unknown column"),
          lambda t: t["teachers"][0].__setitem__(2, "max_per_week"), kinds=("csv", "xlsx"))
_tab_edit("duplicate-column", ("rooms", "appear twice"), lambda t: t["rooms"][0].__setitem__(4, "capacity"))
_tab_edit("unnamed-column", ("rooms", "without a name"), lambda t: t["rooms"][0].__setitem__(4, ""))
_tab_edit("stray-values", ("rooms", "row 3"), lambda t: t["rooms"][2].extend(["extra", "more"]),
          kinds=("csv", "xlsx"))
_tab_edit("duplicate-course", ("courses", "row 3", "duplicate name 'c1'"), lambda t: set_cell(t, "courses", 2, "name", "c1"),
          kinds=("csv", "xlsx"))
_tab_edit("unknown-teacher", ("courses", "row 2", "unknown teacher 'zed'"), lambda t: set_cell(t, "courses", 1, "teacher", "zed"))
_tab_edit("unknown-curriculum-course", ("curriculum_courses", "row 3", "unknown course 'c9'"),
          lambda t: set_cell(t, "curriculum_courses", 2, "course", "c9"))
_tab_edit("unknown-building", ("rooms", "row 3", "unknown building 'B9'"), lambda t: set_cell(t, "rooms", 2, "building", "B9"))
_tab_edit("unknown-room-type", ("courses", "row 3", "unknown room type 'aula'"),
          lambda t: set_cell(t, "courses", 2, "room_types", "aula"))
_tab_edit("empty-room-type", ("courses", "row 3", "an empty room type"),
          lambda t: set_cell(t, "courses", 2, "room_types", "lecture||lecture"))
_tab_edit("bad-category", ("courses", "row 2", "category 'mandatory'"), lambda t: set_cell(t, "courses", 1, "category", "mandatory"))
_tab_edit("unknown-setting", ("settings", "row 2", "unknown setting"), lambda t: set_cell(t, "settings", 1, "key", "colour"))
_tab_edit("setting-twice", ("settings", "row 3", "given twice"), lambda t: set_cell(t, "settings", 2, "key", "name"))
_tab_edit("unused-teacher", ("teachers", "row 4", "teaches no course"), lambda t: t["teachers"].append(["cy", "", 0]))
_tab_edit("enrolled-twice", ("enrolments", "row 3", "twice"), lambda t: set_cell(t, "enrolments", 2, "course", "c1"))
_tab_edit("unknown-student", ("enrolments", "row 3", "unknown student 's9'"), lambda t: set_cell(t, "enrolments", 2, "student", "s9"))
_tab_edit("rooms-and-room-types", ("course_rooms", "row 2", "one or the other"),
          lambda t: t.__setitem__("course_rooms", [["course", "room"], ["c2", "r1"]]))
_tab_edit("time-grid-hole", ("time_grid", "missing: day 0 period 1"), lambda t: t.__setitem__(
    "time_grid", [["day", "period"]] + [[d, s] for d in range(5) for s in range(4) if (d, s) != (0, 1)]))
_tab_edit("whitespace-name", ("teachers", "row 3", "missing value"), lambda t: set_cell(t, "teachers", 2, "name", "   "))


# ---- xlsx specific


def _xlsx(id: str, expect, build, **kw):
    CASES.append(Case(f"xlsx-{id}", "xlsx", build, tuple(expect), **kw))


def _valid_xlsx(folder: Path, tabs: dict | None = None) -> Path:
    return write_xlsx(tabs or tables(), folder / "valid.xlsx")


def _replace_part(folder: Path, part: str, entry: Entry, tabs: dict | None = None, out: str = "bundle.xlsx") -> Path:
    entries = [e for e in zip_entries(_valid_xlsx(folder, tabs)) if e.name != part]
    entries.append(named(entry, part))
    path = folder / out
    path.write_bytes(raw_zip(entries))
    return path


def _sheet_part(name: str) -> str:
    return f"xl/worksheets/sheet{list(BASE).index(name) + 1}.xml"


_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def _inline(col: str, row: int | None, text: str) -> bytes:
    ref = f' r="{col}{row}"' if row else ""
    return f'<c{ref} t="inlineStr"><is><t>{text}</t></is></c>'.encode()


_xlsx("not-a-zip", ("not a readable Excel workbook",), lambda f: (_write(f / "bundle.xlsx", "name,capacity\n"),
                                                                  f / "bundle.xlsx")[1])
_xlsx("empty-file", ("not a readable Excel workbook",), lambda f: (_write(f / "bundle.xlsx", b""), f / "bundle.xlsx")[1])
_xlsx("truncated", ("not a readable Excel workbook",),
      lambda f: (_write(f / "bundle.xlsx", _valid_xlsx(f).read_bytes()[:3000]), f / "bundle.xlsx")[1])
_xlsx("no-workbook-part", ("not a readable Excel workbook",), lambda f: (
    _write(f / "bundle.xlsx", raw_zip([e for e in zip_entries(_valid_xlsx(f)) if e.name != "xl/workbook.xml"])),
    f / "bundle.xlsx")[1])
_xlsx("broken-sheet-xml", ("not a readable Excel workbook", "ParseError"), lambda f: _replace_part(
    f, _sheet_part("rooms"), deflated(_SHEET_HEAD + b"<row r='1'><c r='A1' t='inlineStr'><is><t>name</t></is>")))
_xlsx("shared-strings-bomb-300MiB", ("MB",), lambda f: _replace_part(f, "xl/sharedStrings.xml", bomb(
    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    b'main" count="1" uniqueCount="1"><si><t>', b"A" * MiB, 300, b"</t></si></sst>")))
_xlsx("rows-bomb-300MiB", ("MB",), lambda f: _replace_part(f, _sheet_part("enrolments"), bomb(
    _SHEET_HEAD + b"<row>" + _inline("A", None, "student") + _inline("B", None, "course") + b"</row>",
    (b"<row>" + _inline("A", None, "s1") + _inline("B", None, "c1") + b"</row>") * 8000, 420, _SHEET_TAIL)))
_xlsx("far-column-rows", ("sheet enrolments", "cells"), lambda f: _replace_part(f, _sheet_part("enrolments"), bomb(
    _SHEET_HEAD + b"<row>" + _inline("A", None, "student") + _inline("B", None, "course") + b"</row>",
    (b"<row>" + _inline("XFD", 1, "x") + b"</row>") * 1000, 200, _SHEET_TAIL)))
_xlsx("row-1048576", ("sheet teachers", "1,000,000"), lambda f: _replace_part(f, _sheet_part("teachers"), deflated(
    _SHEET_HEAD + b'<row r="1">' + _inline("A", 1, "name") + b'</row><row r="2">' + _inline("A", 2, "ann")
    + b'</row><row r="1048576">' + _inline("A", 1048576, "bob") + b"</row>" + _SHEET_TAIL)))
_xlsx("20000-zip-entries", ("entries",), lambda f: (
    _write(f / "bundle.xlsx", raw_zip(zip_entries(_valid_xlsx(f)) + [named(deflated(b""), f"junk/{i}.bin")
                                                                    for i in range(20_000)])), f / "bundle.xlsx")[1])
_xlsx("unknown-sheet", ("sheet notes", "unknown table"), lambda f: _sheet_added(f))
_xlsx("boolean-lectures", ("sheet courses", "row 2", "lectures", "not a number"),
      lambda f: write_xlsx(set_cell(tables(), "courses", 1, "lectures", True), f / "bundle.xlsx"))
_xlsx("date-lectures", ("sheet courses", "row 2", "lectures", "not a number"), lambda f: _date_cell(f))
_xlsx("error-cell-lectures", ("sheet courses", "row 2", "lectures", "not a number"), lambda f: _error_cell(f))
_xlsx("formula-without-value", ("sheet courses", "row 2", "lectures", "missing value"),
      lambda f: write_xlsx(set_cell(tables(), "courses", 1, "lectures", "=1+2"), f / "bundle.xlsx"))


def _sheet_added(folder: Path) -> Path:
    tabs = tables()
    tabs["notes"] = [["text"], ["hello"]]
    return write_xlsx(tabs, folder / "bundle.xlsx")


def _date_cell(folder: Path) -> Path:
    import datetime

    return write_xlsx(set_cell(tables(), "courses", 1, "lectures", datetime.datetime(2026, 3, 1)), folder / "bundle.xlsx")


def _error_cell(folder: Path) -> Path:
    from openpyxl import load_workbook

    path = write_xlsx(tables(), folder / "bundle.xlsx")
    wb = load_workbook(path)
    cell = wb["courses"]["C2"]
    cell.value = "#DIV/0!"
    cell.data_type = "e"
    wb.save(path)
    return path


def _stale_dimension(folder: Path) -> Path:
    """18 teacher-unavailability rows under a sheet that declares only ``A1:C2``."""
    tabs = tables()
    tabs["teacher_unavailability"] = [["teacher", "day", "period"]] + [["bob", d, s] for d in range(5) for s in range(4)
                                                                         if (d, s) not in ((0, 0), (0, 1))]
    path = write_xlsx(tabs, folder / "valid.xlsx")
    entries = zip_entries(path)
    part = _sheet_part("teacher_unavailability")
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(part)
    start = xml.index(b"<dimension ref=\"") + len(b"<dimension ref=\"")
    xml = xml[:start] + b"A1:C2" + xml[xml.index(b'"', start):]
    entries = [e for e in entries if e.name != part] + [named(deflated(xml), part)]
    out = folder / "bundle.xlsx"
    out.write_bytes(raw_zip(entries))
    return out


CASES.append(Case("xlsx-stale-dimension", "xlsx", _stale_dimension, accept=True,
                  check=lambda pb: int(pb.teacher_unavailable.sum()) == 18))


# ---- zips of CSV tables


def _zip(id: str, expect, build, **kw):
    CASES.append(Case(f"zip-{id}", "zip", build, tuple(expect), **kw))


def _zip_of(folder: Path, entries: list[Entry]) -> Path:
    path = folder / "bundle.zip"
    path.write_bytes(raw_zip(entries))
    return path


def _csv_entries(tabs: dict | None = None, prefix: str = "bundle/") -> list[Entry]:
    return [named(deflated(csv_text(rows).encode()), f"{prefix}{t}.csv") for t, rows in (tabs or tables()).items()]


def _swap(entries: list[Entry], name: str, new: Entry) -> list[Entry]:
    return [named(new, name) if e.name == name else e for e in entries]


_zip("not-a-zip", ("not a zip",), lambda f: (_write(f / "bundle.zip", "hello"), f / "bundle.zip")[1])
_zip("empty-file", ("not a zip",), lambda f: (_write(f / "bundle.zip", b""), f / "bundle.zip")[1])
_zip("truncated", ("not a zip",), lambda f: (_write(f / "bundle.zip", write_zip(tables(), f / "x.zip").read_bytes()[:500]),
                                            f / "bundle.zip")[1])
_zip("bomb-300MiB", ("bundle/enrolments.csv", "MB"), lambda f: _zip_of(f, _swap(
    _csv_entries(), "bundle/enrolments.csv", bomb(b"student,course\n", b"s1,c1\n" * 100_000, 500, b""))))
_zip("bad-crc", ("bundle/rooms.csv",), lambda f: _zip_of(f, _swap(
    _csv_entries(), "bundle/rooms.csv", Entry("", deflated(b"name,capacity\nr1,40\nr2,25\n").data, 1234, 25))))
_zip("size-lie", ("bundle/rooms.csv",), lambda f: _zip_of(f, _swap(
    _csv_entries(), "bundle/rooms.csv", _lying(b"name,capacity\nr1,40\nr2,25\n" + b"r3,1\n" * 100_000))))
_zip("deflate64", ("bundle/rooms.csv", "compression"), lambda f: _zip_of(f, _swap(
    _csv_entries(), "bundle/rooms.csv", _method(deflated(b"name,capacity\nr1,40\nr2,25\n"), 9))))
_zip("encrypted", ("bundle/rooms.csv", "encrypted"), lambda f: _zip_of(f, _swap(
    _csv_entries(), "bundle/rooms.csv", _flags(deflated(b"name,capacity\nr1,40\nr2,25\n"), 1))))
_zip("path-traversal", ("unsafe path",), lambda f: _zip_of(f, _csv_entries(prefix="../")))
_zip("absolute-path", ("unsafe path",), lambda f: _zip_of(f, _csv_entries(prefix="/tmp/")))
_zip("two-folders", ("several folders",), lambda f: _zip_of(
    f, _csv_entries() + [named(deflated(b"name\nx\n"), "other/teachers.csv")]))
_zip("no-csv", ("no .csv",), lambda f: _zip_of(f, [named(deflated(b"hello"), "readme.txt")]))
_zip("duplicate-entry", ("bundle/rooms.csv", "twice"), lambda f: _zip_of(
    f, _csv_entries() + [named(deflated(b"name,capacity\nr9,10\n"), "bundle/rooms.csv")]))
_zip("20000-entries", ("entries",), lambda f: _zip_of(
    f, _csv_entries() + [named(deflated(b""), f"bundle/junk/{i}.txt") for i in range(20_000)]))
_zip("zip-in-zip", ("no .csv",), lambda f: _zip_of(
    f, [named(deflated(write_zip(tables(), f / "inner.zip").read_bytes()), "inner.zip")]))


def _lying(payload: bytes) -> Entry:
    e = deflated(payload)
    e.size = 25  # the headers claim 25 bytes
    return e


def _method(e: Entry, method: int) -> Entry:
    e.method = method
    return e


def _flags(e: Entry, flags: int) -> Entry:
    e.flags = flags
    return e


# ---- ITC2007 .ctt files


def _ctt(id: str, expect, text: str | bytes | Callable[[Path], Path], **kw):
    def build(folder: Path) -> Path:
        if callable(text):
            return text(folder)
        path = folder / "corpus.ctt"
        _write(path, text)
        return path

    CASES.append(Case(f"ctt-{id}", "ctt", build, tuple(expect), **kw))


def _sub(old: str, new: str) -> str:
    assert old in CTT, old
    return CTT.replace(old, new, 1)


_ctt("empty", ("line 1", "empty"), "")
_ctt("nul-byte", ("line 1", "NUL"), "Name: x\0\n")
_ctt("latin1", ("line 1", "UTF-8"), "Name: Müller\n".encode("latin-1"))
_ctt("no-header", ("line 1", "Name:"), CTT.split("\n", 1)[1])
_ctt("count-word", ("line 2", "Courses"), _sub("Courses: 2", "Courses: many"))
_ctt("count-negative", ("line 3", "Rooms", "negative"), _sub("Rooms: 2", "Rooms: -2"))
_ctt("days-0", ("line 4", "Days", "at least 1"), _sub("Days: 5", "Days: 0"))
_ctt("grid-1e5-by-1e5", ("line 4", "Days", "31"), _sub("Days: 5\nPeriods_per_day: 4", "Days: 100000\nPeriods_per_day: 100000"))
_ctt("periods-per-day-3e9", ("line 5", "Periods_per_day", "288"), _sub("Periods_per_day: 4", "Periods_per_day: 3000000000"))
_ctt("days-1e6", ("line 4", "Days", "31"), _sub("Days: 5", "Days: 1000000"))
_ctt("periods-2016-exceeded", ("line 5", "periods", "2016"), _sub("Days: 5\nPeriods_per_day: 4", "Days: 31\nPeriods_per_day: 288"))
_ctt("lectures-1e20-digits", ("line 10", "lectures", "1000"), _sub("c1 ann 3 2 30", "c1 ann 100000000000000000000 2 30"))
_ctt("lectures-1e20-exponent", ("line 10", "lectures", "whole number"), _sub("c1 ann 3 2 30", "c1 ann 1e20 2 30"))
_ctt("lectures-3e9", ("line 10", "lectures", "1000"), _sub("c1 ann 3 2 30", "c1 ann 3000000000 2 30"))
_ctt("lectures-1e12", ("line 10", "lectures", "1000"), _sub("c1 ann 3 2 30", "c1 ann 1000000000000 2 30"))
_ctt("lectures-1e8", ("line 10", "lectures", "1000"), _sub("c1 ann 3 2 30", "c1 ann 100000000 2 30"))
_ctt("lectures-5000-digits", ("line 10", "lectures", "1000"), _sub("c1 ann 3 2 30", "c1 ann " + "9" * 5000 + " 2 30"))
_ctt("students-3e9", ("line 10", "students", "100000"), _sub("c1 ann 3 2 30", "c1 ann 3 2 3000000000"))
_ctt("min-days-3e9", ("line 10", "minimum working days", "31"), _sub("c1 ann 3 2 30", "c1 ann 3 3000000000 30"))
_ctt("capacity-1e30", ("line 14", "capacity", "100000"), _sub("r1 40", "r1 1" + "0" * 30))
_ctt("unavailability-day-3e9", ("line 21", "day", "between 0 and 4"), _sub("c1 0 0\n", "c1 3000000000 0\n"))
_ctt("curriculum-count-1e20", ("line 18", "curriculum q1"), _sub("q1 2 c1 c2", "q1 100000000000000000000 c1 c2"))
_ctt("rooms-declared-1e9", ("line 3", "Rooms", "5000"), _sub("Rooms: 2", "Rooms: 1000000000"))
_ctt("duplicate-course", ("line 11", "duplicate course"), _sub("c2 bob", "c1 bob"))
_ctt("unknown-curriculum-course", ("line 18", "unknown course"), _sub("q1 2 c1 c2", "q1 2 c1 c9"))
_ctt("truncated", ("truncated",), CTT[:CTT.index("ROOMS:")])
_ctt("text-after-end", ("after 'END.'",), CTT + "\nmore text\n")
_ctt("course-line-4-fields", ("line 11", "5 fields"), _sub("c2 bob 2 2 20", "c2 bob 2 2"))
_ctt("constraints-declared-3e9", ("line 7", "Constraints"), _sub("Constraints: 1", "Constraints: 3000000000"))


def _ctt_many_lectures(folder: Path) -> Path:
    n = 250
    courses = "\n".join(f"x{i} t{i % 7} 1000 1 10" for i in range(n))
    text = (f"Name: many\nCourses: {n}\nRooms: 1\nDays: 5\nPeriods_per_day: 4\nCurricula: 0\nConstraints: 0\n\n"
            f"COURSES:\n{courses}\n\nROOMS:\nr1 40\n\nCURRICULA:\n\nUNAVAILABILITY_CONSTRAINTS:\n\nEND.\n")
    path = folder / "many.ctt"
    _write(path, text)
    return path


def _ctt_many_courses(folder: Path) -> Path:
    n = 30_000
    courses = "\n".join(f"x{i} t{i % 900} 1 1 10" for i in range(n))
    text = (f"Name: many\nCourses: {n}\nRooms: 1\nDays: 5\nPeriods_per_day: 4\nCurricula: 0\nConstraints: 0\n\n"
            f"COURSES:\n{courses}\n\nROOMS:\nr1 40\n\nCURRICULA:\n\nUNAVAILABILITY_CONSTRAINTS:\n\nEND.\n")
    path = folder / "many.ctt"
    _write(path, text)
    return path


def _ctt_sparse(folder: Path) -> Path:
    path = folder / "huge.ctt"
    path.write_bytes(b"")
    os.truncate(path, 300 * MiB)
    return path


def _ctt_dev_zero(folder: Path) -> Path:
    path = folder / "zero.ctt"
    os.symlink("/dev/zero", path)
    return path


_ctt("lectures-250k-in-all", ("lectures in all", "200,000"), _ctt_many_lectures)
_ctt("courses-30000", ("line 2", "Courses", "20000"), _ctt_many_courses)
_ctt("sparse-300MiB", ("MB",), _ctt_sparse)
_ctt("dev-zero-symlink", ("MB",), _ctt_dev_zero)


# ---- extended curriculum-based .ectt files

ECTT = """Name: corpus
Courses: 2
Rooms: 2
Days: 5
Periods_per_day: 4
Curricula: 1
Min_Max_Daily_Lectures: 1 3
UnavailabilityConstraints: 1
RoomConstraints: 1

COURSES:
c1 ann 3 2 30 1
c2 bob 2 2 20 0

ROOMS:
r1 40 0
r2 30 1

CURRICULA:
q1 2 c1 c2

UNAVAILABILITY_CONSTRAINTS:
c1 0 0

ROOM_CONSTRAINTS:
c2 r1

END.
"""


def _ectt(id: str, expect, text: str):
    def build(folder: Path) -> Path:
        path = folder / "corpus.ectt"
        _write(path, text)
        return path

    CASES.append(Case(f"ectt-{id}", "ectt", build, tuple(expect)))


def _esub(old: str, new: str) -> str:
    assert old in ECTT, old
    return ECTT.replace(old, new, 1)


_ectt("empty", ("line 1", "empty"), "")
_ectt("ctt-header", ("line 7", "Min_Max_Daily_Lectures", ".ctt"), CTT)
_ectt("min-above-max", ("line 7", "minimum", "between 0 and 3"), _esub("Lectures: 1 3", "Lectures: 4 3"))
_ectt("max-0", ("line 7", "maximum", "at least 1"), _esub("Lectures: 1 3", "Lectures: 0 0"))
_ectt("min-max-one-number", ("line 7", "exactly 2 numbers"), _esub("Lectures: 1 3", "Lectures: 3"))
_ectt("room-constraints-1e12", ("line 9", "RoomConstraints"), _esub("RoomConstraints: 1", "RoomConstraints: 1000000000000"))
_ectt("double-flag-2", ("line 12", "double-lectures", "c1"), _esub("c1 ann 3 2 30 1", "c1 ann 3 2 30 2"))
_ectt("course-5-fields", ("line 13", "6 fields"), _esub("c2 bob 2 2 20 0", "c2 bob 2 2 20"))
_ectt("room-no-site", ("line 16", "3 fields"), _esub("r1 40 0", "r1 40"))
_ectt("site-word", ("line 17", "site", "whole number"), _esub("r2 30 1", "r2 30 north"))
_ectt("site-1e9", ("line 17", "site", "5000"), _esub("r2 30 1", "r2 30 1000000000"))
_ectt("unavailability-period-4", ("line 23", "period", "between 0 and 3"), _esub("c1 0 0\n", "c1 0 4\n"))
_ectt("room-constraint-unknown-room", ("line 26", "unknown room"), _esub("c2 r1", "c2 r9"))
_ectt("room-constraint-unknown-course", ("line 26", "unknown course"), _esub("c2 r1", "c9 r1"))
_ectt("room-constraint-3-fields", ("line 26", "2 fields"), _esub("c2 r1", "c2 r1 r2"))
_ectt("room-constraints-fewer", ("line 27", "RoomConstraints: 2"), _esub("RoomConstraints: 1", "RoomConstraints: 2"))
_ectt("truncated", ("truncated",), ECTT[:ECTT.index("ROOM_CONSTRAINTS:")])
_ectt("text-after-end", ("after 'END.'",), ECTT + "\nmore text\n")


# ====================================================================================== verdict counts

_RUN = r"""
import resource, sys, traceback
kind, path, db, limit = sys.argv[1:5]
resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
try:
    if kind == "zip" and "--upload" in sys.argv:
        from tt_core.services import Studio
        from tt_core.store import Store
        from tt_core.errors import TimetableError
        with Store.open(db) as store:
            try:
                Studio(store).files.import_file(path.rsplit("/", 1)[-1], open(path, "rb").read(), "corpus")
            except TimetableError as exc:
                print("error:", exc, file=sys.stderr)
                sys.exit(2)
        sys.exit(0)
    from tt_core.cli import main
    sys.exit(main(["import", path, "--db", db, "--scenario", "corpus"]))
except SystemExit:
    raise
except BaseException:
    traceback.print_exc()
    sys.exit(1)
"""


def verdict(c: Case, *, timeout: float, memory: int, upload: bool) -> tuple[str, float, str]:
    """``(verdict, seconds, last line of stderr)`` of importing case ``c`` in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="tt-corpus-") as tmp:
        src = c.build(Path(tmp))
        db = Path(tmp) / "corpus.duckdb"
        args = [sys.executable, "-c", _RUN, c.kind, str(src), str(db), str(memory)] + (["--upload"] if upload else [])
        t0 = time.perf_counter()
        try:
            res = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", time.perf_counter() - t0, ""
        took = time.perf_counter() - t0
        err = res.stderr.strip().splitlines()
        last = err[-1][:160] if err else ""
        if res.returncode == 2 and "Traceback" not in res.stderr:
            return "clean error", took, last
        if res.returncode == 0:
            if c.accept and c.check is not None:
                ok = _check_in_db(db, c)
                return ("accepted correctly" if ok else "accepted (data lost)"), took, last
            return "accepted", took, last
        if "MemoryError" in res.stderr:
            return "memory", took, last
        return "traceback", took, last


def _check_in_db(db: Path, c: Case) -> bool:
    code = ("import sys; from tt_core.store import Store\n"
            "with Store.open(sys.argv[1]) as s: pb = s.scenarios.load_problem('corpus')\n"
            "print(int(pb.teacher_unavailable.sum()))")
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True).stdout.strip()
    return out == "18"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--memory-gib", type=float, default=4.0)
    ap.add_argument("--upload", action="store_true", help="zips through the apps' upload (Studio.files.import_file)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("-k", default="", help="only cases whose id contains this")
    args = ap.parse_args(argv)
    counts: dict[str, int] = {}
    for c in CASES:
        if args.k not in c.id:
            continue
        v, took, last = verdict(c, timeout=args.timeout, memory=int(args.memory_gib * 2**30), upload=args.upload)
        counts[v] = counts.get(v, 0) + 1
        if args.verbose:
            print(f"{c.id:45s} {v:22s} {took:6.1f}s  {last}", flush=True)
    total = sum(counts.values())
    print(f"{total} cases: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda x: -x[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
