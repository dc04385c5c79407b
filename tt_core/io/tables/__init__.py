"""Timetabling data as a bundle of tables: a folder of CSV files (or the files one by one, or a zip of
them) or one Excel workbook. The format is documented for users in ``docs/data-format.md``.

Each table is a CSV file ``<table>.csv`` or a sheet named ``<table>``; the first row holds the column
names (any case; spaces count as ``_``), every other non-empty row is one record, cells are trimmed.
Days, periods within a day and building numbers are 0-based, as in ITC2007 files. The tables and
columns are those of :data:`~tt_core.io.tables.catalogue.CATALOGUE` (also :data:`TABLES`):
``teachers``, ``courses`` and ``rooms`` are required; ``settings`` or ``time_grid`` give the grid.

Every teacher and department row must be used (a teacher teaches a course, a department has one),
or the import says so: nothing is silently dropped. Without a ``buildings`` table, buildings are
numbered in order of first appearance in ``rooms``; a room without a building has none (-1). A course
that is one section of a split offering names it in the ``offering`` column of ``courses``; a student
takes at most one section of an offering. Two courses sharing an enrolled student may not overlap
(``StudentClashes``).

:func:`read_tables` checks everything and reports *every* bad row at once — file or sheet, the row
number as the spreadsheet shows it, the column and the reason — in one
:class:`~tt_core.errors.ValidationError`; nothing is imported then. Numbers are checked against
:mod:`tt_core.limits` and files against its size, row and cell caps. :func:`write_tables` writes a
problem so that :func:`read_tables` reads back an identical problem; :func:`write_template` writes an
example bundle; :func:`write_assignments_csv` writes a timetable as one CSV row per lecture.

Layout: :mod:`.catalogue` (the tables and columns), :mod:`.sources` (files to raw rows, within the
caps), :mod:`.reading` (raw rows to a problem), :mod:`.writing`, :mod:`.template`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ... import limits
from ...errors import ProblemFormatError
from .catalogue import (
    CATALOGUE,
    CSV_FORMULA_START,
    REQUIRED_TABLES,
    ROOM_TYPE_SEPARATOR,
    SETTINGS,
    TABLES,
    Column,
    Table,
)
from .reading import BundleReader, TableBundle
from .sources import (
    Problems,
    add_csv,
    extract_csv_zip,
    read_csv_files,
    read_csv_folder,
    read_csv_zip,
    read_workbook,
    unescape_csv,
)
from .template import example_problem, write_template
from .writing import csv_cell, write_assignments_csv, write_tables

__all__ = ["read_tables", "read_uploaded_tables", "write_tables", "write_assignments_csv", "write_template",
           "example_problem", "extract_csv_zip", "csv_cell", "unescape_csv", "TableBundle", "CATALOGUE", "Table",
           "Column", "TABLES", "REQUIRED_TABLES", "SETTINGS", "ROOM_TYPE_SEPARATOR", "CSV_FORMULA_START",
           "WORKBOOK_SUFFIXES"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_KINDS = "a folder of CSV files or an .xlsx workbook (or CSV files given one by one, or a .zip of them)"


def read_tables(path: str | os.PathLike | Sequence[str | os.PathLike]) -> TableBundle:
    """Read a bundle into a problem (see the module doc for the tables).

    Parameters
    ----------
    path : path or sequence of paths
        A folder of ``<table>.csv`` files, an ``.xlsx`` workbook, a ``.zip`` of CSV files, or CSV
        files (a list, or one ``.csv`` path).

    Returns
    -------
    TableBundle

    Raises
    ------
    ValidationError
        Listing every bad row: missing table or column, unknown column, unknown teacher / course /
        room / curriculum / building / department / room type, a value that is not a number or out
        of its range, duplicate names, unused teachers, an incomplete time grid (at most
        :data:`~tt_core.limits.MAX_REPORTED_ERRORS` listed, the rest counted).
    ProblemFormatError
        Not a bundle, an unreadable or damaged file, or a file beyond the size, row or cell caps.
    FileNotFoundError
        The path does not exist.
    """
    problems = Problems()
    if not isinstance(path, (str, os.PathLike)):
        files = [Path(p) for p in path]
        if not files:
            raise ProblemFormatError(f"no files given; expected {_KINDS}", path="tables")
        raw = read_csv_files(files, problems)
        source = ", ".join(p.name for p in files) if len(files) <= 3 else f"{files[0].parent} ({len(files)} files)"
        return BundleReader(raw, "file", source, files[0].parent.name, problems).read()
    src = Path(path)
    suffix = src.suffix.lower()
    if src.is_dir():
        raw, kind = read_csv_folder(src, problems), "file"
    elif not src.exists():
        raise FileNotFoundError(2, "No such file or directory", str(src))
    elif suffix in WORKBOOK_SUFFIXES:
        raw, kind = read_workbook(src, str(src), problems), "sheet"
    elif suffix == ".zip":
        raw, kind = read_csv_zip(src, str(src), problems), "file"
    elif suffix == ".csv":
        raw, kind = read_csv_files([src], problems), "file"
    else:
        raise ProblemFormatError(f"expected {_KINDS}", path=str(src))
    return BundleReader(raw, kind, str(src), src.stem, problems).read()


def read_uploaded_tables(files: Mapping[str, bytes]) -> TableBundle:
    """Read an uploaded bundle: one ``.xlsx`` workbook, one ``.zip`` of CSV files, or CSV files.

    Parameters
    ----------
    files : mapping of str to bytes
        File name (as the user named it; folders are ignored) to content.

    Returns
    -------
    TableBundle

    Raises
    ------
    ValidationError, ProblemFormatError
        As :func:`read_tables`; messages name the uploaded files.
    """
    # browsers send a base name, but some older ones the whole Windows path
    names = {n.replace("\\", "/").rsplit("/", 1)[-1]: data for n, data in files.items()}
    problems = Problems()
    if not names:
        raise ProblemFormatError(f"no files given; expected {_KINDS}", path="the upload")
    first = next(iter(names))
    suffixes = {Path(n).suffix.lower() for n in names}
    if len(names) == 1 and suffixes <= set(WORKBOOK_SUFFIXES):
        raw, kind = read_workbook(names[first], first, problems), "sheet"
    elif len(names) == 1 and suffixes == {".zip"}:
        raw, kind = read_csv_zip(names[first], first, problems), "file"
    elif suffixes == {".csv"}:
        total = sum(len(d) for d in names.values())
        if total > limits.MAX_INPUT_BYTES:
            raise ProblemFormatError(f"the CSV files hold {total / 2**20:.3g} MB; an import reads at most "
                                     f"{limits.MAX_INPUT_BYTES / 2**20:.3g} MB (tt_core.limits.MAX_INPUT_BYTES)",
                                     path=first)
        raw, kind = {}, "file"
        for name, data in names.items():
            add_csv(raw, name, data, problems)
    else:
        raise ProblemFormatError(f"expected {_KINDS}", path=", ".join(names))
    source = ", ".join(names) if len(names) <= 3 else f"{first} and {len(names) - 1} more files"
    return BundleReader(raw, kind, source, Path(first).stem, problems).read()
