"""Planting the hidden timetable: lectures placed greedily under the room-tier invariant (Hall's
condition per period), rooms assigned afterwards by decreasing tier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recipe import Recipe
from .structure import _Structure
from .vocabulary import _LAB_TIERS, _LECTURE_TIERS, _tiers_for

# ----------------------------------------------------------------------------- placement


@dataclass
class _Pool:
    """Rooms of one kind (lecture rooms or lab rooms) booked per time *unit* (period or lab block)."""

    tiers: np.ndarray           # seats of each tier, ascending
    n_units: int
    room_tier: list[int]        # tier of each room, grows when a placement needs one more room
    headroom: np.ndarray        # int [units, tiers]: rooms of tier >= j minus lectures of tier >= j

    @classmethod
    def sized(cls, tiers: np.ndarray, demand: np.ndarray, n_units: int, occupancy: float) -> "_Pool":
        """Room counts so that lectures of tier >= j fill about ``occupancy`` of those rooms' units."""
        cum_demand = np.cumsum(demand[::-1])[::-1]
        cum_rooms = np.ceil(cum_demand / (n_units * occupancy)).astype(np.int64)
        counts = cum_rooms - np.append(cum_rooms[1:], 0)
        room_tier = [int(k) for k in np.repeat(np.arange(len(tiers)), counts)]
        headroom = np.tile(cum_rooms, (n_units, 1))
        return cls(tiers, n_units, room_tier, headroom)

    def add_room(self, tier: int) -> None:
        self.room_tier.append(tier)
        self.headroom[:, :tier + 1] += 1


class _Placer:
    """Greedy planted-timetable construction: one lecture at a time into a conflict-free start.

    Among the feasible starts a score prefers a new day for the course (minimum working days),
    periods next to the curriculum's other lectures (compactness), no early/late penalty, staying
    under the daily maxima and periods with spare rooms; random noise breaks ties so timetables
    differ between seeds.
    """

    def __init__(self, r: Recipe, s: _Structure, rng: np.random.Generator):
        self.r, self.s, self.rng = r, s, rng
        D, S = r.days, r.periods_per_day
        P = D * S
        self.D, self.S, self.P = D, S, P
        pen = np.zeros(S, np.int64)
        pen[:r.early_periods] = r.early_penalty
        if r.late_periods:
            pen[S - r.late_periods:] = np.maximum(pen[S - r.late_periods:], r.late_penalty)
        self.period_penalty = np.tile(pen, D)
        # lab blocks: a day cut into chunks of the longest lab; a lab room is booked per block
        B = r.lab_length[1]
        self.blocks = [(b0, min(B, S - b0)) for b0 in range(0, S, B)]
        nb = len(self.blocks)
        # candidate starts per lecture length: (start period, booking unit, day)
        self.cand: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        lengths = set(int(x) for x in np.unique(s.c_length))
        for L in lengths:
            if L == 1:
                st = np.arange(P)
                unit = st
            else:
                st_l, un_l = [], []
                for d in range(D):
                    for b, (b0, blen) in enumerate(self.blocks):
                        for off in range(blen - L + 1):
                            st_l.append(d * S + b0 + off)
                            un_l.append(d * nb + b)
                st, unit = np.array(st_l, np.int64), np.array(un_l, np.int64)
            win_pen = sum(self.period_penalty[st + i] for i in range(L))
            self.cand[L] = (st, unit, st // S, win_pen)
        C = len(s.c_names)
        Q = len(s.q_names)
        T = len(s.t_dept)
        self.q_busy = np.zeros((Q, P + 1), np.bool_)      # +1: a never-busy sentinel for neighbours
        self.t_busy = np.zeros((T, P), np.bool_)
        self.q_day = np.zeros((Q, D), np.int64)
        self.t_day = np.zeros((T, D), np.int64)
        self.c_days = np.zeros((C, D), np.bool_)
        # room pools sized from demand before placing anything
        lab = s.c_lab
        self.c_tier = np.zeros(C, np.int64)
        lec_tiers = _tiers_for(_LECTURE_TIERS, int(s.c_students[~lab].max(initial=0)))
        lab_tiers = _tiers_for(_LAB_TIERS, int(s.c_students[lab].max(initial=0)))
        self.c_tier[~lab] = np.searchsorted(lec_tiers, s.c_students[~lab])
        self.c_tier[lab] = np.searchsorted(lab_tiers, s.c_students[lab])
        lec_demand = np.bincount(self.c_tier[~lab], weights=s.c_lectures[~lab], minlength=len(lec_tiers))
        lab_demand = np.bincount(self.c_tier[lab], weights=s.c_lectures[lab], minlength=len(lab_tiers))
        self.lecture_pool = _Pool.sized(lec_tiers, lec_demand, P, r.occupancy)
        self.lab_pool = _Pool.sized(lab_tiers, lab_demand, D * nb, r.lab_occupancy)
        self.start = [np.zeros(0, np.int64)] * C   # placed start periods per course
        self.unit = [np.zeros(0, np.int64)] * C    # booking unit per placed lecture
        self.dropped = 0
        # enrolments form: lectures of shared courses gather in common slots (per kind; departmental
        # electives per department), as NEP timetables keep "basket" slots for them. A cohort then
        # meets its students' many choices in a few periods instead of all over the week.
        self.basket = None
        if s.c_priority is not None:
            self.basket = np.where(s.c_priority < 3, s.c_priority, np.where(s.c_priority == 3, 3 + s.c_dept, -1))
            self.basket_at = np.zeros((int(self.basket.max(initial=-1)) + 1, P + 1), np.int64)

    def run(self) -> None:
        s, rng = self.s, self.rng
        C = len(s.c_names)
        # most constrained first: labs (need a free block), then by number of curricula (open
        # electives join several departments), then longer courses; random among equals
        n_q = np.array([len(m) for m in s.c_curricula])
        keys = (rng.random(C), -(s.c_lectures * s.c_length), -n_q, ~s.c_lab)
        if s.c_priority is not None:
            # enrolments: courses shared across cohorts first (skill, open, minor), as registries
            # reserve common slots for them; each cohort's own courses then fill around them
            keys += (s.c_priority,)
        key = np.lexsort(keys)
        for c in key:
            starts, units = [], []
            for _ in range(int(s.c_lectures[c])):
                got = self.place(int(c))
                if got is None:
                    self.dropped += 1
                    continue
                starts.append(got[0])
                units.append(got[1])
            order = np.argsort(starts, kind="stable")
            self.start[c] = np.array(starts, np.int64)[order]
            self.unit[c] = np.array(units, np.int64)[order]

    def place(self, c: int) -> tuple[int, int] | None:
        """Place one lecture of course ``c``; returns (start, unit) or None if no start is conflict-free."""
        r, s, S = self.r, self.s, self.S
        qs = s.c_curricula[c]
        t = int(s.c_teacher[c])
        L = int(s.c_length[c])
        k = int(self.c_tier[c])
        pool = self.lab_pool if s.c_lab[c] else self.lecture_pool
        st, unit, day, win_pen = self.cand[L]
        busy = self.q_busy[qs, :self.P].any(axis=0) | self.t_busy[t]
        free = ~busy[st]
        for i in range(1, L):
            free &= ~busy[st + i]
        if not free.any():
            return None
        head = pool.headroom[unit, :k + 1].min(axis=1)
        ok = free & (head >= 1)
        if not ok.any():
            # curricula and teacher allow it but every such period is out of suitable rooms: the
            # university gets one more room of this tier (the instance is built around the plan)
            pool.add_room(k)
            head = head + 1
            ok = free
        idx = np.flatnonzero(ok)
        st, unit, day = st[idx], unit[idx], day[idx]
        score = 10.0 * self.c_days[c, day]
        score += 2.0 * win_pen[idx]
        qd = self.q_day[qs][:, day]                                    # [nq, n]
        if r.curriculum_max_per_day:
            score += 4.0 * np.clip(qd + 1 - r.curriculum_max_per_day, 0, None).sum(axis=0)
        if r.teacher_max_per_day:
            score += 3.0 * (self.t_day[t, day] + 1 > r.teacher_max_per_day)
        # compactness: a neighbour period of the same day already used by the curriculum
        slot = st % S
        left = np.where(slot > 0, st - 1, self.P)                      # P = never-busy sentinel
        right = np.where(slot + L < S, st + L, self.P)
        qb = self.q_busy[qs]
        adj = qb[:, left] | qb[:, right]
        score += ((qd > 0) & ~adj).sum(axis=0) - 1.0 * adj.sum(axis=0)
        score += 1.0 / head[idx]                                       # keep spare rooms everywhere
        if self.basket is not None and self.basket[c] >= 0:
            score -= 6.0 * (self.basket_at[self.basket[c], st] > 0)
        score += 2.0 * self.rng.random(len(idx))
        j = int(np.argmin(score))
        p, u, d = int(st[j]), int(unit[j]), int(day[j])
        self.q_busy[qs, p:p + L] = True
        self.t_busy[t, p:p + L] = True
        self.q_day[qs, d] += 1
        self.t_day[t, d] += 1
        self.c_days[c, d] = True
        pool.headroom[u, :k + 1] -= 1
        if self.basket is not None and self.basket[c] >= 0:
            self.basket_at[self.basket[c], p] += 1
        return p, u


def _assign_rooms(pool: _Pool, courses: np.ndarray, c_tier: np.ndarray, units: list[np.ndarray],
                  home: np.ndarray, room_building: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Rooms (pool-local ids) for the lectures of ``courses``.

    Courses go in decreasing tier: with Hall's condition kept per unit by the placement, each
    lecture then always finds a free room of a tier at least its own (see the module docstring).
    A course first tries one room for all its lectures (room stability), smallest adequate tier,
    in its department's building; otherwise lectures are placed one by one, reusing its rooms.
    """
    room_tier = np.array(pool.room_tier, np.int64)
    busy = np.zeros((len(room_tier), pool.n_units), np.bool_)
    out: list[np.ndarray] = [np.zeros(0, np.int64)] * len(units)
    order = courses[np.lexsort((rng.random(len(courses)), -c_tier[courses]))]
    for c in order:
        u = units[c]
        if not len(u):
            continue
        adequate = room_tier >= c_tier[c]
        pref = room_tier * 4.0 + 2.0 * (room_building != home[c]) + rng.random(len(room_tier))
        whole = adequate & ~busy[:, u].any(axis=1)
        if whole.any():
            rm = int(np.argmin(np.where(whole, pref, np.inf)))
            busy[rm, u] = True
            out[c] = np.full(len(u), rm, np.int64)
            continue
        got = np.empty(len(u), np.int64)
        used = np.zeros(len(room_tier), np.bool_)
        for i, unit in enumerate(u):
            cand = adequate & ~busy[:, unit]
            if not cand.any():  # cannot happen while the placement keeps Hall's condition
                raise RuntimeError(f"synth: no room left for course {c} in unit {unit}")
            rm = int(np.argmin(np.where(cand, pref - 8.0 * used, np.inf)))
            busy[rm, unit] = True
            used[rm] = True
            got[i] = rm
        out[c] = got
    return out
