"""Exports of a timetable: iCalendar files (parsed back with icalendar) and the Excel weekly grids."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from data_samples import COURSES, CURRICULA, META, ROOMS, TEACHERS, rich_problem, rich_timetable
from openpyxl import load_workbook

from tt_core.errors import TimetableError
from tt_core.io.excel import sheet_title, write_timetable_workbook
from tt_core.io.ical import DEFAULT_DAY_START, DEFAULT_PERIOD_MINUTES, export_ical, grid_times


def events(path: Path) -> list:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return list(cal.walk("VEVENT"))


def by_summary(evs, summary: str):
    found = [e for e in evs if str(e.get("summary")) == summary]
    assert found, f"no event {summary!r}"
    return found


# ====================================================================================== iCalendar


def test_one_calendar_per_teacher_curriculum_and_room_with_the_right_events(tmp_path):
    files = export_ical(rich_problem(), rich_timetable(), tmp_path / "cal", start_date="2025-09-01", weeks=12,
                        teacher_full_names=META["teacher_full_names"])
    names = sorted(str(f.relative_to(tmp_path / "cal")) for f in files)
    assert names == sorted([
        "teachers/O_Brien.ics", "teachers/Zoë__Müller.ics", "teachers/t3.ics",
        "curricula/Q1__year_1.ics", "curricula/Q_2.ics",
        "rooms/R_1.ics", "rooms/Lab_A.ics", "rooms/Room_3.ics", "rooms/Aula_Σ.ics"])
    counts = {str(f.relative_to(tmp_path / "cal")): len(events(f)) for f in files}
    assert counts["teachers/O_Brien.ics"] == 2 and counts["teachers/Zoë__Müller.ics"] == 3
    assert counts["teachers/t3.ics"] == 2
    assert counts["curricula/Q1__year_1.ics"] == 5 and counts["curricula/Q_2.ics"] == 4
    assert counts["rooms/Room_3.ics"] == 3 and counts["rooms/Aula_Σ.ics"] == 1
    assert sum(counts[k] for k in counts if k.startswith("rooms/")) == 7  # every placed lecture once

    t3 = events(tmp_path / "cal" / "teachers" / "t3.ics")
    (lab,) = by_summary(t3, "Lab-1")  # Wed 08:00, two periods
    start, end = lab.decoded("dtstart"), lab.decoded("dtend")
    assert start == datetime(2025, 9, 3, 8, 0) and start.weekday() == 2 and start.tzinfo is None
    assert end == datetime(2025, 9, 3, 10, 0)
    assert dict(lab.get("rrule")) == {"FREQ": ["WEEKLY"], "COUNT": [12]}
    assert str(lab.get("location")) == ROOMS[1]
    assert "Teacher: t3" in str(lab.get("description")) and "Curricula: Q'2" in str(lab.get("description"))
    (seminar,) = by_summary(t3, COURSES[3])
    assert seminar.decoded("dtstart") == datetime(2025, 9, 1, 11, 0)
    obrien = icalendar.Calendar.from_ical((tmp_path / "cal" / "teachers" / "O_Brien.ics").read_bytes())
    assert str(obrien.get("x-wr-calname")) == "rich test: teacher Pat O'Brien (O'Brien)"
    assert [str(e.get("summary")) for e in obrien.walk("VEVENT")] == [COURSES[0]] * 2
    uids = [str(e.get("uid")) for f in files for e in events(f)]
    assert len(uids) == len(set(uids))


def test_term_starting_mid_week_keeps_every_occurrence_inside_the_term(tmp_path):
    start, weeks = date(2025, 9, 4), 10  # a Thursday
    files = export_ical(rich_problem(), rich_timetable(), tmp_path, start_date=start, weeks=weeks, views=["rooms"])
    term_end = start + timedelta(days=7 * weeks)
    firsts = []
    for f in files:
        for e in events(f):
            first = e.decoded("dtstart").date()
            last = first + timedelta(days=7 * (weeks - 1))
            assert start <= first < start + timedelta(days=7) and last < term_end
            firsts.append(first)
    assert date(2025, 9, 8) in firsts and date(2025, 9, 10) in firsts  # Monday and Wednesday lectures


def test_time_zone_and_unplaced_lectures(tmp_path):
    files = export_ical(rich_problem(), rich_timetable(unplaced_seminar=True), tmp_path, start_date="2025-09-01",
                        weeks=3, tz="Europe/Berlin", views=("teachers",))
    t3 = [f for f in files if f.name == "t3.ics"][0]
    cal = icalendar.Calendar.from_ical(t3.read_bytes())
    assert [str(e.get("summary")) for e in cal.walk("VEVENT")] == ["Lab-1"]
    assert cal.walk("VTIMEZONE")[0].get("tzid") == "Europe/Berlin"
    start = cal.walk("VEVENT")[0].decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Berlin" and start.hour == 8 and start.utcoffset() == timedelta(hours=2)


def test_default_grid_when_labels_carry_no_times(tmp_path):
    p = rich_problem()
    p = p.replace(period_labels=tuple(f"day {d} period {s}" for d in range(3) for s in range(4)))
    grid = grid_times(p)
    assert not grid.from_labels and grid.weekday == (0, 1, 2)
    h, m = map(int, DEFAULT_DAY_START.split(":"))
    assert grid.start[1] == h * 60 + m + DEFAULT_PERIOD_MINUTES
    export_ical(p, rich_timetable(), tmp_path / "a", start_date="2025-09-01", weeks=1, views=["rooms"])
    (lab,) = events(tmp_path / "a" / "rooms" / "Lab_A.ics")
    assert lab.decoded("dtstart") == datetime(2025, 9, 3, h, m)
    assert lab.decoded("dtend") - lab.decoded("dtstart") == timedelta(minutes=2 * DEFAULT_PERIOD_MINUTES)
    export_ical(p, rich_timetable(), tmp_path / "b", start_date="2025-09-01", weeks=1, views=["rooms"],
                day_start="09:30", period_minutes=45, first_weekday=1)
    (lab,) = events(tmp_path / "b" / "rooms" / "Lab_A.ics")
    assert lab.decoded("dtstart") == datetime(2025, 9, 4, 9, 30)  # day 2 is a Thursday now
    assert lab.decoded("dtend") == datetime(2025, 9, 4, 11, 0)


def test_labels_with_irregular_periods(tmp_path):
    p = rich_problem()
    p = p.replace(period_labels=tuple(f"{d} {t}" for d in ("Tuesday", "Thu", "Fri")
                                      for t in ("08:15", "10:00", "12.30", "14h00")))
    grid = grid_times(p)
    assert grid.from_labels and grid.weekday == (1, 3, 4)
    assert grid.end[:4] == (10 * 60, 12 * 60 + 30, 14 * 60, 15 * 60 + 30)  # the last as long as the one before


def test_ical_errors(tmp_path):
    p, tt = rich_problem(), rich_timetable()
    with pytest.raises(TimetableError, match="YYYY-MM-DD"):
        export_ical(p, tt, tmp_path, start_date="1/9/2025", weeks=3)
    with pytest.raises(TimetableError, match="weeks must be"):
        export_ical(p, tt, tmp_path, start_date="2025-09-01", weeks=0)
    with pytest.raises(TimetableError, match="unknown time zone 'Mars/Olympus'"):
        export_ical(p, tt, tmp_path, start_date="2025-09-01", weeks=3, tz="Mars/Olympus")
    with pytest.raises(TimetableError, match="unknown calendar view"):
        export_ical(p, tt, tmp_path, start_date="2025-09-01", weeks=3, views=["parents"])
    with pytest.raises(TimetableError, match="run past midnight"):
        export_ical(p, tt, tmp_path, start_date="2025-09-01", weeks=3, day_start="22:00")
    (tmp_path / "file").write_text("")
    with pytest.raises(TimetableError, match="is a file"):
        export_ical(p, tt, tmp_path / "file", start_date="2025-09-01", weeks=3)
    assert not any(tmp_path.rglob("*.ics"))


# ====================================================================================== Excel grids


def test_workbook_has_a_grid_per_curriculum_teacher_and_room(tmp_path):
    path = write_timetable_workbook(rich_problem(), rich_timetable(unplaced_seminar=True), tmp_path / "t.xlsx",
                                    teacher_full_names=META["teacher_full_names"])
    wb = load_workbook(path)
    assert wb.sheetnames == ["index", "curriculum Q1; year 1", "curriculum Q'2", "teacher Pat O'Brien",
                             "teacher Zoë Müller", "teacher t3", "room R'1", "room Lab;A", "room Room 3", "unplaced"]
    ws = wb["teacher t3"]
    assert [ws.cell(2, c).value for c in range(2, 5)] == ["Monday", "Tuesday", "Wednesday"]
    assert [ws.cell(r, 1).value for r in range(3, 7)] == ["08:00", "09:00", "10:00", "11:00"]
    assert ws.cell(3, 4).value == "Lab-1 / Lab;A / t3"       # Wednesday 08:00, two periods merged
    assert "D3:D4" in {str(r) for r in ws.merged_cells.ranges}
    q1 = wb["curriculum Q1; year 1"]
    assert q1.cell(4, 2).value == f"{COURSES[0]} / {ROOMS[0]} / Pat O'Brien"  # Monday 09:00
    assert q1.cell(5, 2).value == f"{COURSES[1]} / {ROOMS[2]} / Zoë Müller"   # Monday 10:00
    assert q1.cell(3, 2).value is None
    unplaced = wb["unplaced"]
    assert [c.value for c in unplaced[2]] == [COURSES[3], 1, "t3"]
    index = wb["index"]
    rows = [[c.value for c in row] for row in index.iter_rows(min_row=4)]
    assert rows[0] == ["curriculum Q1; year 1", "curriculum", CURRICULA[0], 5]
    assert rows[2] == ["teacher Pat O'Brien", "teacher", f"Pat O'Brien ({TEACHERS[0]})", 2]
    assert rows[-1][0] == "unplaced" and rows[-1][3] == 1
    assert index["A4"].hyperlink.location == "'curriculum Q1; year 1'!A1"
    assert index.cell(4 + len(rows) - 1, 1).hyperlink.location == "'unplaced'!A1"


def test_clashing_lectures_share_a_cell_and_awkward_names_are_safe(tmp_path):
    p = rich_problem()
    p = p.replace(curriculum_names=("Year 1/2: [core] and a very long tail A", "Year 1/2: [core] and a very long tail B"),
                  room_names=("=HYPERLINK(1)",) + ROOMS[1:])
    tt = rich_timetable()
    tt.period[2] = 1  # course 1's first lecture now clashes with course 0 at Monday 09:00 (same curriculum)
    wb = load_workbook(write_timetable_workbook(p, tt, tmp_path / "c.xlsx", views=["curricula", "rooms"]))
    a, b = wb.sheetnames[1:3]
    assert len(a) <= 31 and len(b) <= 31 and a.lower() != b.lower() and not set("[]:*?/\\") & set(a + b)
    cell = wb[a].cell(4, 2)
    assert cell.value == f"{COURSES[0]} / =HYPERLINK(1) / {TEACHERS[0]}\n{COURSES[1]} / {ROOMS[2]} / {TEACHERS[1]}"
    assert cell.data_type == "s"
    assert wb["room =HYPERLINK(1)"].cell(4, 2).data_type == "s"


def test_sheet_titles():
    used: set[str] = set()
    assert sheet_title("a/b", used) == "a_b"
    assert sheet_title("A/B", used) == "A_B ~2"
    long = "x" * 40
    assert sheet_title(long, used) == "x" * 31
    assert sheet_title(long, used) == "x" * 28 + " ~2"


def test_workbook_errors(tmp_path):
    with pytest.raises(TimetableError, match="unknown sheet view"):
        write_timetable_workbook(rich_problem(), rich_timetable(), tmp_path / "x.xlsx", views=["students"])
    with pytest.raises(TimetableError, match="does not exist"):
        write_timetable_workbook(rich_problem(), rich_timetable(), tmp_path / "no" / "x.xlsx")
    assert not list(tmp_path.iterdir())
