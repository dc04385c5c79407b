"""A plain-Python reference evaluator of the ITC2019 rules, independent of the numba kernels.

Written from the rules text, with other data structures than the kernels: placements are dicts
with *sets* of days and weeks (not bit masks), blocks come from the rules' fixpoint "merge any two
blocks closer than S" (not a sorted sweep), student conflicts are counted per student over their
pairs (not over a pair graph), room conflicts over all pairs of classes (not room lists), and
sectioning by sets. It reads only the problem's arrays and the solution's indices.

``oracle(problem, solution, maxblock)`` returns the same components as
:data:`tt_core.classes.kernels.COMPONENTS` plus ``dist`` (units per distribution).
"""

from __future__ import annotations

from itertools import combinations


def _bits(mask: int) -> set[int]:
    return {i for i in range(64) if (mask >> i) & 1}


def placements(p, sol) -> list[dict | None]:
    """Per class: None (no time) or {start, end, days, weeks, room (index or None), tpen, rpen}."""
    out = []
    for c in range(p.n_classes):
        t = int(sol.time[c])
        if t < 0:
            out.append(None)
            continue
        g = int(p.time_ptr[c]) + t
        o = int(sol.room[c])
        room = int(p.room_option_room[int(p.room_option_ptr[c]) + o]) if o >= 0 else None
        out.append({
            "start": int(p.time_start[g]), "end": int(p.time_start[g]) + int(p.time_length[g]),
            "days": _bits(int(p.time_days[g])), "weeks": _bits(int(p.time_weeks[g])), "room": room,
            "tpen": int(p.time_penalty[g]),
            "rpen": int(p.room_option_penalty[int(p.room_option_ptr[c]) + o]) if o >= 0 else 0,
        })
    return out


def _travel(p, a, b) -> int:
    if a["room"] is None or b["room"] is None:
        return 0
    return int(p.travel[a["room"], b["room"]])


def _meet_together(a, b) -> bool:
    return bool(a["days"] & b["days"]) and bool(a["weeks"] & b["weeks"])


def _pair_ok(kind: int, param: int, p, a, b) -> bool:
    """The rules' formula of pairwise type ``kind`` for a before b."""
    sa, ea, sb, eb = a["start"], a["end"], b["start"], b["end"]
    if kind == 0:
        return sa == sb
    if kind == 1:
        return (sa <= sb and eb <= ea) or (sb <= sa and ea <= eb)
    if kind == 2:
        return ea <= sb or eb <= sa
    if kind == 3:
        return a["days"] <= b["days"] or b["days"] <= a["days"]
    if kind == 4:
        return not (a["days"] & b["days"])
    if kind == 5:
        return a["weeks"] <= b["weeks"] or b["weeks"] <= a["weeks"]
    if kind == 6:
        return not (a["weeks"] & b["weeks"])
    if kind == 7:
        return sb < ea and sa < eb and _meet_together(a, b)
    if kind == 8:
        return not (sb < ea and sa < eb and _meet_together(a, b))
    if kind == 9:
        return a["room"] == b["room"]
    if kind == 10:
        return a["room"] != b["room"]
    if kind == 11:
        return (not _meet_together(a, b) or ea + _travel(p, a, b) <= sb or eb + _travel(p, b, a) <= sa)
    if kind == 12:
        fa, fb = min(a["weeks"]), min(b["weeks"])
        if fa != fb:
            return fa < fb
        fa, fb = min(a["days"]), min(b["days"])
        if fa != fb:
            return fa < fb
        return ea <= sb
    if kind == 13:
        return not _meet_together(a, b) or max(ea, eb) - min(sa, sb) <= param
    if kind == 14:
        return not _meet_together(a, b) or ea + param <= sb or eb + param <= sa
    raise AssertionError(kind)


def merge_blocks(intervals: list[tuple[int, int]], gap: int) -> list[dict]:
    """The rules' MergeBlocks: start with one block per class and merge any two blocks ``A, B``
    with ``A.start <= B.start <= A.end + gap`` until none is left."""
    blocks = [{"start": s, "end": e, "n": 1, "starts": {s}} for s, e in intervals]
    merged = True
    while merged:
        merged = False
        for a, b in combinations(range(len(blocks)), 2):
            x, y = blocks[a], blocks[b]
            if x["start"] > y["start"]:
                x, y = y, x
            if y["start"] <= x["end"] + gap:
                blocks[a] = {"start": x["start"], "end": max(x["end"], y["end"]), "n": x["n"] + y["n"],
                             "starts": x["starts"] | y["starts"]}
                del blocks[b]
                merged = True
                break
    return blocks


def distribution_units(p, pl, d: int, maxblock: str) -> int:
    kind = int(p.distribution_type[d])
    p1, p2 = int(p.distribution_param[d, 0]), int(p.distribution_param[d, 1])
    members = [int(c) for c in p.distribution_classes[p.distribution_ptr[d]:p.distribution_ptr[d + 1]]]
    placed = [pl[c] for c in members if pl[c] is not None]
    if kind <= 14:
        return sum(1 for a, b in combinations(placed, 2) if not _pair_ok(kind, p1, p, a, b))
    if kind == 15:
        days = set().union(*(x["days"] for x in placed)) if placed else set()
        return max(0, len(days) - p1)
    units = 0
    for w in range(p.nr_weeks):
        for day in range(p.nr_days):
            here = [x for x in placed if day in x["days"] and w in x["weeks"]]
            if kind == 16:
                units += max(0, sum(x["end"] - x["start"] for x in here) - p1)
                continue
            blocks = merge_blocks([(x["start"], x["end"]) for x in here], p2)
            if kind == 17:
                units += max(0, len(blocks) - (p1 + 1))
            else:
                for b in blocks:
                    if b["n"] > 1 and b["end"] - b["start"] > p1:
                        if maxblock == "competition" and len(b["starts"]) == 1:
                            continue  # all its classes start together: the competition skips it
                        units += 1
    return units


def sectioning_units(p, sol) -> int:
    units = 0
    config_of = {}
    subparts_of_config = {}
    for f in range(p.n_configs):
        subparts_of_config[f] = set(range(int(p.config_subpart_ptr[f]), int(p.config_subpart_ptr[f + 1])))
    subpart_of = {}
    for sp in range(p.n_subparts):
        for c in range(int(p.subpart_class_ptr[sp]), int(p.subpart_class_ptr[sp + 1])):
            subpart_of[c] = sp
    for k in range(p.n_courses):
        for f in range(int(p.course_config_ptr[k]), int(p.course_config_ptr[k + 1])):
            for sp in subparts_of_config[f]:
                for c in range(int(p.subpart_class_ptr[sp]), int(p.subpart_class_ptr[sp + 1])):
                    config_of[c] = (k, f)
    attendance = {c: 0 for c in range(p.n_classes)}
    for s in range(p.n_students):
        wanted = {int(k) for k in p.student_courses[p.student_ptr[s]:p.student_ptr[s + 1]]}
        mine = [int(c) for c in sol.student_classes[sol.student_ptr[s]:sol.student_ptr[s + 1]]]
        for c in mine:
            attendance[c] += 1
        for c in mine:
            if config_of[c][0] not in wanted:
                units += 1
        for k in wanted:
            in_course = [c for c in mine if config_of[c][0] == k]
            configs = {config_of[c][1] for c in in_course}
            if len(configs) != 1:
                units += 1   # no class of the course, or classes of two configs
                continue
            (f,) = configs
            for sp in subparts_of_config[f]:
                if sum(1 for c in in_course if subpart_of[c] == sp) != 1:
                    units += 1
        for c in mine:
            parent = int(p.class_parent[c])
            if parent >= 0 and parent not in mine:
                units += 1
    for c, n in attendance.items():
        units += max(0, n - int(p.class_limit[c]))
    return units


def oracle(p, sol, maxblock: str = "competition") -> dict:
    pl = placements(p, sol)
    out = dict.fromkeys(("unassigned", "room_conflicts", "room_unavailable", "distribution_hard",
                         "sectioning", "time", "room", "distribution", "student"), 0)
    for c, x in enumerate(pl):
        needs_room = int(p.room_option_ptr[c + 1]) > int(p.room_option_ptr[c])
        if x is None or (needs_room and x["room"] is None):
            out["unassigned"] += 1
        if x is None:
            continue
        out["time"] += x["tpen"]
        out["room"] += x["rpen"]
        r = x["room"]
        if r is not None:
            for u in range(int(p.unavailable_ptr[r]), int(p.unavailable_ptr[r + 1])):
                ud, uw = _bits(int(p.unavailable_days[u])), _bits(int(p.unavailable_weeks[u]))
                us = int(p.unavailable_start[u])
                ue = us + int(p.unavailable_length[u])
                if x["days"] & ud and x["weeks"] & uw and x["start"] < ue and us < x["end"]:
                    out["room_unavailable"] += 1
                    break
    for a, b in combinations([x for x in pl if x is not None and x["room"] is not None], 2):
        if a["room"] == b["room"] and _meet_together(a, b) and a["start"] < b["end"] and b["start"] < a["end"]:
            out["room_conflicts"] += 1
    dist = []
    for d in range(p.n_distributions):
        u = distribution_units(p, pl, d, maxblock)
        dist.append(u)
        if p.distribution_required[d]:
            out["distribution_hard"] += u
        else:
            cost = int(p.distribution_penalty[d]) * u
            out["distribution"] += cost // p.nr_weeks if int(p.distribution_type[d]) >= 16 else cost
    for s in range(p.n_students):
        mine = [pl[int(c)] for c in sol.student_classes[sol.student_ptr[s]:sol.student_ptr[s + 1]]]
        for a, b in combinations([x for x in mine if x is not None], 2):
            if _meet_together(a, b) and a["end"] + _travel(p, a, b) > b["start"] \
                    and b["end"] + _travel(p, b, a) > a["start"]:
                out["student"] += 1
    out["sectioning"] = sectioning_units(p, sol)
    out["dist"] = dist
    w = [int(x) for x in p.weights]
    out["total"] = w[0] * out["time"] + w[1] * out["room"] + w[2] * out["distribution"] + w[3] * out["student"]
    return out
