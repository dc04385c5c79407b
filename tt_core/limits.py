"""The sane bounds of timetabling data and of the files that carry it.

Every number a user can type — in a ``.ctt`` file, a CSV or Excel table, the data app — is checked
against these bounds before it reaches numpy, so an absurd value is refused with a message naming
the field and the allowed range instead of overflowing an int32 or allocating hundreds of GiB. The
bounds are far above any real university (the largest synthetic one, ``tt synth university``, has
2,533 courses, 7,262 lectures, 231 rooms and a 6 x 8 grid) and below what the model's arrays can
hold on one machine: a ``[courses, courses]`` conflict matrix of 20,000 courses is 400 MB.

Files: what an import reads is capped in bytes (a zip or workbook by its *unpacked* size, so a
small zip cannot expand into gigabytes), in rows per table and in cells per workbook; and at most
:data:`MAX_REPORTED_ERRORS` problems are kept for the message (the rest are counted).

``docs/data-format.md`` lists the same bounds for users.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bound", "BOUNDS", "bound", "out_of_range", "MAX_DAYS", "MAX_PERIODS_PER_DAY", "MAX_PERIODS",
           "MAX_COURSES", "MAX_ROOMS", "MAX_CURRICULA", "MAX_STUDENTS", "MAX_ENROLMENTS", "MAX_LECTURES",
           "MAX_TEXT_LENGTH", "MAX_INPUT_BYTES", "MAX_ROWS", "MAX_CELLS", "MAX_ZIP_ENTRIES", "MAX_REPORTED_ERRORS"]

# ---------------------------------------------------------------------------- the time grid
#: days of the timetable's cycle (a week, or a rotation of up to a month)
MAX_DAYS = 31
#: periods of one day (288 = five-minute periods around the clock)
MAX_PERIODS_PER_DAY = 288
#: days x periods per day (a week of five-minute periods); every course and teacher holds a row of this
MAX_PERIODS = 2016

# ---------------------------------------------------------------------------- sizes of a problem
MAX_COURSES = 20_000
MAX_ROOMS = 5_000
MAX_CURRICULA = 20_000
MAX_STUDENTS = 1_000_000
MAX_ENROLMENTS = 5_000_000
#: lectures of all courses together (the solvers hold a few arrays of this length per timetable)
MAX_LECTURES = 200_000

# ---------------------------------------------------------------------------- files
#: characters of one text cell (a name, a label, a description)
MAX_TEXT_LENGTH = 1_000
#: bytes an import may read: a .ctt file, a folder or list of CSV files, a zip or workbook unpacked
MAX_INPUT_BYTES = 256 * 2**20
#: rows of one table (a CSV file or a sheet, counted by the spreadsheet's row number)
MAX_ROWS = 1_000_000
#: cells of one workbook, empty ones included (a row is as wide as its last cell)
MAX_CELLS = 20_000_000
#: members of a zip or workbook
MAX_ZIP_ENTRIES = 10_000
#: problems kept for an error message; the rest are counted ("… and 4,799,990 more")
MAX_REPORTED_ERRORS = 1_000


@dataclass(frozen=True)
class Bound:
    """The whole numbers a field may hold.

    Attributes
    ----------
    field : str
        The field's name in the tables (``lectures``, ``capacity``…).
    minimum, maximum : int
    what : str
        The field in words, for messages (``"lectures of a course"``).
    """

    field: str
    minimum: int
    maximum: int
    what: str

    def check(self, value) -> str | None:
        """``None`` when ``value`` lies within the bound, else the reason in words."""
        return out_of_range(value, self)

    @property
    def range_text(self) -> str:
        return f"{self.what} must be between {self.minimum} and {self.maximum}"


#: the bound of every number of the model, by field name (the names of the CSV/Excel columns)
BOUNDS: dict[str, Bound] = {b.field: b for b in (
    Bound("days", 1, MAX_DAYS, "days"),
    Bound("periods_per_day", 1, MAX_PERIODS_PER_DAY, "periods per day"),
    Bound("periods", 1, MAX_PERIODS, "periods (days x periods per day)"),
    Bound("lectures", 0, 1000, "lectures of a course"),
    Bound("min_days", 0, MAX_DAYS, "minimum working days"),
    Bound("students", 0, 100_000, "students of a course"),
    Bound("capacity", 0, 100_000, "seats of a room"),
    Bound("length", 1, MAX_PERIODS_PER_DAY, "periods of a lecture"),
    Bound("max_per_day", 0, MAX_PERIODS_PER_DAY, "daily maximum of lectures"),
    Bound("min_per_day", 0, MAX_PERIODS_PER_DAY, "daily minimum of lectures"),
    Bound("site", 0, MAX_ROOMS, "site (building number) of a room"),
    Bound("penalty", 0, 1000, "time-of-day penalty"),
    Bound("year", 1, 99, "year of study"),
    Bound("courses", 0, MAX_COURSES, "courses"),
    Bound("rooms", 0, MAX_ROOMS, "rooms"),
    Bound("curricula", 0, MAX_CURRICULA, "curricula"),
    Bound("unavailability", 0, MAX_COURSES * MAX_PERIODS, "unavailability constraints"),
    Bound("room_constraints", 0, MAX_COURSES * MAX_ROOMS, "room constraints (unsuitable course-room pairs)"),
)}


def bound(field: str) -> Bound:
    """The bound of ``field`` (a key of :data:`BOUNDS`)."""
    return BOUNDS[field]


def out_of_range(value, b: Bound) -> str | None:
    """Why ``value`` (a number) is outside ``b``, in words naming the allowed range; ``None`` if inside."""
    if value < b.minimum:
        return f"{value} is below {b.minimum}; {b.range_text}"
    if value > b.maximum:
        return f"{value} is above {b.maximum}; {b.range_text}"
    return None
