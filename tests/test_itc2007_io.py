"""ITC2007 .ctt / .sol reading and writing: sizes, round trips, and one test per kind of bad input."""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tt_core.errors import ProblemFormatError, TimetableError
from tt_core.io import itc2007
from tt_core.io.itc2007 import format_ctt, format_sol, parse_ctt, parse_sol, read_ctt, read_sol, write_ctt, write_sol
from tt_core.model import Problem, Timetable

INSTANCES = [f"comp0{i}" for i in range(1, 8)]

# Sizes from each file's header: courses, rooms, days, periods per day, curricula, constraints
SIZES = {
    "comp01": ("Fis0506-1", 30, 6, 5, 6, 14, 53),
    "comp02": ("Ing0203-2", 82, 16, 5, 5, 70, 513),
    "comp03": ("Ing0304-1", 72, 16, 5, 5, 68, 382),
    "comp04": ("Ing0405-3", 79, 18, 5, 5, 57, 396),
    "comp05": ("Let0405-1", 54, 9, 6, 6, 139, 771),
    "comp06": ("Ing0506-1", 108, 18, 5, 5, 70, 632),
    "comp07": ("Ing0607-2", 131, 20, 5, 5, 77, 667),
}

# A tiny, valid instance; the line numbers in the comments are those the bad-input tests refer to.
TINY_LINES = [
    "Name: Tiny",                    # 1
    "Courses: 3",                    # 2
    "Rooms: 2",                      # 3
    "Days: 2",                       # 4
    "Periods_per_day: 3",            # 5
    "Curricula: 2",                  # 6
    "Constraints: 2",                # 7
    "",                              # 8
    "COURSES:",                      # 9
    "c1 t1 2 2 30",                  # 10
    "c2 t2 1 1 20",                  # 11
    "c3 t1 3 2 40",                  # 12
    "",                              # 13
    "ROOMS:",                        # 14
    "rA 30",                         # 15
    "rB 50",                         # 16
    "",                              # 17
    "CURRICULA:",                    # 18
    "q1 2 c1 c2",                    # 19
    "q2 1 c3",                       # 20
    "",                              # 21
    "UNAVAILABILITY_CONSTRAINTS:",   # 22
    "c1 0 0",                        # 23
    "c3 1 2",                        # 24
    "",                              # 25
    "END.",                          # 26
]
TINY = "\n".join(TINY_LINES) + "\n"


def assert_same_problem(a: Problem, b: Problem) -> None:
    """Every field equal: names, sizes and arrays (values, shape and dtype)."""
    for f in dataclasses.fields(Problem):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray), f.name
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def tiny_problem() -> Problem:
    return parse_ctt(TINY, source="tiny.ctt")


def edited(replace: dict[int, str | None] | None = None, *, insert: dict[int, str] | None = None,
           keep: int | None = None, append: str = "") -> str:
    """TINY with 1-based lines replaced (None deletes), lines inserted after a line, or cut to ``keep``."""
    lines = list(TINY_LINES)
    out = []
    for number, text in enumerate(lines, start=1):
        new = (replace or {}).get(number, text)
        if new is not None:
            out.append(new)
        if insert and number in insert:
            out.append(insert[number])
    if keep is not None:
        out = out[:keep]
    return "\n".join(out) + "\n" + append


# ============================================================================ the real instances

@pytest.mark.parametrize("name", INSTANCES)
def test_instances_parse_with_header_sizes(itc_instance, name):
    pb = read_ctt(itc_instance(name))
    title, courses, rooms, days, ppd, curricula, constraints = SIZES[name]
    assert pb.name == title
    assert (pb.n_courses, pb.n_rooms, pb.days, pb.periods_per_day, pb.n_curricula) == \
        (courses, rooms, days, ppd, curricula)
    assert int(pb.course_unavailable.sum()) == constraints
    assert pb.is_itc


def test_comp01_details(itc_instance):
    pb = read_ctt(itc_instance("comp01"))
    c = pb.course_index("c0001")
    assert pb.teacher_names[pb.course_teacher[c]] == "t000"
    assert (pb.course_lectures[c], pb.course_min_days[c], pb.course_students[c]) == (6, 4, 130)
    assert pb.room_capacity[pb.room_index("rB")] == 200
    q0 = [pb.course_names[i] for i in pb.curriculum_courses[pb.curriculum_ptr[0]:pb.curriculum_ptr[1]]]
    assert (pb.curriculum_names[0], q0) == ("q000", ["c0001", "c0002", "c0004", "c0005"])
    # "c0001 4 0" is the first unavailability line: day 4, period 0 of a 6-period day
    assert pb.course_unavailable[c, 4 * 6 + 0]
    assert pb.n_lectures == 160
    assert pb.n_teachers == 24


@pytest.mark.parametrize("name", INSTANCES)
def test_ctt_round_trip_identical(itc_instance, name, tmp_path):
    path = itc_instance(name)
    pb = read_ctt(path)
    text = format_ctt(pb)
    assert_same_problem(parse_ctt(text), pb)
    # the written file is the original, up to the trailing spaces of the original's lines
    original = path.read_text()
    assert text == re.sub(r"[ \t]+\n", "\n", original)
    out = tmp_path / f"{name}.ctt"
    write_ctt(pb, out)
    assert_same_problem(read_ctt(out), pb)


@pytest.mark.parametrize("name", INSTANCES)
def test_sol_round_trip(itc_instance, itc_solution, name, tmp_path):
    pb = read_ctt(itc_instance(name))
    sol_path, _ = itc_solution(name)
    tt = read_sol(pb, sol_path)
    assert tt.n_unplaced == 0
    n_lines = sum(1 for line in sol_path.read_text().splitlines() if line.strip())
    assert n_lines == pb.n_lectures
    out = tmp_path / "out.sol"
    write_sol(pb, tt, out)
    assert read_sol(pb, out) == tt
    # same set of lines as the original file, in lecture order
    assert sorted(out.read_text().splitlines()) == sorted(
        " ".join(line.split()) for line in sol_path.read_text().splitlines() if line.strip())


# ============================================================================ tolerance

def test_tiny_parses():
    pb = tiny_problem()
    assert pb.name == "Tiny"
    assert pb.course_names == ("c1", "c2", "c3")
    assert pb.teacher_names == ("t1", "t2")
    assert list(pb.course_teacher) == [0, 1, 0]
    assert list(pb.course_lectures) == [2, 1, 3]
    assert list(pb.room_capacity) == [30, 50]
    assert np.argwhere(pb.course_unavailable).tolist() == [[0, 0], [2, 5]]


def test_windows_line_endings_trailing_whitespace_tabs_and_bom():
    messy = "\ufeff" + "\r\n".join(line.replace(" ", " \t ") + "  \t" for line in TINY_LINES) + "\r\n"
    assert_same_problem(parse_ctt(messy), tiny_problem())
    assert_same_problem(parse_ctt(messy.encode("utf-8")), tiny_problem())


def test_extra_blank_lines_between_blocks_and_no_final_newline():
    text = "\n\n" + edited(insert={7: "", 12: "", 25: ""}).rstrip("\n")
    assert_same_problem(parse_ctt(text), tiny_problem())


def test_zero_lectures_and_min_days_beyond_the_week_are_allowed():
    pb = parse_ctt(edited({10: "c1 t1 0 0 30", 11: "c2 t2 1 7 20"}))
    assert list(pb.course_lectures) == [0, 1, 3]
    assert list(pb.course_min_days) == [0, 7, 2]


def test_empty_sections_and_name_with_spaces():
    text = edited({1: "Name: Tiny Uni 2", 6: "Curricula: 0", 7: "Constraints: 0", 19: None, 20: None,
                   23: None, 24: None})
    pb = parse_ctt(text)
    assert pb.name == "Tiny Uni 2" and pb.n_curricula == 0 and not pb.course_unavailable.any()
    assert_same_problem(parse_ctt(format_ctt(pb)), pb)


# ============================================================================ bad instances

BAD_CTT = [
    # (id, text, line, words the message must contain)
    ("empty", "", 1, ["empty", "Name:"]),
    ("blank only", "\n  \n\t\n", 1, ["empty"]),
    ("misspelled header", edited({2: "Coures: 3"}), 2, ["Courses:", "Coures"]),
    ("missing header", edited({5: None}), 5, ["Periods_per_day:", "Curricula: 2"]),
    ("no header at all", "COURSES:\nc1 t1 2 2 30\n", 1, ["Name:", "COURSES:"]),
    ("empty name", edited({1: "Name:   "}), 1, ["Name:", "instance name"]),
    ("header two values", edited({3: "Rooms: 2 3"}), 3, ["Rooms:", "one number"]),
    ("header not a number", edited({3: "Rooms: two"}), 3, ["Rooms", "whole number", "'two'"]),
    ("header negative", edited({6: "Curricula: -2"}), 6, ["Curricula", "negative"]),
    ("zero days", edited({4: "Days: 0"}), 4, ["Days", "at least 1"]),
    ("header count too high", edited({2: "Courses: 4"}), 13,
     ["COURSES:", "after 3 courses", "'Courses: 4' at line 2", "blank line"]),
    ("header count too low", edited({2: "Courses: 2"}), 12, ["COURSES:", "more lines", "'Courses: 2'"]),
    ("constraints count too high", edited({7: "Constraints: 3"}), 25, ["UNAVAILABILITY_CONSTRAINTS:",
                                                                         "'Constraints: 3' at line 7"]),
    ("curricula count too low", edited({6: "Curricula: 1"}), 20, ["CURRICULA:", "more lines"]),
    ("blank line inside a section", edited(insert={10: ""}), 11, ["COURSES:", "after 1 course,",
                                                                  "blank line"]),
    ("section ended by next keyword", edited({16: None, 17: None}), 16,
     ["ROOMS:", "'CURRICULA:'", "after 1 room,"]),
    ("truncated in courses", edited(keep=11), 11, ["ends inside the COURSES: section", "2 of the 3",
                                                   "truncated"]),
    ("truncated before rooms", edited(keep=13), 13, ["ROOMS:", "truncated"]),
    ("missing END.", edited({26: None}), 25, ["END.", "truncated"]),
    ("misspelled END.", edited({26: "END"}), 26, ["END.", "'END'"]),
    ("text after END.", edited(append="\nc4 t3 1 1 10\n"), 28, ["after 'END.'", "c4 t3"]),
    ("misspelled section", edited({14: "ROMS:"}), 14, ["'ROOMS:'", "ROMS:"]),
    ("sections out of order", edited({14: "CURRICULA:"}), 14, ["'ROOMS:'", "CURRICULA:"]),
    ("course fields", edited({11: "c2 t2 1 20"}), 11, ["COURSES:", "5 fields", "found 4"]),
    ("room fields", edited({15: "rA 30 x"}), 15, ["ROOMS:", "2 fields", "found 3"]),
    ("curriculum fields", edited({20: "q2"}), 20, ["CURRICULA:", "at least 2 fields"]),
    ("unavailability fields", edited({23: "c1 0"}), 23, ["UNAVAILABILITY_CONSTRAINTS:", "3 fields"]),
    ("unknown course in curriculum", edited({19: "q1 2 c1 c9"}), 19, ["q1", "unknown course 'c9'"]),
    ("unknown course in unavailability", edited({24: "c9 1 2"}), 24, ["unknown course 'c9'"]),
    ("curriculum count too high", edited({19: "q1 3 c1 c2"}), 19, ["q1", "declares 3", "lists 2"]),
    ("curriculum count too low", edited({19: "q1 1 c1 c2"}), 19, ["declares 1 course but", "lists 2"]),
    ("curriculum count not a number", edited({19: "q1 two c1 c2"}), 19, ["whole number", "'two'"]),
    ("course twice in curriculum", edited({19: "q1 2 c1 c1"}), 19, ["q1", "c1 twice"]),
    ("negative lectures", edited({11: "c2 t2 -1 1 20"}), 11, ["lectures of course c2", "negative"]),
    ("negative min days", edited({11: "c2 t2 1 -1 20"}), 11, ["minimum working days", "negative"]),
    ("non-integer students", edited({11: "c2 t2 1 1 2.5"}), 11, ["students of course c2", "'2.5'"]),
    ("non-integer lectures", edited({10: "c1 t1 two 2 30"}), 10, ["lectures of course c1", "'two'"]),
    ("negative capacity", edited({15: "rA -30"}), 15, ["capacity of room rA", "negative"]),
    ("day out of range", edited({23: "c1 2 0"}), 23, ["day", "c1 is 2", "between 0 and 1"]),
    ("period out of range", edited({24: "c3 1 3"}), 24, ["period", "c3 is 3", "between 0 and 2"]),
    ("negative period", edited({24: "c3 1 -1"}), 24, ["period", "negative"]),
    ("duplicate course", edited({11: "c1 t2 1 1 20"}), 11, ["duplicate course name 'c1'", "line 10"]),
    ("duplicate room", edited({16: "rA 50"}), 16, ["duplicate room name 'rA'", "line 15"]),
    ("duplicate curriculum", edited({20: "q1 1 c3"}), 20, ["duplicate curriculum name 'q1'", "line 19"]),
]


@pytest.mark.parametrize("text,line,words", [c[1:] for c in BAD_CTT], ids=[c[0] for c in BAD_CTT])
def test_bad_ctt_names_file_line_and_problem(tmp_path, text, line, words):
    path = tmp_path / "bad.ctt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemFormatError) as info:
        read_ctt(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert str(err).startswith(f"{path}, line {line}: ")
    for word in words:
        assert word in err.reason, (word, err.reason)


def test_bad_ctt_with_windows_line_endings_reports_same_line():
    text = edited({19: "q1 2 c1 c9"}).replace("\n", "\r\n")
    with pytest.raises(ProblemFormatError) as info:
        parse_ctt(text, source="win.ctt")
    assert (info.value.path, info.value.line) == ("win.ctt", 19)


def test_nul_bytes_are_binary(tmp_path):
    path = tmp_path / "binary.ctt"
    path.write_bytes(b"Name: Tiny\nCourses: 3\nRo\x00\x00\x01oms")
    with pytest.raises(ProblemFormatError, match=r"binary.ctt, line 3: .*NUL byte") as info:
        read_ctt(path)
    assert info.value.line == 3


def test_undecodable_utf8(tmp_path):
    path = tmp_path / "latin1.ctt"
    path.write_bytes(edited({15: "rÄ 30"}).encode("latin-1"))
    with pytest.raises(ProblemFormatError, match=r"latin1.ctt, line 15: byte 0xc4 is not valid UTF-8") \
            as info:
        read_ctt(path)
    assert info.value.line == 15


def test_utf8_names_are_fine():
    pb = parse_ctt(edited({15: "rÄ 30"}).encode("utf-8"))
    assert pb.room_names == ("rÄ", "rB")


def test_random_bytes_never_escape_as_other_errors():
    rng = np.random.default_rng(7)
    for _ in range(200):
        data = rng.integers(0, 256, size=int(rng.integers(1, 300)), dtype=np.uint8).tobytes()
        with pytest.raises(ProblemFormatError) as info:
            parse_ctt(data, source="junk.ctt")
        assert info.value.path == "junk.ctt" and info.value.line >= 1


def test_every_truncation_of_a_valid_file_is_reported():
    """Cutting the file anywhere before 'END.' gives a ProblemFormatError with a line, never another error."""
    for cut in range(len(TINY) - len("END.\n")):
        text = TINY[:cut]
        with pytest.raises(ProblemFormatError) as info:
            parse_ctt(text, source="cut.ctt")
        assert info.value.line is not None and 1 <= info.value.line <= 26, cut


def test_missing_file_is_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_ctt(tmp_path / "nope.ctt")


# ============================================================================ solutions

def test_parse_sol_fills_lectures_in_file_order():
    pb = tiny_problem()
    tt = parse_sol(pb, "c3 rB 1 0\nc1 rA 0 1\n\nc3 rA 0 2  \r\nc1 rB 1 1\n")
    # lectures: c1 -> 0, 1; c2 -> 2; c3 -> 3, 4, 5
    assert tt.period.tolist() == [1, 4, -1, 3, 2, -1]
    assert tt.room.tolist() == [0, 1, -1, 1, 0, -1]
    assert tt.n_unplaced == 2


def test_empty_sol_is_all_unplaced():
    pb = tiny_problem()
    assert parse_sol(pb, "") == Timetable.empty(pb)


def test_two_lectures_of_a_course_in_one_period_are_kept():
    pb = tiny_problem()
    tt = parse_sol(pb, "c1 rA 0 1\nc1 rB 0 1\n")
    assert tt.period[:2].tolist() == [1, 1]
    assert tt.room[:2].tolist() == [0, 1]
    from tt_core import constraints as K
    from tt_core.cost import evaluate

    report = evaluate(pb, tt)
    # c1 taught once, c2 and c3 not at all: 1 + 1 + 3 missing lectures
    assert report.by_constraint()["Lectures"][0] == 1 + 1 + 3
    assert report.units[K.ROOM_OCCUPATION] == 0


BAD_SOL = [
    ("fields", "c1 rA 0 1\nc1 rA 0\n", 2, ["4 fields", "found 3"]),
    ("too many fields", "c1 rA 0 1 x\n", 1, ["4 fields", "found 5"]),
    ("unknown course", "c1 rA 0 1\n\nc9 rA 0 1\n", 3, ["unknown course 'c9'", "Tiny"]),
    ("unknown room", "c1 rZ 0 1\n", 1, ["unknown room 'rZ'"]),
    ("day out of range", "c1 rA 2 1\n", 1, ["day", "between 0 and 1"]),
    ("period out of range", "c1 rA 1 3\n", 1, ["period", "between 0 and 2"]),
    ("negative day", "c1 rA -1 0\n", 1, ["day", "negative"]),
    ("non-integer period", "c1 rA 1 x\n", 1, ["period", "whole number", "'x'"]),
    ("course without lectures", "c1 rA 0 1\nc0 rA 0 0\n", 2, ["course c0 has no lectures", "remove"]),
    ("too many lines", "c2 rA 0 0\nc1 rA 0 1\nc2 rB 1 1\n", 3, ["c2 has only 1 lecture", "line 1"]),
]


@pytest.mark.parametrize("text,line,words", [c[1:] for c in BAD_SOL], ids=[c[0] for c in BAD_SOL])
def test_bad_sol_names_file_line_and_problem(tmp_path, text, line, words):
    path = tmp_path / "bad.sol"
    path.write_text(text)
    with pytest.raises(ProblemFormatError) as info:
        read_sol(parse_ctt(edited({2: "Courses: 4"}, insert={12: "c0 t3 0 0 5"})), path)
    err = info.value
    assert (err.path, err.line) == (str(path), line)
    assert str(err).startswith(f"{path}, line {line}: ")
    for word in words:
        assert word in err.reason, (word, err.reason)


def test_binary_sol_reports_the_first_bad_byte(tmp_path):
    path = tmp_path / "bin.sol"
    path.write_bytes(b"c1 rA 0 1\n\x89PNG\r\n\x1a\n\x00")
    with pytest.raises(ProblemFormatError, match="byte 0x89 is not valid UTF-8") as info:
        read_sol(tiny_problem(), path)
    assert info.value.line == 2
    path.write_bytes(b"c1 rA 0 1\rc1 rA 0 2\r\nx\x00\n\x89PNG")  # old-Mac and Windows line ends
    with pytest.raises(ProblemFormatError, match="NUL byte") as info:
        read_sol(tiny_problem(), path)
    assert info.value.line == 3


def test_format_sol_rejects_foreign_timetable():
    pb = tiny_problem()
    with pytest.raises(TimetableError, match="5 lectures but instance Tiny has 6"):
        format_sol(pb, Timetable(np.zeros(5, np.int32), np.zeros(5, np.int32)))
    with pytest.raises(TimetableError, match="outside instance Tiny"):
        format_sol(pb, Timetable(np.full(6, 6, np.int32), np.zeros(6, np.int32)))


# ============================================================================ writing

def test_format_ctt_refuses_extension_data():
    pb = tiny_problem()
    cases = [
        (pb.replace(course_length=np.array([2, 1, 1], np.int32)), "multi-period lectures"),
        (pb.replace(suitable=np.array([[True, False], [True, True], [True, True]])), "room suitability"),
        (pb.replace(teacher_undesired=np.ones((2, 6), bool)), "teacher preferences"),
        (pb.replace(teacher_unavailable=np.ones((2, 6), bool)), "teacher unavailability"),
        (pb.replace(teacher_max_per_day=np.array([2, 0], np.int32)), "teacher daily maximum"),
        (pb.replace(period_penalty=np.arange(6, dtype=np.int32)), "time-of-day"),
        (pb.replace(curriculum_max_per_day=np.array([1, 0], np.int32)), "curriculum daily maximum"),
    ]
    for problem, words in cases:
        assert not problem.is_itc
        with pytest.raises(TimetableError, match=f"cannot be written as an ITC2007 .ctt file.*{words}"):
            format_ctt(problem)


def test_format_ctt_refuses_names_with_spaces():
    pb = tiny_problem()
    with pytest.raises(TimetableError, match="course name 'c 1'"):
        format_ctt(pb.replace(course_names=("c 1", "c2", "c3")))
    with pytest.raises(TimetableError, match="problem name"):
        format_ctt(pb.replace(name="two\nlines"))


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "keep.ctt"
    target.write_text("old content\n")
    bad = tiny_problem().replace(course_length=np.array([2, 1, 1], np.int32))
    with pytest.raises(TimetableError):
        write_ctt(bad, target)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.ctt"]


def test_interrupted_replace_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "keep.sol"
    target.write_text("old content\n")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(itc2007.os, "replace", boom)
    pb = tiny_problem()
    with pytest.raises(OSError, match="No space"):
        write_sol(pb, parse_sol(pb, "c1 rA 0 1\n"), target)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.sol"]


def test_write_keeps_mode_and_needs_an_existing_folder(tmp_path):
    pb = tiny_problem()
    target = tmp_path / "t.ctt"
    target.write_text("x")
    os.chmod(target, 0o640)
    write_ctt(pb, target)
    assert target.stat().st_mode & 0o777 == 0o640
    assert_same_problem(read_ctt(target), pb)
    with pytest.raises(TimetableError, match="does not exist"):
        write_ctt(pb, tmp_path / "missing" / "t.ctt")


# ============================================================================ property: round trips

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-éß", min_size=1,
               max_size=6)


@st.composite
def problems(draw) -> Problem:
    days = draw(st.integers(1, 4))
    ppd = draw(st.integers(1, 4))
    courses = draw(st.lists(NAME, min_size=0, max_size=6, unique=True))
    rooms = draw(st.lists(NAME, min_size=0, max_size=3, unique=True))
    curricula = draw(st.lists(NAME, min_size=0, max_size=4, unique=True))
    teachers = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    C = len(courses)
    P = days * ppd
    return Problem.create(
        name=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,10}[A-Za-z0-9]", fullmatch=True)),
        days=days, periods_per_day=ppd, courses=courses,
        course_teacher=[draw(st.sampled_from(teachers)) for _ in courses],
        course_lectures=draw(st.lists(st.integers(0, 4), min_size=C, max_size=C)),
        course_min_days=draw(st.lists(st.integers(0, 6), min_size=C, max_size=C)),
        course_students=draw(st.lists(st.integers(0, 300), min_size=C, max_size=C)),
        rooms=rooms,
        room_capacity=draw(st.lists(st.integers(0, 300), min_size=len(rooms), max_size=len(rooms))),
        curricula=[(q, draw(st.lists(st.sampled_from(courses), unique=True)) if courses else [])
                   for q in curricula],
        unavailable=(draw(st.lists(st.tuples(st.sampled_from(courses), st.integers(0, P - 1))))
                     if courses else []),
    )


@st.composite
def problems_and_timetables(draw) -> tuple[Problem, Timetable]:
    pb = draw(problems())
    L = pb.n_lectures
    tt = Timetable.empty(pb)
    if pb.n_rooms:
        for lecture in range(L):
            if draw(st.booleans()) or draw(st.booleans()):
                tt.period[lecture] = draw(st.integers(0, pb.n_periods - 1))
                tt.room[lecture] = draw(st.integers(0, pb.n_rooms - 1))
    return pb, tt


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_ctt_round_trip_property(pb):
    assert_same_problem(parse_ctt(format_ctt(pb), source="generated.ctt"), pb)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems_and_timetables())
def test_sol_round_trip_property(case):
    pb, tt = case
    back = parse_sol(pb, format_sol(pb, tt), source="generated.sol")

    def placements(t):
        return [(r["course"], r["room"], r["day"], r["slot"]) for r in t.to_rows(pb)]

    # same placements in the same order; a course's placed lectures become its first ones
    assert placements(back) == placements(tt)
    assert back.n_unplaced == tt.n_unplaced
    if tt.n_unplaced == 0:
        assert back == tt
