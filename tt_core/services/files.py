"""Imports and exports as bytes: a scenario's data (``.ctt``, ``.xlsx``, a zip of CSV tables, an
ITC2019 instance ``.xml``) and a variant's timetable (iCal, ``.xlsx``, HTML; a class timetable as
iCal on real dates or as an ITC2019 solution ``.xml``), for uploads and downloads in the apps."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ProblemFormatError, TimetableError, ValidationError
from ..io.excel import write_timetable_workbook
from ..io.itc2007 import format_ctt, parse_ctt
from ..io.tables import extract_csv_zip, read_tables, write_tables
from ..substitution import ical_with_substitutions, week_of
from ..views import grid_html_page, ical_for, view_title, weekly_grid
from .session import Service, Session

if TYPE_CHECKING:
    import datetime as dt

    from .class_variants import ClassVariantService
    from .data import DataService
    from .substitutions import SubstitutionService
    from .variants import VariantService


def max_upload_bytes() -> int:
    """The largest import accepted: ``$TT_MAX_UPLOAD_MB`` megabytes (default 10).

    A browser upload travels base64-encoded (a third larger) in one websocket message, which
    Bokeh caps at 20 MB (``panel serve --websocket-max-message-size``): keep the cap above
    1.4 × this limit, so an oversized file reaches the server and gets this message instead of
    a dropped connection."""
    try:
        mb = float(os.environ.get("TT_MAX_UPLOAD_MB", "10"))
    except ValueError:
        raise TimetableError(f"TT_MAX_UPLOAD_MB must be a number of megabytes, got "
                             f"{os.environ['TT_MAX_UPLOAD_MB']!r}") from None
    return int(mb * 1024 * 1024)


def file_stem(name: str) -> str:
    """A safe file name stem for ``name``."""
    s = re.sub(r"[^\w.-]+", "_", str(name)).strip("._")
    return s[:80] or "export"


def _unzip_tables(data: bytes, into: Path, filename: str) -> Path:
    """Extract a zip of CSV tables safely; returns the folder holding them. Refuses unsafe paths,
    several folders, damaged members and a zip that unpacks beyond :func:`max_unpacked_bytes`
    (:func:`tt_core.io.tables.extract_csv_zip`)."""
    return extract_csv_zip(data, into, filename, limit=max_unpacked_bytes())


def max_unpacked_bytes() -> int:
    """The most a zip upload may unpack to: 10 × :func:`max_upload_bytes` (a zip of CSV text
    compresses about 5-10×), so a small zip cannot expand into gigabytes."""
    return 10 * max_upload_bytes()


class FileService(Service):
    """Uploads and downloads (``studio.files``)."""

    def __init__(self, session: Session, data: DataService, variants: VariantService,
                 substitutions: SubstitutionService, class_variants: ClassVariantService | None = None):
        super().__init__(session)
        self.data = data
        self.variants = variants
        self.substitutions = substitutions
        self.class_variants = class_variants

    def import_file(self, filename: str, data: bytes, scenario_name: str, user: str | None = None) -> str:
        """Import one uploaded file as a new scenario; see :meth:`import_files`."""
        return self.import_files({filename or "": data}, scenario_name, user=user)

    def import_files(self, files: Mapping[str, bytes | None], scenario_name: str, user: str | None = None) -> str:
        """Import an upload as a new scenario (one transaction); returns the scenario's name.

        ``files`` maps each uploaded file's name to its bytes: one ``.ctt`` (an ITC2007 instance),
        one ``.xml`` (an ITC2019 instance: a class-based scenario), one ``.xlsx`` workbook of tables,
        one ``.zip`` of CSV tables, or the ``.csv`` tables
        themselves (``courses.csv``, ``rooms.csv``, ``teachers.csv`` …, several at once), read by
        :func:`tt_core.io.tables.read_tables` whose messages name the uploaded file, row and column.
        Every problem in the upload is reported at once. Uploads over :func:`max_upload_bytes`
        together are refused before they are read.
        """
        user = self.require("edit_data", user)
        # browsers send a base name, some older ones the whole (Windows) path
        named = {}
        for raw_name, data in files.items():
            base = os.path.basename(str(raw_name or "").replace("\\", "/"))
            if base in named:
                raise TimetableError(f"two uploaded files are named {base}; upload each table once")
            named[base] = data
        shown = ", ".join(named) if len(named) <= 3 else f"{next(iter(named))} and {len(named) - 1} more files"
        limit = max_upload_bytes()
        size = sum(len(d or b"") for d in named.values())
        if size > limit:
            raise TimetableError(f"{shown or 'the upload'} {'is' if len(named) == 1 else 'are'} {size / 2**20:.1f} MB; "
                                 f"imports are limited to {limit / 2**20:.3g} MB (TT_MAX_UPLOAD_MB); split the data "
                                 "or import it with `tt import` on the server")
        name = (scenario_name or "").strip()
        if not name:
            raise TimetableError("give the new scenario a name")
        if name in self.data.scenarios():
            raise TimetableError(f"a scenario named {name!r} already exists; choose another name")
        if not named or not size:
            raise TimetableError(f"{shown or 'the upload'} is empty; choose a file first")
        empty = [n for n, d in named.items() if not d]
        if empty:
            raise TimetableError(f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty; "
                                 "choose the files again")
        suffixes = {n.lower().rsplit(".", 1)[-1] if "." in n else "" for n in named}
        if suffixes == {"csv"}:
            return self._import_tables(named, None, name, user)
        if len(named) > 1:
            raise TimetableError(f"{shown}: upload one .ctt, .xml, .xlsx or .zip file, or only .csv tables "
                                 "(courses.csv, "
                                 "rooms.csv, teachers.csv …) together")
        filename, data = next(iter(named.items()))
        suffix = suffixes.pop()
        if suffix == "ctt":
            problem = parse_ctt(data, source=filename)
            self.store.scenarios.import_problem(problem, name, user=user)
            return name
        if suffix == "xml":
            return self._import_itc2019(filename, data, name, user)
        if suffix not in ("xlsx", "zip"):
            raise TimetableError(f"{filename or 'the upload'}: unknown file type; upload an ITC2007 .ctt file, an "
                                 "ITC2019 .xml instance, an .xlsx workbook of tables, a .zip of CSV tables or the "
                                 ".csv tables themselves")
        return self._import_tables({filename: data}, suffix, name, user)

    def _import_itc2019(self, filename: str, data: bytes, name: str, user: str | None) -> str:
        """An ITC2019 instance (``<problem>``) as a new class-based scenario. Read from a private
        temporary copy; the messages name the uploaded file and the line. A solution file is
        refused: it is imported as a variant of its scenario (``tt import --scenario``)."""
        from ..io.itc2019 import read_problem_xml

        head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
        if re.search(rb"<\s*solution\b", head) and not re.search(rb"<\s*problem\b", head):
            raise TimetableError(f"{filename}: this is an ITC2019 solution, not an instance; import the instance "
                                 f"first, then the solution with `tt import {filename} --scenario NAME`")
        with tempfile.TemporaryDirectory(prefix="tt-import-") as tmp:
            path = Path(tmp) / (file_stem(filename) or "instance.xml")
            path.write_bytes(data)
            try:
                problem = read_problem_xml(path)
            except ProblemFormatError as exc:  # name the upload, not the temporary copy
                raise ProblemFormatError(exc.reason, path=filename, line=exc.line) from None
            except ValidationError as exc:
                raise ValidationError([p.replace(str(path), filename) for p in exc.problems],
                                      title=f"{filename} cannot be imported") from None
        self.store.classes.import_problem(problem, name, description=f"ITC2019 instance {problem.name} ({filename})",
                                          user=user)
        return name

    def import_class_solution(self, scenario: str, filename: str, data: bytes, name: str | None = None,
                              user: str | None = None) -> int:
        """An ITC2019 solution file as a new variant of the class-based ``scenario`` (evaluated
        exactly; a solution with hard violations is stored too, and says so in its label).
        Returns the variant's id. A time or room the class does not offer, an unknown class or
        student, a solution of another instance: refused naming the uploaded file and the line."""
        from ..classes.evaluator import evaluate
        from ..io.itc2019 import read_solution_xml

        user = self.require("choose_variant", user)
        if not data:
            raise TimetableError(f"{filename or 'the upload'} is empty; choose the solution file again")
        if len(data) > max_upload_bytes():
            raise TimetableError(f"{filename} is {len(data) / 2**20:.1f} MB; imports are limited to "
                                 f"{max_upload_bytes() / 2**20:.3g} MB (TT_MAX_UPLOAD_MB); use `tt import` on the "
                                 "server")
        problem = self.data.class_problem(scenario)
        with tempfile.TemporaryDirectory(prefix="tt-import-") as tmp:
            path = Path(tmp) / (file_stem(filename) or "solution.xml")
            path.write_bytes(data)
            try:
                solution = read_solution_xml(problem, path)
            except ProblemFormatError as exc:
                raise ProblemFormatError(exc.reason, path=filename, line=exc.line) from None
            except ValidationError as exc:
                raise ValidationError([p.replace(str(path), filename) for p in exc.problems],
                                      title=f"{filename} cannot be imported") from None
        report = evaluate(problem, solution)
        label = (name or "").strip() or os.path.splitext(os.path.basename(filename or "solution"))[0]
        return self.store.classes.save_solution(scenario, solution, report=report, name=label, problem=problem,
                                                meta={"source": os.path.basename(filename or "")}, user=user)

    def _import_tables(self, named: dict[str, bytes], suffix: str | None, name: str, user: str | None) -> str:
        """A workbook (``suffix`` ``"xlsx"``), a zip of CSV tables (``"zip"``) or CSV files (None)
        read with :func:`~tt_core.io.tables.read_tables` from a private temporary folder, whose path
        the messages then do not show (they name the uploaded files)."""
        shown = ", ".join(named) if len(named) <= 3 else f"the {len(named)} uploaded CSV files"
        with tempfile.TemporaryDirectory(prefix="tt-import-") as tmp:
            if suffix == "xlsx":
                (filename, data), = named.items()
                path = Path(tmp) / filename
                path.write_bytes(data)
            elif suffix == "zip":
                (filename, data), = named.items()
                path = _unzip_tables(data, Path(tmp), filename)
            else:
                path = Path(tmp) / "tables"
                path.mkdir()
                for filename, data in named.items():
                    (path / filename).write_bytes(data)
            # name the upload, not the temporary copy (CSV files: by their own names)
            inside = f"{path}{os.sep}" if suffix is None else None

            def upload_words(text: str) -> str:
                return (text.replace(inside, "") if inside else text).replace(str(path), shown)

            try:
                bundle = read_tables(path)
            except ValidationError as exc:
                raise ValidationError([upload_words(p) for p in exc.problems],
                                      title=f"{shown} cannot be imported") from None
            except TimetableError as exc:
                raise TimetableError(upload_words(str(exc))) from None
        self.store.scenarios.import_problem(bundle.problem, name, institution=bundle.institution, term=bundle.term,
                                            meta=bundle.meta, user=user)
        return name

    def export_data(self, scenario: str, fmt: str) -> tuple[str, bytes]:
        """A scenario's data as ``(file name, bytes)``: ``"ctt"``, ``"xlsx"`` or ``"zip"`` (CSV tables)."""
        problem = self.data.problem(scenario)
        stem = file_stem(scenario)
        if fmt == "ctt":

            return f"{stem}.ctt", format_ctt(problem).encode()

        info = self.store.scenarios.get(scenario)
        meta = self.store.scenarios.meta(scenario)
        with tempfile.TemporaryDirectory(prefix="tt-export-") as tmp:
            if fmt == "xlsx":
                path = write_tables(problem, Path(tmp) / f"{stem}.xlsx", meta=meta, institution=info["institution"],
                                    term=info["term"])
                return path.name, path.read_bytes()
            if fmt == "zip":
                folder = write_tables(problem, Path(tmp) / stem, meta=meta, institution=info["institution"],
                                      term=info["term"])
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                    for f in sorted(folder.glob("*.csv")):
                        zf.write(f, f"{stem}/{f.name}")
                return f"{stem}-tables.zip", buf.getvalue()
        raise TimetableError(f"unknown export format {fmt!r}; one of ctt, xlsx, zip")

    def export_class_timetable(self, scenario: str, variant_id: int, fmt: str, view: str | None = None,
                               key: str | None = None, *, first_day: dt.date | None = None) -> tuple[str, bytes]:
        """A timetable of a class-based scenario as ``(file name, bytes)``.

        ``"ical"``: every meeting of the classes of one room, course or student (``view``,
        ``key``) as an event on its real date, week 1 beginning on ``first_day`` (a Monday; default
        the next one, :func:`tt_core.classes.views.default_first_day`); ``"xml"``: the whole
        timetable as an ITC2019 solution file (it validates with ``tt validate``).
        """
        from ..classes.views import default_first_day
        from ..io.class_ical import class_calendar
        from ..io.itc2019 import solution_xml

        problem = self.data.class_problem(scenario)
        solution = self.class_variants.solution(scenario, variant_id)
        if fmt == "xml":
            stem = file_stem(f"{scenario}-v{variant_id}")
            meta = dict(solution.info) | {"name": problem.name}
            return f"{stem}.xml", solution_xml(problem, solution, meta).encode()
        if fmt == "ical":
            if view is None or not key:
                raise TimetableError("a calendar is made for one room, course or student; pick one first")
            classes = self.class_variants.classes_of(scenario, variant_id, view, key)
            stem = file_stem(f"{scenario}-v{variant_id}-{view}-{key}")
            return f"{stem}.ics", class_calendar(problem, solution, classes, first_day=first_day or default_first_day(),
                                                 kind=view, item=key, calendar_name=scenario)
        raise TimetableError(f"unknown export format {fmt!r} for a class timetable; one of ical, xml")

    def export_timetable(self, scenario: str, variant_id: int, fmt: str, view: str = "teacher",
                         key: str | None = None, *, start_date=None, weeks: int = 12, week=None) -> tuple[str, bytes]:
        """A variant's timetable as ``(file name, bytes)``.

        ``"ical"``: the calendar of one teacher, curriculum, room or student (weekly events over ``weeks``
        weeks from ``start_date``, default next Monday), with the variant's substitutions on their
        dates; ``"xlsx"``: every curriculum, teacher and room grid (:mod:`tt_core.io.excel`);
        ``"html"``: the weekly grid of the view as a page (of the week of the date ``week`` with its
        substitutions, when given).
        """
        problem = self.data.problem(scenario)
        (v,) = self.variants.load(problem, [variant_id])
        if not v.fits:
            raise TimetableError(f"variant #{variant_id} no longer fits scenario {scenario!r} (its data changed "
                                 "since); generate a new variant")
        labels = self.data.teacher_labels(scenario, problem)
        full = self.store.scenarios.meta(scenario).get("teacher_full_names")
        stem = file_stem(f"{scenario}-v{variant_id}" + (f"-{view}-{key}" if key else ""))
        if fmt == "ical":
            overlays = self.substitutions.overlays(scenario, problem, variant_id)
            if overlays:

                return f"{stem}.ics", ical_with_substitutions(
                    problem, v.timetable, view, key, overlays, start_date=start_date, weeks=weeks,
                    teacher_full_names=full, calendar_name=scenario)
            return f"{stem}.ics", ical_for(problem, v.timetable, view, key, start_date=start_date, weeks=weeks,
                                          teacher_full_names=full, calendar_name=scenario)
        if fmt == "xlsx":

            with tempfile.TemporaryDirectory(prefix="tt-export-") as tmp:
                path = write_timetable_workbook(problem, v.timetable, Path(tmp) / f"{stem}.xlsx",
                                                teacher_full_names=full, title=f"{scenario} · {v.info['name']}")
                return path.name, path.read_bytes()
        if fmt == "html":
            entries = (
                None
                if week is None
                else self.substitutions.week_entries(
                    scenario, problem, v.timetable, variant_id, view, key, week, labels
                )
            )
            grid = weekly_grid(problem, v.timetable, view, key, labels, entries=entries)
            title = f"{scenario} · {v.info['name']} · {view_title(view, key, labels)}"
            if week is not None:

                title += f" · week of {week_of(week)[0]:%Y-%m-%d}"
            return f"{stem}.html", grid_html_page(grid, title).encode()
        raise TimetableError(f"unknown export format {fmt!r}; one of ical, xlsx, html")
