"""``tt info`` and ``tt validate``: output, exit status, and clear messages (never a traceback) on bad files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tt_core import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCES = [f"comp0{i}" for i in range(1, 8)]

TINY = """Name: Tiny
Courses: 2
Rooms: 1
Days: 1
Periods_per_day: 2
Curricula: 1
Constraints: 0

COURSES:
c1 t1 1 1 10
c2 t2 1 1 10

ROOMS:
rA 20

CURRICULA:
q1 2 c1 c2

UNAVAILABILITY_CONSTRAINTS:

END.
"""


def run_tt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tt_core.cli", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.ctt"
    path.write_text(TINY)
    return path


# ============================================================================ tt info

def test_info_table(itc_instance, capsys):
    assert cli.main(["info", str(itc_instance("comp01"))]) == 0
    out = capsys.readouterr().out
    rows = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert rows["name"] == "Fis0506-1"
    assert rows["courses"] == "30"
    assert rows["rooms"] == "6"
    assert rows["days"] == "5"
    assert rows["periods per day"] == "6"
    assert rows["curricula"] == "14"
    assert rows["unavailability constraints"] == "53"
    assert rows["lectures"] == "160"
    assert rows["itc mode"] == "yes"
    # aligned: every value starts in the same column
    starts = {len(line) - len(line.split("  ")[-1].lstrip()) for line in out.splitlines()}
    assert len(starts) == 1


def test_info_json(itc_instance, capsys):
    assert cli.main(["info", "--json", str(itc_instance("comp05"))]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["name"] == "Let0405-1"
    assert (summary["courses"], summary["rooms"], summary["curricula"]) == (54, 9, 139)
    assert (summary["days"], summary["periods_per_day"]) == (6, 6)
    assert summary["unavailability_constraints"] == 771
    assert summary["itc_mode"] is True


def test_info_bad_file_in_process(tmp_path, capsys):
    bad = tmp_path / "bad.ctt"
    bad.write_text(TINY.replace("q1 2 c1 c2", "q1 2 c1 c7"))
    assert cli.main(["info", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {bad}, line 17: ")
    assert "unknown course 'c7'" in captured.err
    assert "Traceback" not in captured.err


def test_info_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.ctt"
    assert cli.main(["info", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "No such file" in err


def test_info_bad_file_subprocess(tmp_path):
    bad = tmp_path / "truncated.ctt"
    bad.write_text(TINY[:TINY.index("ROOMS:")])
    proc = run_tt("info", str(bad))
    assert proc.returncode == 2
    assert f"{bad}, line 12: the file ends here" in proc.stderr
    assert "truncated" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_info_binary_file_subprocess(tmp_path):
    bad = tmp_path / "image.ctt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    proc = run_tt("info", str(bad))
    assert proc.returncode == 2
    assert f"{bad}, line 1" in proc.stderr
    assert "UTF-8" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# ============================================================================ tt validate

@pytest.mark.parametrize("name", INSTANCES)
def test_validate_public_solutions(itc_instance, itc_solution, name, capsys):
    sol, cost = itc_solution(name)
    assert cli.main(["validate", str(itc_instance(name)), str(sol), "--strict"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == f"Summary: Total Cost = {cost}"
    hard = re.findall(r"^Violations of (\w+) \(hard\) : (\d+)$", out, re.M)
    assert {h for h, _ in hard} >= {"Lectures", "Conflicts", "Availability", "RoomOccupation"}
    assert all(v == "0" for _, v in hard)
    soft = re.findall(r"^Cost of \w+ \(soft\) : (\d+)$", out, re.M)
    assert len(soft) == 4 and sum(map(int, soft)) == cost


def test_validate_explain_lists_each_cost_item(itc_instance, itc_solution, capsys):
    sol, cost = itc_solution("comp01")
    assert cli.main(["validate", str(itc_instance("comp01")), str(sol), "--explain"]) == 0
    out = capsys.readouterr().out
    items = re.findall(r"^\[S\((\d+)\)\] ", out, re.M)
    assert sum(map(int, items)) == cost
    assert "[H]" not in out


def test_validate_hard_violations_and_strict(tiny, tmp_path, capsys):
    sol = tmp_path / "clash.sol"
    # both courses of curriculum q1 in period 0, and in the same room; c1 placed twice there
    sol.write_text("c1 rA 0 0\nc2 rA 0 0\n")
    assert cli.main(["validate", str(tiny), str(sol)]) == 0
    out = capsys.readouterr().out
    assert "Violations of Conflicts (hard) : 1" in out
    assert "Violations of RoomOccupation (hard) : 1" in out
    assert re.search(r"^Summary: Violations = 2, Total Cost = \d+$", out, re.M)
    assert "[H]" not in out
    assert cli.main(["validate", str(tiny), str(sol), "--strict", "--explain"]) == 1
    out = capsys.readouterr().out
    assert len(re.findall(r"^\[H\] ", out, re.M)) == 2
    assert "Courses c1 and c2" in out


def test_validate_missing_lecture_is_a_violation(itc_instance, itc_solution, tmp_path, capsys):
    sol, _ = itc_solution("comp01")
    short = tmp_path / "short.sol"
    short.write_text("".join(sol.read_text().splitlines(keepends=True)[1:]))
    assert cli.main(["validate", str(itc_instance("comp01")), str(short), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "Violations of Lectures (hard) : 1" in out


def test_validate_bad_solution_subprocess(tiny, tmp_path):
    sol = tmp_path / "other.sol"
    sol.write_text("c1 rA 0 0\nc2 rZ 0 1\n")
    proc = run_tt("validate", str(tiny), str(sol))
    assert proc.returncode == 2
    assert f"{sol}, line 2" in proc.stderr
    assert "unknown room 'rZ'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_validate_bad_instance_in_process(tmp_path, capsys):
    bad = tmp_path / "bad.ctt"
    bad.write_text(TINY.replace("Courses: 2", "Courses: 3"))
    sol = tmp_path / "x.sol"
    sol.write_text("")
    assert cli.main(["validate", str(bad), str(sol)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 12" in err and "'Courses: 3'" in err
