"""The ``.ectt`` reader and writer: the benchmark's files in ``../shared/ectt``, a file the size of
the largest family (Erlangen: ~850 courses, ~3,700 curricula, ~100,000 room constraints), the
round trip, ``tt import`` / ``tt info`` of an ``.ectt`` file. Malformed files are in the corpus
(``bad_inputs.py``, ids ``ectt-*``)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from data_samples import assert_same_problem

from tt_core.cli import main
from tt_core.io.ectt import format_ectt, parse_ectt, parse_instance, read_ectt, read_instance, write_ectt
from tt_core.store import Store

ECTT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ectt"
FILES = sorted(ECTT_DIR.glob("*.ectt")) if ECTT_DIR.is_dir() else []


def header(path: Path) -> dict[str, str]:
    """The header lines of a file, ``key -> value text`` (read here independently of the reader)."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() == "COURSES:":
            break
        key, _, value = line.partition(":")
        if value:
            out[key.strip()] = value.strip()
    return out


@pytest.mark.skipif(not FILES, reason=f"no .ectt files in {ECTT_DIR}")
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_benchmark_file_reads_with_its_header_sizes(path):
    pb = read_ectt(path)
    h = header(path)
    assert (pb.n_courses, pb.n_rooms, pb.days, pb.periods_per_day, pb.n_curricula) == tuple(
        int(h[k]) for k in ("Courses", "Rooms", "Days", "Periods_per_day", "Curricula"))
    lo, hi = map(int, h["Min_Max_Daily_Lectures"].split())
    assert set(pb.curriculum_min_per_day.tolist()) <= {lo} and set(pb.curriculum_max_per_day.tolist()) <= {hi}
    assert int(pb.room_unsuitable.sum()) <= int(h["RoomConstraints"])
    assert int(pb.course_unavailable.sum()) <= int(h["UnavailabilityConstraints"])
    assert pb.count_windows and not pb.is_itc
    # the writer gives back the same problem
    assert_same_problem(parse_ectt(format_ectt(pb), source=path.name), pb)


def test_a_file_as_large_as_the_largest_family_reads_quickly(tmp_path):
    rng = np.random.default_rng(5)
    C, R, Q = 850, 150, 3700
    pairs = [(c, r) for c in range(C) for r in range(R) if (7 * c + r) % 5]  # 102,000 pairs
    lines = ["Name: Erlangen-sized", f"Courses: {C}", f"Rooms: {R}", "Days: 6", "Periods_per_day: 12",
             f"Curricula: {Q}", "Min_Max_Daily_Lectures: 0 6", "UnavailabilityConstraints: 0",
             f"RoomConstraints: {len(pairs)}", "", "COURSES:"]
    lines += [f"c{c} t{c % 400} {1 + c % 4} 1 {10 + c % 200} {c % 2}" for c in range(C)]
    lines += ["", "ROOMS:"] + [f"r{r} {20 + r} {r % 8}" for r in range(R)]
    lines += ["", "CURRICULA:"]
    for q in range(Q):
        members = rng.choice(C, 1 + q % 10, replace=False)
        lines.append(f"q{q} {len(members)} " + " ".join(f"c{c}" for c in members))
    lines += ["", "UNAVAILABILITY_CONSTRAINTS:", "", "ROOM_CONSTRAINTS:"] + [f"c{c} r{r}" for c, r in pairs]
    lines += ["", "END.", ""]
    path = tmp_path / "big.ectt"
    path.write_text("\n".join(lines))
    t0 = time.process_time()  # CPU time: the machine may be busy with other work
    pb = read_ectt(path)
    took = time.process_time() - t0
    assert (pb.n_courses, pb.n_rooms, pb.n_curricula) == (C, R, Q)
    assert int(pb.room_unsuitable.sum()) == len(pairs) > 100_000
    assert pb.n_sites == 8 and int(pb.course_double.sum()) == C // 2
    assert took < 10, f"{took:.1f} s of CPU"


TINY = """Name: tiny
Courses: 2
Rooms: 2
Days: 2
Periods_per_day: 3
Curricula: 1
Min_Max_Daily_Lectures: 1 2
UnavailabilityConstraints: 1
RoomConstraints: 1

COURSES:
c1 ann 2 2 30 1
c2 bob 1 1 20 0

ROOMS:
r1 40 1
r2 30 2

CURRICULA:
q1 2 c1 c2

UNAVAILABILITY_CONSTRAINTS:
c1 1 2

ROOM_CONSTRAINTS:
c2 r1

END.
"""


def test_tiny_file_fields():
    pb = parse_ectt(TINY)
    assert pb.course_double.tolist() == [True, False]
    assert pb.room_building.tolist() == [1, 2] and pb.n_sites == 2
    assert pb.curriculum_min_per_day.tolist() == [1] and pb.curriculum_max_per_day.tolist() == [2]
    assert pb.room_unsuitable.tolist() == [[False, False], [True, False]]
    assert pb.course_unavailable[0].nonzero()[0].tolist() == [5]
    assert pb.suitable.all()  # the listed rooms are soft until a formulation makes them hard
    assert format_ectt(pb) == TINY


def test_either_format_by_suffix_or_header(tmp_path):
    ctt = ("Name: t\nCourses: 1\nRooms: 1\nDays: 1\nPeriods_per_day: 2\nCurricula: 0\nConstraints: 0\n\n"
           "COURSES:\nc1 ann 1 1 5\n\nROOMS:\nr1 10\n\nCURRICULA:\n\nUNAVAILABILITY_CONSTRAINTS:\n\nEND.\n")
    assert parse_instance(ctt, "x.ctt").n_courses == 1 and not parse_instance(ctt, "x.txt").count_windows
    assert parse_instance(TINY, "x.txt").count_windows
    (tmp_path / "t.ectt").write_text(TINY)
    assert read_instance(tmp_path / "t.ectt").n_courses == 2


def test_write_ectt_refuses_data_the_format_cannot_hold(tmp_path):
    pb = parse_ectt(TINY)
    with pytest.raises(Exception, match="one daily minimum and maximum"):
        format_ectt(pb.replace(curriculum_max_per_day=np.array([0], np.int32)))
    write_ectt(pb, tmp_path / "out.ectt")
    assert_same_problem(read_ectt(tmp_path / "out.ectt"), pb)


def test_tt_info_and_import_of_an_ectt_file(tmp_path, capsys):
    src = tmp_path / "tiny.ectt"
    src.write_text(TINY)
    assert main(["info", str(src)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"double lecture courses\s+1", out) and re.search(r"room constraints\s+1", out)
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--scenario", "tiny"]) == 0
    with Store.open(db) as store:
        back = store.scenarios.load_problem("tiny")
        ud3 = store.weights.get("tiny", "UD3")
    assert_same_problem(back, parse_ectt(TINY))
    assert ud3["CurriculumWindows"] == 4 and ud3["UnsuitableRooms"] == 3 and ud3["RoomStability"] == 0


def test_a_bad_line_names_the_file_and_line(tmp_path, capsys):
    src = tmp_path / "bad.ectt"
    src.write_text(TINY.replace("c2 r1", "c2 r7"))
    assert main(["info", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.ectt" in err and "line 26" in err and "unknown room" in err
