"""The public ITC2019 instances and the published solutions in ``../shared/itc2019``.

The solutions' totals are those of the folder's README, computed there by an independent
implementation of the rules; every instance and solution is pinned by its SHA-256 (some
instances circulate in more than one version, and the totals hold for these files only).
"""

from __future__ import annotations

import hashlib

import pytest
from classes_oracle import oracle

from tt_core.classes import evaluate
from tt_core.io.itc2019 import read_problem_xml, read_solution_xml, write_solution_xml

# name: (classes, rooms, students, distributions, required distributions) as in the README's table
SIZES = {
    "lums-sum17": (20, 62, 0, 2, 2), "bet-sum18": (127, 46, 0, 144, 110), "wbg-fal10": (150, 7, 19, 82, 56),
    "pu-cs-fal07": (174, 13, 2002, 102, 68), "yach-fal17": (417, 33, 821, 645, 529),
    "lums-spr18": (487, 73, 0, 518, 449), "muni-fi-spr17": (516, 35, 1469, 710, 650),
    "muni-fsps-spr17": (561, 44, 865, 400, 331), "muni-fi-spr16": (575, 35, 1543, 740, 645),
    "tg-fal17": (711, 23, 0, 503, 461), "mary-spr17": (882, 90, 3666, 3951, 3155),
    "bet-fal17": (983, 62, 3018, 1251, 861),
}
# name: (time, room, distribution, student, total) from the README
TOTALS = {
    "lums-sum17": (0, 17, 0, 0, 17),
    "lums-spr18": (0, 575, 49, 0, 820),
    "muni-fi-spr17": (284, 958, 21, 3212, 18080),
    "tg-fal17": (1792, 30, 158, 0, 6774),
    "yach-fal17": (8, 1008, 687, 4856, 32198),
}
SHA256 = {
    "lums-sum17.xml": "988f1ff05a49f13586b27d7c386b825c2f6b18ee727bd92ed891191033066418",
    "lums-spr18.xml": "ea9ec5ebcaf4e8d46a5c26af03d59e99b3d4e47be10cc0eff583cb83227edc23",
    "muni-fi-spr17.xml": "a0e6956c30bf302fa618e4c832a648b35589cb6e6771ddecdfaffd44d4f0bfd7",
    "tg-fal17.xml": "1a63049d7f80c496655b00aa1d5b4fc427abd051ad4070f22da78c4fe7c6d72c",
    "yach-fal17.xml": "9c4bf766be0fb8b689f14c240b212d0839bf53e5594b56f0b425740f812bfa82",
    "solutions/lums-sum17.xml": "0749476cf5df3c5cc995f001e8e5f502f42240533c932290b215a271981db610",
    "solutions/lums-spr18.xml": "138c09d1ee3e1fa17d66a93a8b50b493d0edb28d7803bd1f6631d54ce30c6c2c",
    "solutions/muni-fi-spr17.xml": "e4cc43b17b6800b8d4e436a42ab9df224f86724721eb29242302b561e0c349d0",
    "solutions/tg-fal17.xml": "ccb3503578737181d4fee2ee83f5e346bed83d62614ccd03f91dda9fc13aea4e",
    "solutions/yach-fal17.xml": "7d56c0007271946b91e399ba70165faf19c7ae7ef833027c855271684c209b8f",
}


def _pinned(folder, name):
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == SHA256[name], f"{path} is another version of the file (SHA-256 {digest}); the totals are for {SHA256[name]}"
    return path


@pytest.mark.parametrize("name", list(SIZES))
def test_instance_sizes(itc2019_dir, name):
    path = itc2019_dir / f"{name}.xml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    p = read_problem_xml(path)
    assert p.name == name
    assert (p.n_classes, p.n_rooms, p.n_students, p.n_distributions, int(p.distribution_required.sum())) == SIZES[name]


@pytest.mark.parametrize("name", list(TOTALS))
def test_published_solution_totals(itc2019_dir, name, tmp_path):
    p = read_problem_xml(_pinned(itc2019_dir, f"{name}.xml"))
    sol = read_solution_xml(p, _pinned(itc2019_dir, f"solutions/{name}.xml"))
    report = evaluate(p, sol)
    assert report.hard_violations == 0, report.format_validator(explain=True)[:2000]
    assert (*report.penalties.values(), report.total) == TOTALS[name]
    ref = oracle(p, sol)
    assert (ref["time"], ref["room"], ref["distribution"], ref["student"], ref["total"]) == TOTALS[name]
    assert sum(ref[k] for k in ("unassigned", "room_conflicts", "room_unavailable", "distribution_hard", "sectioning")) == 0
    # written back and read again: the same total
    out = tmp_path / f"{name}.xml"
    write_solution_xml(p, sol, out)
    assert evaluate(p, read_solution_xml(p, out)).total == TOTALS[name][-1]


def test_the_rules_reading_of_maxblock_breaks_a_published_solution(itc2019_dir):
    """muni-fi-spr17's published solution has blocks of classes starting together that are longer
    than M: valid for the competition's validator, 14 hard units under the rules' formula."""
    p = read_problem_xml(_pinned(itc2019_dir, "muni-fi-spr17.xml"))
    sol = read_solution_xml(p, _pinned(itc2019_dir, "solutions/muni-fi-spr17.xml"))
    rules = evaluate(p, sol, maxblock="rules")
    assert rules.units["distribution_hard"] == 14 and rules.hard_violations == 14
    assert oracle(p, sol, "rules")["distribution_hard"] == 14
    assert all("MaxBlock" in v.text for v in rules.violations())
    assert rules.total == TOTALS["muni-fi-spr17"][-1]  # only required MaxBlocks break: the total is unchanged
