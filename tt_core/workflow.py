"""The approval workflow of a timetable variant: draft → submitted → approved | rejected → published.

A planner *submits* a finished variant. It then needs the approval of every department that has
lectures in it: each department head (role ``head``, :mod:`tt_core.auth`) approves or rejects
their department's part. The variant becomes *approved* when the last of those departments
approves; any rejection (a reason is required) makes it *rejected* at once, and the planner can
submit it again (a new review round: the previous round's decisions stay in the history but no
longer count). A registrar then *publishes* an approved variant. A scenario has at most one
published variant: publishing another archives the previous one, in the same transaction. Only
the published variant is what viewers, exports and share links show by default.

==========  ======================  =============  =========================================
action      from                    to             who (:data:`tt_core.auth.PERMISSIONS`)
==========  ======================  =============  =========================================
submit      draft, rejected         submitted      ``submit_variant`` (planner, admin)
withdraw    submitted               draft          ``submit_variant``
approve     submitted               approved [1]_  ``approve_department`` (its head, admin)
reject      submitted               rejected       ``approve_department``
publish     approved                published      ``publish`` (registrar, admin)
archive     draft, rejected,        archived       ``choose_variant``; a published one:
            approved, published                    ``publish``
==========  ======================  =============  =========================================

.. [1] once every department with lectures in the variant approved; until then it stays submitted.

Lectures of courses without a department form one more part, :data:`NO_DEPARTMENT`, which no head
heads: an admin approves it (on an ITC2007 instance, which has no departments, that is the only
part). Every step is one transaction of the store (:meth:`~tt_core.store.approvals.ApprovalRepository.change_status`)
that also writes the audit log; the step is decided here from a snapshot and written only if the
snapshot still holds. An illegal step or a wrong role raises a
:class:`~tt_core.errors.TimetableError` (:class:`~tt_core.auth.PermissionDenied` for roles) whose
message says what is possible instead. ``user=None`` is local mode (the command line, a notebook,
an app served without sign-in), which may do everything (:mod:`tt_core.auth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import auth
from .errors import TimetableError

__all__ = ["TRANSITIONS", "ACTIONS", "NO_DEPARTMENT", "Review", "review", "transition", "submit", "withdraw",
           "approve", "reject", "publish", "archive", "allowed_actions", "history"]

#: the part of a variant made of the lectures of courses without a department
NO_DEPARTMENT = "(no department)"

#: action -> (statuses it starts from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "rejected"), "submitted"),
    "withdraw": (("submitted",), "draft"),
    "approve": (("submitted",), "approved"),
    "reject": (("submitted",), "rejected"),
    "publish": (("approved",), "published"),
    "archive": (("draft", "rejected", "approved", "published"), "archived"),
}
ACTIONS = tuple(TRANSITIONS)

_PAST = {"submit": "submitted", "withdraw": "withdrawn", "approve": "approved", "reject": "rejected",
         "publish": "published", "archive": "archived"}
# what can be done from each status, for the refusal messages
_NEXT = {
    "draft": "submit it for approval first",
    "submitted": "it is waiting for the departments' decisions",
    "approved": "a registrar can publish it",
    "rejected": "submit it again after addressing the reasons",
    "published": "it is the published timetable already",
    "archived": "archived variants are kept for the record only",
}


@dataclass(frozen=True)
class Review:
    """A variant's workflow state (one snapshot of the store).

    Attributes
    ----------
    variant_id, name, scenario, status, round
        ``round`` counts submissions (0: never submitted).
    parts : tuple of str
        The departments whose approval it needs (plus :data:`NO_DEPARTMENT` when some courses
        have no department), in department order.
    decisions : dict
        department -> ``{"decision", "user_name", "reason", "decided_at"}`` of this round.
    published : int or None
        The scenario's published variant (maybe this one).
    """

    variant_id: int
    name: str
    scenario: str
    scenario_id: int
    status: str
    round: int
    partial: bool
    hard_violations: int | None
    parts: tuple[str, ...]
    decisions: dict = field(default_factory=dict)
    published: int | None = None

    @property
    def pending(self) -> tuple[str, ...]:
        """Parts without a decision in this round."""
        return tuple(p for p in self.parts if p not in self.decisions)

    @property
    def approved_parts(self) -> tuple[str, ...]:
        return tuple(p for p in self.parts if self.decisions.get(p, {}).get("decision") == "approved")

    @property
    def rejections(self) -> list[tuple[str, str, str]]:
        """``(department, user, reason)`` of this round's rejections."""
        return [(d, r.get("user_name") or "", r.get("reason") or "") for d, r in self.decisions.items()
                if r["decision"] == "rejected"]

    def summary(self) -> str:
        """One or two lines in words, for the apps and ``tt workflow status``."""
        head = f"variant #{self.variant_id} {self.name!r} of scenario {self.scenario!r} is {self.status}"
        if self.status == "submitted":
            done = len(self.parts) - len(self.pending)
            head += (f" (review round {self.round}: {done} of {len(self.parts)} department(s) decided"
                     + (f"; waiting for {', '.join(self.pending)}" if self.pending else "") + ")")
        elif self.status == "rejected":
            head += ": " + "; ".join(f"{d} rejected it ({u or 'local user'}): {why}" for d, u, why in self.rejections)
        elif self.status == "approved":
            head += f" by {', '.join(self.approved_parts) or 'its departments'}; a registrar can publish it"
        if self.published is not None and self.published != self.variant_id and self.status != "archived":
            head += f"; variant #{self.published} is the published one"
        return head


def review(store, variant_id: int) -> Review:
    """The workflow state of a variant."""
    info = store.approvals.review(int(variant_id))
    parts = list(info["departments"])
    if info["undepartmented"]:
        parts.append(NO_DEPARTMENT)
    decisions = {d["department"]: {k: d[k] for k in ("decision", "user_name", "reason", "decided_at")}
                 for d in info["decisions"]}
    return Review(int(info["id"]), info["name"], info["scenario"], int(info["scenario_id"]), info["status"],
                  int(info["review_round"]), bool(info["partial"]), info["hard_violations"], tuple(parts),
                  decisions, info["published"])


# ----------------------------------------------------------------------------- checks
def _check_from(r: Review, action: str) -> None:
    sources, _ = TRANSITIONS[action]
    if r.status not in sources:
        raise TimetableError(f"variant #{r.variant_id} is {r.status}, so it cannot be {_PAST[action]} (only a "
                             f"{' or '.join(sources)} variant can); {_NEXT[r.status]}")


def _permission(action: str, status: str) -> str:
    """The :mod:`tt_core.auth` action a workflow action needs."""
    if action in ("submit", "withdraw"):
        return "submit_variant"
    if action in ("approve", "reject"):
        return "approve_department"
    if action == "publish" or (action == "archive" and status == "published"):
        return "publish"
    return "choose_variant"


def _check_fits(store, r: Review, action: str) -> None:
    """A variant is submitted or published only when it is complete, feasible and still fits its data."""
    if r.partial:
        raise TimetableError(f"variant #{r.variant_id} is the best-so-far timetable of a job that did not finish; "
                             f"only a finished variant can be {_PAST[action]}")
    _, info = store.variants.load(r.variant_id)
    if info["stale"]:
        raise TimetableError(f"variant #{r.variant_id} was made before scenario {r.scenario!r} last changed, so it "
                             f"may not fit its courses and rooms; it cannot be {_PAST[action]}: generate a new one")
    hard = info["hard_violations"]
    if hard is None:  # stored without a cost report: evaluate it now
        from .cost import evaluate

        hard = int(evaluate(store.scenarios.load_problem(r.scenario_id), store.variants.load_timetable(r.variant_id))
                   .hard_violations)
    if hard:
        raise TimetableError(f"variant #{r.variant_id} breaks {hard} hard constraint(s) (clashes, unplaced lectures "
                             f"…); it cannot be {_PAST[action]}: repair it or generate another")


def _step(store, r: Review, action: str, status: str, *, user, review_round=None, decision=None,
          detail=None) -> list[int]:
    return store.approvals.change_status(r.variant_id, status, action=f"{action} variant", expect_status=r.status,
                                       expect_round=r.round, expect_decisions=len(r.decisions),
                                       review_round=review_round, decision=decision, user=user, detail=detail)


# ----------------------------------------------------------------------------- actions
def submit(store, variant_id: int, *, user: str | None = None) -> Review:
    """Send a draft (or rejected) variant for approval; a new review round starts."""
    r = review(store, variant_id)
    auth.require(store, user, "submit_variant")
    _check_from(r, "submit")
    if not r.parts:
        raise TimetableError(f"variant #{r.variant_id} has no lectures; there is nothing to approve")
    _check_fits(store, r, "submit")
    _step(store, r, "submit", "submitted", user=user, review_round=r.round + 1,
          detail={"departments": list(r.parts)})
    return review(store, variant_id)


def withdraw(store, variant_id: int, *, user: str | None = None) -> Review:
    """Take a submitted variant back to draft (this round's decisions no longer count)."""
    r = review(store, variant_id)
    auth.require(store, user, "submit_variant")
    _check_from(r, "withdraw")
    _step(store, r, "withdraw", "draft", user=user)
    return review(store, variant_id)


def _deciding_parts(store, r: Review, user, department: str | None, action: str) -> list[str]:
    """The parts ``user`` decides for: the one named, else every pending part the user may decide."""
    if department is not None:
        if department not in r.parts:
            raise TimetableError(f"variant #{r.variant_id} has no lecture of department {department!r}; its parts: "
                                 f"{', '.join(r.parts) or 'none'}")
        auth.require(store, user, "approve_department", department=department)
        if department in r.decisions:
            d = r.decisions[department]
            raise TimetableError(f"department {department!r} already {d['decision']} variant #{r.variant_id} in this "
                                 f"review round ({d['user_name'] or 'local user'})")
        return [department]
    auth.require(store, user, "approve_department", department=_own_department(store, user))
    mine = [p for p in r.pending if auth.allowed(store, user, "approve_department", department=p)]
    if not mine:
        own = _own_department(store, user)
        if own is not None and own not in r.parts:
            raise TimetableError(f"variant #{r.variant_id} has no lecture of your department {own!r}, so it needs no "
                                 f"decision from you; it waits for {', '.join(r.pending) or 'nobody'}")
        raise TimetableError(f"variant #{r.variant_id} waits for no decision of yours; it waits for "
                             f"{', '.join(r.pending) or 'nobody'}")
    return mine


def _own_department(store, user) -> str | None:
    row = auth.user_record(store, user)
    return None if row is None else row.get("department")


def approve(store, variant_id: int, *, user: str | None = None, department: str | None = None) -> Review:
    """Approve a submitted variant for one department (default: every pending department the user
    may approve: a head's own, all for an admin or local mode). When the last department approves,
    the variant becomes approved."""
    r = review(store, variant_id)
    _check_from(r, "approve")
    parts = _deciding_parts(store, r, user, department, "approve")
    for part in parts:
        r = review(store, variant_id)
        if r.status != "submitted" or part in r.decisions:
            raise TimetableError(f"variant #{r.variant_id} changed while you were deciding (it is {r.status}); "
                                 "reload and try again")
        left = [p for p in r.pending if p != part]
        _step(store, r, "approve", "submitted" if left else "approved", user=user,
              decision={"department": part, "decision": "approved", "reason": ""})
    return review(store, variant_id)


def reject(store, variant_id: int, reason: str, *, user: str | None = None, department: str | None = None) -> Review:
    """Reject a submitted variant for a department, with a reason; the variant is rejected at once."""
    reason = (reason or "").strip()
    if not reason:
        raise TimetableError("a rejection needs a reason, so the planner knows what to change")
    r = review(store, variant_id)
    _check_from(r, "reject")
    part = _deciding_parts(store, r, user, department, "reject")[0]
    _step(store, r, "reject", "rejected", user=user,
          decision={"department": part, "decision": "rejected", "reason": reason})
    return review(store, variant_id)


def publish(store, variant_id: int, *, user: str | None = None) -> tuple[Review, list[int]]:
    """Publish an approved variant; the scenario's previously published variant is archived.

    Returns the new state and the ids of the archived variants.
    """
    r = review(store, variant_id)
    auth.require(store, user, "publish")
    _check_from(r, "publish")
    _check_fits(store, r, "publish")
    archived = _step(store, r, "publish", "published", user=user)
    return review(store, variant_id), archived


def archive(store, variant_id: int, *, user: str | None = None) -> Review:
    """Archive a variant (a published one: the scenario then has no published timetable)."""
    r = review(store, variant_id)
    auth.require(store, user, _permission("archive", r.status))
    _check_from(r, "archive")
    _step(store, r, "archive", "archived", user=user)
    return review(store, variant_id)


def transition(store, variant_id: int, action: str, *, user: str | None = None, department: str | None = None,
               reason: str | None = None) -> Review:
    """Run one workflow ``action`` (a key of :data:`TRANSITIONS`) by name."""
    if action not in TRANSITIONS:
        raise TimetableError(f"unknown workflow action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "approve":
        return approve(store, variant_id, user=user, department=department)
    if action == "reject":
        return reject(store, variant_id, reason or "", user=user, department=department)
    if action == "publish":
        return publish(store, variant_id, user=user)[0]
    return {"submit": submit, "withdraw": withdraw, "archive": archive}[action](store, variant_id, user=user)


def allowed_actions(store, r: Review, user: str | None) -> list[str]:
    """The actions ``user`` may take on the variant now (the apps show only these buttons).

    A button shown may still be refused for reasons that need the timetable (stale, infeasible):
    the refusal then says why.
    """
    out = []
    for action, (sources, _) in TRANSITIONS.items():
        if r.status not in sources:
            continue
        if action in ("approve", "reject"):
            if any(auth.allowed(store, user, "approve_department", department=p) for p in r.pending):
                out.append(action)
        elif auth.allowed(store, user, _permission(action, r.status)):
            out.append(action)
    return out


def history(store, variant_id: int) -> list[dict]:
    """Every department decision on the variant, all rounds, oldest first."""
    return store.approvals.decisions(int(variant_id))
