"""``tt info`` / ``tt validate`` on ITC2019 XML: tables, ``--json``, ``--explain``, ``--strict``,
``--maxblock``, and bad input as one message with exit status 2 (never a traceback)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from classes_samples import Cls, instance_xml

from tt_core import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
M, T = "1000000", "0100000"
INSTANCE = instance_xml(
    [Cls("a", [(M, 96, 12, "11", 1), (T, 96, 12, "11")], ["r1", ("r2", 2)], course="K1"),
     Cls("b", [(M, 100, 12, "11")], ["r1"], course="K2")],
    [("NotOverlap", 3, ["a", "b"]), ("SameStart", True, ["a", "b"])],
    weights=(1, 2, 3, 4), rooms=("r1", "r2"), students=[("s1", ["K1", "K2"])], name="cli")
SOLUTION = """<solution name="cli" runtime="3" technique="hand">
  <class id="a" days="1000000" start="96" weeks="11" room="r1"><student id="s1"/></class>
  <class id="b" days="1000000" start="100" weeks="11" room="r1"><student id="s1"/></class>
</solution>
"""


@pytest.fixture
def files(tmp_path):
    inst, sol = tmp_path / "cli.xml", tmp_path / "cli-sol.xml"
    inst.write_text(INSTANCE)
    sol.write_text(SOLUTION)
    return inst, sol


def run_tt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tt_core.cli", *args], check=False, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300)


def test_info(files, capsys):
    assert cli.main(["info", str(files[0])]) == 0
    rows = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in capsys.readouterr().out.splitlines())
    assert rows["format"] == "ITC2019 (class-based)"
    assert (rows["classes"], rows["rooms"], rows["students"], rows["time options"]) == ("2", "2", "1", "3")
    assert rows["distribution types"] == "SameStart 1, NotOverlap 1"  # catalogue order
    assert rows["weights"] == "time 1, room 2, distribution 3, student 4"
    assert re.fullmatch(r"[0-9a-f]{64}", rows["sha256"])
    assert cli.main(["info", "--json", str(files[0])]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["distributions_required"] == 1 and summary["weights"]["student"] == 4


def test_validate_table_json_explain(files, capsys):
    inst, sol = map(str, files)
    # a, b overlap in r1 on Monday (room conflict), start apart (SameStart, hard), overlap (NotOverlap 3),
    # and s1 attends both (one student conflict); a's time penalty 1
    assert cli.main(["validate", inst, sol]) == 0
    out = capsys.readouterr().out
    assert "  room conflicts                           1" in out
    assert "  required distributions                   1" in out
    assert re.search(r"  distribution\s+3\s+3\s+9", out) and re.search(r"  student\s+4\s+1\s+4", out)
    assert "Total cost: 14 (INVALID, 2 hard violations; MaxBlock reading: competition)" in out
    assert cli.main(["validate", "--json", inst, sol]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {k: report[k] for k in ("hard", "time", "room", "distribution", "student", "total")} == {
        "hard": 2, "time": 1, "room": 0, "distribution": 3, "student": 1, "total": 14}
    assert report["maxblock"] == "competition" and "violations" not in report
    assert cli.main(["validate", "--json", "--explain", inst, sol]) == 0
    items = json.loads(capsys.readouterr().out)["violations"]
    assert sorted(v["kind"] for v in items) == ["distribution", "distribution_hard", "room_conflicts", "student", "time"]
    assert next(v for v in items if v["kind"] == "student")["student"] == "s1"
    assert cli.main(["validate", "--explain", inst, sol]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("[H] classes a (days 1000000 08:00-09:00 weeks 11 room r1) and b") for line in lines)
    assert any(line.startswith("[S 3] distribution 1 (NotOverlap, penalty 3): penalty 3 × 1 = 3") for line in lines)
    assert cli.main(["validate", "--strict", inst, sol]) == 1


def test_validate_the_published_solution(itc2019_dir):
    inst, sol = itc2019_dir / "yach-fal17.xml", itc2019_dir / "solutions" / "yach-fal17.xml"
    if not sol.is_file():
        pytest.skip(f"{sol} not found")
    result = run_tt("validate", "--json", str(inst), str(sol))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["hard"], report["total"]) == (0, 32198)


@pytest.mark.parametrize("args, message", [
    (["info", "{bad}"], r"bad\.xml, line 3: <optimization> needs the attribute student="),
    (["validate", "{inst}", "{badsol}"], (r"cli-bad\.xml, line 2: <class id=\"a\" days=\"1000000\" start=\"97\" "
                                          r"weeks=\"11\">: class a does not offer this time")),
    (["validate", "{sol}", "{inst}"], r"expected <problem> as the first element, found <solution>"),
    (["validate", "{inst}", "{missing}"], r"nothing\.xml: No such file or directory"),
    (["validate", "--maxblock", "rules", "{ctt}", "{sol}"], r"--maxblock applies to ITC2019 XML instances"),
])
def test_bad_input_exits_2(files, tmp_path, args, message):
    inst, sol = files
    bad = tmp_path / "bad.xml"
    bad.write_text(INSTANCE.replace(' student="4"', ""))
    badsol = tmp_path / "cli-bad.xml"
    badsol.write_text(SOLUTION.replace('start="96" weeks="11" room="r1"', 'start="97" weeks="11"'))
    ctt = tmp_path / "tiny.ctt"
    ctt.write_text("Name: Tiny\n")
    names = {"bad": bad, "inst": inst, "sol": sol, "badsol": badsol, "missing": tmp_path / "nothing.xml", "ctt": ctt}
    result = run_tt(*[a.format(**names) for a in args])
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_xml_instance_is_recognised_by_its_content(files, tmp_path, capsys):
    other = tmp_path / "instance.data"
    other.write_text(INSTANCE)
    assert cli.main(["info", str(other)]) == 0
    assert "ITC2019 (class-based)" in capsys.readouterr().out
