"""ITC2019 XML: reading instances and solutions, writing solutions, and one clear message (file,
line, element) for every kind of bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest
from classes_samples import Cls, instance_xml

from tt_core.classes import ClassSolution
from tt_core.errors import ProblemFormatError, ValidationError
from tt_core.io.itc2019 import (
    looks_like_itc2019,
    read_problem_xml,
    read_solution_xml,
    write_solution_xml,
)

M, T, W = "1000000", "0100000", "0010000"
BASE = instance_xml(
    [Cls("1", [(M, 96, 12, "11", 1), (T, 96, 12, "11")], ["r1"], course="K1", config="F1", subpart="P1"),
     Cls("2", [(T, 108, 12, "11")], ["r1", ("r2", 2)], parent="1", course="K1", config="F1", subpart="P2"),
     Cls("3", [(W, 96, 12, "11")], ["r2"], course="K1", config="F2", subpart="P3"),
     Cls("4", [(W, 120, 6, "10")], [], course="K2", config="F3", subpart="P4")],
    [("SameRoom", 1, ["1", "2"]), ("MaxBlock(24,6)", True, ["1", "2", "3"])],
    rooms=("r1", "r2"), travel=[("r1", "r2", 2)], unavailable=[("r2", M, 0, 12, "11")],
    students=[("S1", ["K1"]), ("S2", ["K1", "K2"])], weights=(1, 2, 3, 4), name="base")
SOLUTION = """<?xml version="1.0" encoding="UTF-8"?>
<solution name="base" runtime="1.5" cores="1" technique="hand" author="A. Tester" institution="Uni" country="CZ">
  <class id="1" days="1000000" start="96" weeks="11" room="r1">
    <student id="S1"/>
  </class>
  <class id="2" days="0100000" start="108" weeks="11" room="r2">
    <student id="S1"/>
  </class>
  <class id="3" days="0010000" start="96" weeks="11" room="r2">
    <student id="S2"/>
  </class>
  <class id="4" days="0010000" start="120" weeks="10">
    <student id="S2"/>
  </class>
</solution>
"""


def _line_of(text: str, fragment: str) -> int:
    """Line of the last occurrence of ``fragment``."""
    return text[:text.rindex(fragment)].count("\n") + 1


def _write(tmp_path, text, name="x.xml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_instance(tmp_path):
    p = read_problem_xml(_write(tmp_path, BASE))
    assert (p.name, p.nr_days, p.nr_weeks, p.slots_per_day) == ("base", 7, 2, 288)
    assert p.weight == {"time": 1, "room": 2, "distribution": 3, "student": 4}
    assert p.class_ids == ("1", "2", "3", "4") and p.course_ids == ("K1", "K2")
    assert p.config_ids == ("F1", "F2", "F3") and p.subpart_ids == ("P1", "P2", "P3", "P4")
    assert p.course_config_ptr.tolist() == [0, 2, 3] and p.subpart_class_ptr.tolist() == [0, 1, 2, 3, 4]
    assert p.class_parent.tolist() == [-1, 0, -1, -1]
    assert p.class_needs_room.tolist() == [True, True, True, False]
    # class 1: two times, Monday = bit 0, weeks "11" = 3, penalty 1
    assert p.time_ptr.tolist()[:2] == [0, 2]
    assert (p.time_days[0], p.time_start[0], p.time_length[0], p.time_weeks[0], p.time_penalty[0]) == (1, 96, 12, 3, 1)
    assert p.time_days[1] == 2 and p.time_weeks[p.time_ptr[3]] == 1   # "10": first week only
    assert p.room_option_room.tolist() == [0, 0, 1, 1] and p.room_option_penalty.tolist() == [0, 0, 2, 0]
    assert p.travel.tolist() == [[0, 2], [2, 0]]
    assert p.unavailable_ptr.tolist() == [0, 0, 1]
    assert p.distribution_type.tolist() == [9, 18] and p.distribution_required.tolist() == [False, True]
    assert p.distribution_param.tolist() == [[0, 0], [24, 6]]
    assert p.student_ptr.tolist() == [0, 1, 3] and p.student_courses.tolist() == [0, 0, 1]
    summary = p.summary()
    assert summary["classes"] == 4 and summary["distributions_required"] == 1 and summary["students"] == 2
    assert summary["distribution_types"] == {"SameRoom": 1, "MaxBlock": 1} and summary["classes_without_room"] == 1


def test_read_and_write_solution(tmp_path):
    p = read_problem_xml(_write(tmp_path, BASE))
    sol = read_solution_xml(p, _write(tmp_path, SOLUTION, "sol.xml"))
    assert sol.time.tolist() == [0, 0, 0, 0] and sol.room.tolist() == [0, 1, 0, -1]
    assert [x.tolist() for x in sol.student_lists()] == [[0, 1], [2, 3]]
    assert sol.info["author"] == "A. Tester" and sol.info["runtime"] == "1.5"
    out = tmp_path / "again.xml"
    write_solution_xml(p, sol, out, meta={"runtime": "2"})
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<solution name="base" runtime="2" cores="1" '
                           'technique="hand" author="A. Tester" institution="Uni" country="CZ">')
    assert '<class id="4" days="0010000" start="120" weeks="10">' in text   # no room attribute
    again = read_solution_xml(p, out)
    for name in ("time", "room", "student_ptr", "student_classes"):
        assert np.array_equal(getattr(again, name), getattr(sol, name)), name


def test_an_unassigned_class_is_left_out_and_reads_back_unassigned(tmp_path):
    p = read_problem_xml(_write(tmp_path, BASE))
    sol = ClassSolution.create(p, [1, -1, 0, 0], [0, -1, 0, -1])
    out = tmp_path / "partial.xml"
    write_solution_xml(p, sol, out)
    assert 'id="2"' not in out.read_text()
    assert read_solution_xml(p, out).time.tolist() == [1, -1, 0, 0]


def test_a_bad_solution_writes_nothing(tmp_path):
    p = read_problem_xml(_write(tmp_path, BASE))
    bad = ClassSolution(time=np.array([0, 0, 7, 0], np.int32), room=np.zeros(4, np.int32),
                        student_ptr=np.zeros(3, np.int32), student_classes=np.zeros(0, np.int32))
    out = tmp_path / "never.xml"
    with pytest.raises(ValidationError, match="class 3: time option 7 of 1"):
        write_solution_xml(p, bad, out)
    assert not out.exists() and list(tmp_path.glob(".never.xml*")) == []


def test_sniffing(tmp_path):
    assert looks_like_itc2019(_write(tmp_path, BASE, "inst.txt"))
    assert looks_like_itc2019(tmp_path / "whatever.xml")
    assert not looks_like_itc2019(_write(tmp_path, "Name: Tiny\nCourses: 2\n", "tiny.ctt"))


# (what, replace this, by that, message pattern, where: "line" = the line of the replacement, a text
# = the line of that text (its last occurrence), None = not checked)
INSTANCE_ERRORS = [
    ("malformed XML", "</class>\n        </subpart>", "</subpart>", r"not well-formed XML: mismatched tag", None),
    ("unknown element", '<time days="0010000" start="96"', '<tme days="0010000" start="96"',
     r"unexpected <tme> inside <class> \(allowed there: <room>, <time>\)", "line"),
    ("duplicate id", '<class id="3"', '<class id="2"', r"class id 2 is used twice \(first on line 23\)", '<class id="2" limit'),
    ("unknown room", '<room id="r2" penalty="0"/>', '<room id="r9" penalty="0"/>',
     r"<room id=\"r9\"> of class 3: no room has id r9", "line"),
    ("short bit string", 'days="1000000" start="96" length="12" weeks="11" penalty="1"',
     'days="100000" start="96" length="12" weeks="11" penalty="1"',
     r'<time> days="100000" has 6 characters; it needs 7 \(one 0/1 per day\)', "line"),
    ("bad bit string", 'days="0010000" start="96" length="12" weeks="11"', 'days="0010000" start="96" length="12" weeks="1x"',
     r'<time> weeks="1x" may contain only 0 and 1', "line"),
    ("class without times", '            <time days="0010000" start="96" length="12" weeks="11" penalty="0"/>\n', "",
     r'<class id="3"> has no <time>: every class needs at least one', None),
    ("parent in another config", '<class id="3" limit="30">', '<class id="3" limit="30" parent="1">',
     r"the parent is in config F1, the class in config F2; a parent must be in the same config", "line"),
    ("unknown parent", 'parent="1"', 'parent="99"', r'parent="99"\>: no class has id 99', "line"),
    ("unknown type", 'type="SameRoom"', 'type="SameRooms"', r'unknown distribution type "SameRooms"', "line"),
    ("neither required nor penalty", 'type="SameRoom" penalty="1"', 'type="SameRoom"',
     r'<distribution type="SameRoom"> needs required="true" or a penalty', "line"),
    ("distribution of an unknown class", '<class id="3"/>', '<class id="33"/>',
     r'<class id="33"> in a <distribution>: no class has id 33', "line"),
    ("class twice in a distribution", '<class id="3"/>', '<class id="2"/>', r"<distribution> lists class 2 twice", None),
    ("student of an unknown course", '<course id="K2"/>', '<course id="K9"/>',
     r'<course id="K9"> of a <student>: no course has id K9', "line"),
    ("missing attribute", 'start="108" ', "", r"<time> needs the attribute start=", '<time days="0100000" length="12"'),
    ("not a number", '<class id="1" limit="30">', '<class id="1" limit="ten">', r'<class> limit="ten" is not a whole number', "line"),
    ("past the day", 'slotsPerDay="288"', 'slotsPerDay="100"', r"<time> start=96 length=12 of class 1 ends after slot 100", None),
    ("travel to an unknown room", '<travel room="r2" value="2"/>', '<travel room="r7" value="2"/>',
     r'<travel room="r7">: no room has id r7', "line"),
    ("no rooms and no room=false", '<class id="4" limit="30" room="false">', '<class id="4" limit="30">',
     r'<class id="4"> lists no <room>; write room="false" if it needs none', "line"),
    ("a solution given as instance", BASE, SOLUTION,
     r"expected <problem> as the first element, found <solution>; this looks like an ITC2019 solution file", None),
    ("empty file", BASE, "", r"not well-formed XML: no element found", None),
    ("a subpart without classes", '<config id="F3">\n        <subpart id="P4">', ('<config id="F3"><subpart id="P4"/></config>\n'
     '      <config id="F4">\n        <subpart id="P5">'), r'<subpart id="P4"> has no <class>', None),
]


@pytest.mark.parametrize("what, old, new, pattern, line", INSTANCE_ERRORS, ids=[e[0] for e in INSTANCE_ERRORS])
def test_bad_instance(tmp_path, what, old, new, pattern, line):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(ProblemFormatError) as info:
        read_problem_xml(path)
    message = str(info.value)
    assert re.search(pattern, message), message
    assert message.startswith(f"{path}, line "), message
    if line is not None:
        anchor = new.strip().split("\n")[0] if line == "line" else line
        assert info.value.line == _line_of(text, anchor), message


SOLUTION_ERRORS = [
    ("unknown class", '<class id="3"', '<class id="33"', r'<class id="33">: the instance has no class 33'),
    ("a time the class does not offer", 'days="0010000" start="96"', 'days="0010000" start="97"',
     r'class 3 does not offer this time \(it has 1 time options\)'),
    ("a room the class does not offer", '<class id="1" days="1000000" start="96" weeks="11" room="r1">',
     '<class id="1" days="1000000" start="96" weeks="11" room="r2">', r"class 1 does not offer room r2"),
    ("a class twice", '<class id="2" days="0100000"', '<class id="1" days="0100000"',
     r'<class id="1"> appears twice \(first on line 3\)'),
    ("unknown student", '<student id="S2"/>', '<student id="S7"/>', r"the instance has no student S7"),
    ("a student twice in a class", '<student id="S1"/>\n  </class>\n  <class id="2"', ('<student id="S1"/><student id="S1"/>\n'
     '  </class>\n  <class id="2"'), r'<student id="S1"> is listed twice in class 1'),
    ("another instance", 'name="base"', 'name="other"', r'is a solution of instance other, not of base'),
    ("a room for a class without rooms", 'start="120" weeks="10">', 'start="120" weeks="10" room="r1">',
     r"class 4 needs no room"),
    ("weeks of the wrong length", 'start="96" weeks="11" room="r1"', 'start="96" weeks="111" room="r1"',
     r'<class> weeks="111" has 3 characters; it needs 2'),
    ("an instance given as solution", SOLUTION, BASE, r"expected <solution> as the first element, found <problem>"),
]


@pytest.mark.parametrize("what, old, new, pattern", SOLUTION_ERRORS, ids=[e[0] for e in SOLUTION_ERRORS])
def test_bad_solution(tmp_path, what, old, new, pattern):
    p = read_problem_xml(_write(tmp_path, BASE))
    assert old in SOLUTION
    text = SOLUTION.replace(old, new, 1)
    path = _write(tmp_path, text, "sol.xml")
    with pytest.raises(ProblemFormatError) as info:
        read_solution_xml(p, path)
    message = str(info.value)
    assert re.search(pattern, message), message
    assert info.value.line is not None and message.startswith(f"{path}, line ")


def test_parents_in_a_cycle(tmp_path):
    text = instance_xml([Cls("a", [(M, 96, 12, "11")], ["r1"], parent="b", course="K", config="F", subpart="P1"),
                         Cls("b", [(M, 96, 12, "11")], ["r1"], parent="a", course="K", config="F", subpart="P2")])
    with pytest.raises(ProblemFormatError, match="classes a, b: their parents form a cycle"):
        read_problem_xml(_write(tmp_path, text))


def test_a_bom_and_a_doctype_are_fine(tmp_path):
    text = BASE.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE problem PUBLIC '
                        '"-//ITC 2019//DTD Problem Format/EN" "http://www.itc2019.org/competition-format.dtd">')
    assert read_problem_xml(_write(tmp_path, text)).n_classes == 4
