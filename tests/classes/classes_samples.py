"""Tiny ITC2019 instances written as XML text, for tests that want exact, hand-computed numbers.

``instance_xml`` writes a whole ``<problem>`` from a compact description; by default each class is
its own course / config / subpart, meets at the one time it is given and sits in the one room it
is given, so a solution is simply "option 0 everywhere" (:func:`first_options`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tt_core.classes.model import ClassProblem, ClassSolution
from tt_core.io.itc2019 import read_problem_xml


@dataclass
class Cls:
    """One class: ``times`` as (days, start, length, weeks[, penalty]) and ``rooms`` as room ids
    (or (id, penalty)); no rooms = needs none. Course/config/subpart default to ones of its own."""

    id: str
    times: list
    rooms: list = field(default_factory=list)
    limit: int = 30
    parent: str | None = None
    course: str | None = None
    config: str | None = None
    subpart: str | None = None


def instance_xml(classes: list[Cls], distributions=(), *, rooms=("r1", "r2", "r3"), nr_days=7, nr_weeks=2,
                 slots=288, weights=(1, 1, 1, 1), travel=(), unavailable=(), students=(),
                 name="tiny") -> str:
    """The XML text of an instance.

    ``distributions``: (type, required_or_penalty, [class ids]) — ``True`` for required, an int
    for a penalty. ``travel``: (room, room, slots). ``unavailable``: (room, days, start, length,
    weeks). ``students``: (id, [course ids]).
    """
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<problem name="{name}" nrDays="{nr_days}" nrWeeks="{nr_weeks}" slotsPerDay="{slots}">',
           f'  <optimization time="{weights[0]}" room="{weights[1]}" distribution="{weights[2]}" student="{weights[3]}"/>',
           "  <rooms>"]
    for r in rooms:
        out.append(f'    <room id="{r}" capacity="50">')
        out += [f'      <travel room="{b}" value="{v}"/>' for a, b, v in travel if a == r]
        out += [f'      <unavailable days="{d}" start="{s}" length="{n}" weeks="{w}"/>'
                for a, d, s, n, w in unavailable if a == r]
        out.append("    </room>")
    out.append("  </rooms>")
    out.append("  <courses>")
    # group classes by course -> config -> subpart, keeping first-seen order
    tree: dict = {}
    for c in classes:
        course = c.course or f"k{c.id}"
        config = c.config or f"f{c.id}"
        subpart = c.subpart or f"p{c.id}"
        tree.setdefault(course, {}).setdefault(config, {}).setdefault(subpart, []).append(c)
    for course, configs in tree.items():
        out.append(f'    <course id="{course}">')
        for config, subparts in configs.items():
            out.append(f'      <config id="{config}">')
            for subpart, members in subparts.items():
                out.append(f'        <subpart id="{subpart}">')
                for c in members:
                    attrs = f'id="{c.id}" limit="{c.limit}"'
                    if c.parent:
                        attrs += f' parent="{c.parent}"'
                    if not c.rooms:
                        attrs += ' room="false"'
                    out.append(f"          <class {attrs}>")
                    for r in c.rooms:
                        rid, pen = (r, 0) if isinstance(r, str) else r
                        out.append(f'            <room id="{rid}" penalty="{pen}"/>')
                    for t in c.times:
                        days, start, length, weeks = t[:4]
                        pen = t[4] if len(t) > 4 else 0
                        out.append(f'            <time days="{days}" start="{start}" length="{length}" '
                                   f'weeks="{weeks}" penalty="{pen}"/>')
                    out.append("          </class>")
                out.append("        </subpart>")
            out.append("      </config>")
        out.append("    </course>")
    out.append("  </courses>")
    out.append("  <distributions>")
    for kind, how, ids in distributions:
        attr = 'required="true"' if how is True else f'penalty="{how}"'
        out.append(f'    <distribution type="{kind}" {attr}>')
        out += [f'      <class id="{i}"/>' for i in ids]
        out.append("    </distribution>")
    out.append("  </distributions>")
    out.append("  <students>")
    for sid, courses in students:
        out.append(f'    <student id="{sid}">')
        out += [f'      <course id="{k}"/>' for k in courses]
        out.append("    </student>")
    out.append("  </students>")
    out.append("</problem>")
    return "\n".join(out) + "\n"


def read_text(tmp_path: Path, text: str, name: str = "instance.xml") -> ClassProblem:
    path = tmp_path / name
    path.write_text(text)
    return read_problem_xml(path)


def first_options(problem: ClassProblem, students=None) -> ClassSolution:
    """Every class at its first time and first room (or none)."""
    return ClassSolution.create(problem, [0] * problem.n_classes, students=students)
