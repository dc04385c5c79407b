"""Raw tables from where a bundle lives: a CSV folder, a list of CSV files, a zip of CSV files or an
``.xlsx`` workbook (on disk or as uploaded bytes).

This layer only turns files into rows of trimmed cells, within :mod:`tt_core.limits`: the bytes read
(a zip or workbook counted unpacked, see :mod:`tt_core.io.guard`), the rows of a table
(:data:`~tt_core.limits.MAX_ROWS`, by the row number a spreadsheet shows) and the cells of a workbook
(:data:`~tt_core.limits.MAX_CELLS`, empty cells included, since a row as wide as its last cell could
otherwise make one short line cost millions of cells). A workbook's sheets are read to their last
row whatever size the sheet declares (a stale ``<dimension>`` would otherwise hide rows). What is
wrong with a file is collected in :class:`Problems`; :mod:`tt_core.io.tables.reading` checks values.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ... import limits
from ...errors import ProblemFormatError, ValidationError
from ..guard import open_zip, read_file, read_member
from .catalogue import CSV_FORMULA_START, TABLES

__all__ = ["Row", "Problems", "RawTable", "add_csv", "parse_csv", "read_csv_folder", "read_csv_files", "read_csv_zip",
           "read_workbook", "extract_csv_zip", "norm", "unescape_csv"]

_UNESCAPE = re.compile("'+[" + re.escape("".join(CSV_FORMULA_START)) + "]")


@dataclass
class Row:
    """One record of a table: where it is (``"courses.csv"`` or ``"sheet courses"``), its row number
    as the user sees it, and its cells by column name."""

    where: str
    number: int
    values: dict[str, Any]


@dataclass
class RawTable:
    """A table as read: where it is, its (normalised) header and its non-empty rows."""

    where: str
    header: list[str]
    rows: list[Row]


class Problems:
    """What is wrong, in the order found: ``"<where>, row <n>, column <c>: <reason>"``.

    Keeps the first :data:`~tt_core.limits.MAX_REPORTED_ERRORS` and counts the rest, so a file of
    millions of bad rows costs a counter, not gigabytes of messages.
    """

    def __init__(self, limit: int = limits.MAX_REPORTED_ERRORS):
        self.items: list[str] = []
        self.omitted = 0
        self.limit = limit

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.omitted

    def add(self, row: Row | None, column: str | None, reason: str, where: str | None = None) -> None:
        if len(self.items) >= self.limit:
            self.omitted += 1
            return
        place = where or (row.where if row else "")
        if row is not None:
            place += f", row {row.number}"
        if column:
            place += f", column {column}"
        self.items.append(f"{place}: {reason}")

    def raise_if_any(self, title: str) -> None:
        if self.items:
            raise ValidationError(self.items, title=title, omitted=self.omitted)


def norm(header) -> str:
    """A header or table name as the catalogue spells it: trimmed, lower case, spaces and ``-`` as ``_``."""
    return str(header if header is not None else "").strip().lower().replace(" ", "_").replace("-", "_")


def unescape_csv(text: str) -> str:
    """Undo the CSV export's formula guard: one leading apostrophe before ``= + - @`` goes."""
    return text[1:] if _UNESCAPE.match(text) else text


def _cell(value, *, csv_text: bool = False) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if csv_text:
            value = unescape_csv(value)
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_TOO_MANY_ROWS = (f"more than {limits.MAX_ROWS:,} rows; a table is read up to row {limits.MAX_ROWS + 1:,} "
                  "(tt_core.limits.MAX_ROWS): split the data")


# ====================================================================================== CSV


def parse_csv(name: str, data: bytes, problems: Problems) -> RawTable | None:
    """One CSV file (UTF-8, ``,`` or ``;`` separated) as a raw table; ``None`` (with the problem
    recorded) when it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8", where=name)
        return None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                header = [norm(h) for h in record]
                continue
            if reader.line_num > limits.MAX_ROWS + 1:
                problems.add(None, None, _TOO_MANY_ROWS, where=name)
                return None
            values = [_cell(v, csv_text=True) for v in record]
            if all(v is None for v in values):
                continue
            if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                problems.add(Row(name, start, {}), None,
                             f"{len(values)} values for {len(header)} columns (a stray {delimiter!r}?)")
                continue
            rows.append(Row(name, start, dict(zip(header, values))))
    except csv.Error as exc:
        problems.add(None, None, f"line {reader.line_num}: {exc}", where=name)
        return None
    return RawTable(name, header or [], rows)


def add_csv(out: dict[str, RawTable], name: str, data: bytes, problems: Problems) -> None:
    """Parse the CSV file ``name`` (``<table>.csv``) into ``out[table]``; an unknown or repeated table
    is a problem."""
    table = norm(Path(name).stem)
    if table not in TABLES:
        problems.add(None, None, f"unknown table; the tables are: {', '.join(TABLES)} (rename or remove the file)",
                     where=name)
        return
    if table in out:
        problems.add(None, None, f"a second file for table {table!r} (the first is {out[table].where}); keep one",
                     where=name)
        return
    raw = parse_csv(name, data, problems)
    if raw is not None:
        out[table] = raw


def _read_paths(paths: Iterable[Path], problems: Problems) -> dict[str, RawTable]:
    paths = list(paths)
    for p in [p for p in paths if not stat.S_ISREG(p.stat().st_mode)]:
        problems.add(None, None, "not a regular file (a device, a pipe or a folder); give a CSV file", where=p.name)
        paths.remove(p)
    sizes = [p.stat().st_size for p in paths]
    if sum(sizes) > limits.MAX_INPUT_BYTES:
        biggest = max(range(len(paths)), key=sizes.__getitem__)
        raise ProblemFormatError(f"the CSV files hold {sum(sizes) / 2**20:.3g} MB ({paths[biggest].name}: "
                                 f"{sizes[biggest] / 2**20:.3g} MB); an import reads at most "
                                 f"{limits.MAX_INPUT_BYTES / 2**20:.3g} MB (tt_core.limits.MAX_INPUT_BYTES)",
                                 path=str(paths[biggest]))
    out: dict[str, RawTable] = {}
    budget = limits.MAX_INPUT_BYTES
    for p in paths:
        data = read_file(p, limit=budget, name=p.name)
        budget -= len(data)
        add_csv(out, p.name, data, problems)
    return out


def read_csv_folder(folder: Path, problems: Problems) -> dict[str, RawTable]:
    """The ``*.csv`` files of a folder (other files are ignored), by table."""
    return _read_paths((p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".csv" and not p.is_dir()),
                       problems)


def read_csv_files(paths: Iterable[str | os.PathLike], problems: Problems) -> dict[str, RawTable]:
    """CSV files given one by one (each named ``<table>.csv``), by table."""
    files = [Path(p) for p in paths]
    for p in files:
        if p.suffix.lower() != ".csv":
            raise ProblemFormatError("give CSV files named after their table (courses.csv, rooms.csv …), a folder "
                                     "of them, a .zip of them or an .xlsx workbook", path=str(p))
        if not p.exists():
            raise FileNotFoundError(2, "No such file or directory", str(p))
    return _read_paths(files, problems)


# ====================================================================================== zip of CSV files


def csv_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """The CSV tables of a zip: every ``.csv`` member of its one folder (hidden files and macOS
    ``__MACOSX`` copies skipped); refuses unsafe paths, CSV files in several folders and a name
    given twice."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    for i in infos:
        parts = PurePosixPath(i.filename.replace("\\", "/")).parts
        if i.filename.startswith(("/", "\\")) or ".." in parts or re.match(r"[A-Za-z]:", i.filename):
            raise ProblemFormatError(f"refusing the unsafe path {i.filename!r} inside the zip", path=name)
    csvs = [i for i in infos if i.filename.lower().endswith(".csv") and not os.path.basename(i.filename).startswith(".")
            and "__MACOSX" not in i.filename]
    if not csvs:
        raise ProblemFormatError("holds no .csv tables (expected courses.csv, rooms.csv, teachers.csv …)", path=name)
    folders = {os.path.dirname(i.filename) for i in csvs}
    if len(folders) != 1:
        raise ProblemFormatError(f"has CSV files in several folders ({', '.join(sorted(folders))}); put the tables "
                                 "of one scenario in one folder", path=name)
    seen: set[str] = set()
    for i in csvs:
        if i.filename in seen:
            raise ProblemFormatError(f"holds {i.filename} twice; keep one", path=name)
        seen.add(i.filename)
    return csvs


def read_csv_zip(source: bytes | str | os.PathLike, name: str, problems: Problems) -> dict[str, RawTable]:
    """The CSV tables of a zip (its bytes or its file), by table; ``name`` names it in messages."""
    out: dict[str, RawTable] = {}
    with open_zip(source, name=name) as zf:
        for info in csv_members(zf, name):
            add_csv(out, os.path.basename(info.filename), read_member(zf, info, name=name), problems)
    return out


def extract_csv_zip(data: bytes, into: Path, name: str, limit: int = limits.MAX_INPUT_BYTES) -> Path:
    """Unpack the CSV tables of a zip into the new folder ``into/tables``, within the limits (``limit``:
    the most it may unpack to); returns it.

    For callers that want the files on disk; :func:`read_csv_zip` reads them without unpacking.
    """
    folder = into / "tables"
    folder.mkdir(parents=True, exist_ok=False)
    with open_zip(data, name=name, limit=limit) as zf:
        for info in csv_members(zf, name):
            (folder / os.path.basename(info.filename)).write_bytes(read_member(zf, info, name=name))
    return folder


# ====================================================================================== workbook


class _Cells:
    """The workbook-wide budget of cells (:data:`~tt_core.limits.MAX_CELLS`)."""

    def __init__(self):
        self.left = limits.MAX_CELLS

    def spend(self, n: int, where: str, name: str) -> None:
        self.left -= max(n, 1)
        if self.left < 0:
            raise ProblemFormatError(f"{where}: the workbook has more than {limits.MAX_CELLS:,} cells (empty cells "
                                     "left of a value count too; tt_core.limits.MAX_CELLS); delete unused rows and "
                                     "columns or split the data", path=name)


def read_workbook(source: bytes | str | os.PathLike, name: str, problems: Problems) -> dict[str, RawTable]:
    """The sheets of an ``.xlsx`` workbook (its bytes or its file), by table; ``name`` names it."""
    from openpyxl import load_workbook

    with open_zip(source, name=name, what="readable Excel workbook (.xlsx)"):
        pass  # the member count, unpacked size and compression are fine: openpyxl may unpack it
    try:
        wb = load_workbook(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source,
                           read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, XML errors…) on a bad file
        raise ProblemFormatError(f"not a readable Excel workbook (.xlsx): {type(exc).__name__}: {exc}",
                                 path=name) from None
    out: dict[str, RawTable] = {}
    cells = _Cells()
    try:
        for ws in wb.worksheets:
            table = norm(ws.title)
            where = f"sheet {ws.title}"
            if table not in TABLES:
                problems.add(None, None, f"unknown table; the sheets are: {', '.join(TABLES)} (rename or delete it)",
                             where=where)
                continue
            raw = _read_sheet(ws, where, name, problems, cells)
            if raw is not None:
                out[table] = raw
    finally:
        wb.close()
    return out


def _read_sheet(ws, where: str, name: str, problems: Problems, cells: _Cells) -> RawTable | None:
    ws.reset_dimensions()  # read to the last row and column, not to the size the sheet declares
    header: list[str] | None = None
    rows: list[Row] = []
    number = 0
    try:
        for number, record in enumerate(ws.iter_rows(values_only=True), start=1):
            cells.spend(len(record), where, name)
            if number > limits.MAX_ROWS + 1:
                problems.add(None, None, _TOO_MANY_ROWS, where=where)
                return None
            values = [_cell(v) for v in record]
            if header is None:
                if any(v is not None for v in values):  # rows before the header may be empty
                    header = [norm(h) for h in record]
                    while header and header[-1] == "":
                        header.pop()
                continue
            if all(v is None for v in values):
                continue
            if len(values) > len(header) and any(v is not None for v in values[len(header):]):
                problems.add(Row(where, number, {}), None, "a value right of the last named column; give that "
                             "column a name or delete the value")
                continue
            rows.append(Row(where, number, dict(zip(header, values))))
    except (MemoryError, ProblemFormatError):
        raise
    except Exception as exc:  # a damaged sheet: XML or zip errors surface while iterating
        raise ProblemFormatError(f"{where}, row {number + 1} cannot be read ({type(exc).__name__}: {exc}); the "
                                 "workbook is damaged: open and save it again in a spreadsheet program",
                                 path=name) from None
    return RawTable(where, header or [], rows)
