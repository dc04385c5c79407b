"""The approval workflow (tt_core.workflow): legal and illegal moves, roles, every department's
approval, rejection with a reason, one published variant per scenario, the audit log, and the
schema migration that introduced it."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from data_samples import rich_problem, rich_timetable

from tt_core import workflow as W
from tt_core.auth import PermissionDenied
from tt_core.cost import evaluate
from tt_core.errors import TimetableError
from tt_core.model import Timetable
from tt_core.store import MIGRATIONS, Store
from tt_core.synth import Recipe, generate

HEADS = {"Agriculture": "head-agr", "Classics": "head-cla", "Aerospace Engineering": "head-aer"}


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture
def db(tmp_db, tiny):
    """The tiny university with two feasible variants and one user per role."""
    p = tiny.problem
    assert set(p.department_names) == set(HEADS)
    with Store.open(tmp_db) as st:
        st.scenarios.import_problem(p, "tiny")
        report = evaluate(p, tiny.hidden)
        assert report.hard_violations == 0
        st.variants.save("tiny", tiny.hidden, report, name="a", problem=p)
        st.variants.save("tiny", tiny.hidden, report, name="b", problem=p)
        for dept, name in HEADS.items():
            st.users.add(name, "head", department=dept)
        for role in ("viewer", "registrar", "planner", "admin"):
            st.users.add(role, role)
        st.users.add("teacher", "teacher", teacher=p.teacher_names[0])
        yield st


def _status(db, vid) -> str:
    return W.review(db, vid).status


def _to(db, vid, status: str) -> None:
    """Bring variant ``vid`` to ``status`` the legal way (local mode)."""
    if status == "draft":
        return
    if status == "archived":
        W.archive(db, vid)
        return
    W.submit(db, vid)
    if status == "rejected":
        W.reject(db, vid, "not good enough", department="Classics")
    elif status in ("approved", "published"):
        W.approve(db, vid)
        if status == "published":
            W.publish(db, vid)
    assert _status(db, vid) == status


def _audit_actions(db) -> list[str]:
    return db.audit_log(1000)["action"].tolist()[::-1]


def test_the_whole_way_with_roles_is_recorded_in_the_audit_log(db):
    r = W.submit(db, 1, user="planner")
    assert r.status == "submitted" and r.round == 1 and set(r.parts) == set(HEADS)
    for i, (dept, head) in enumerate(HEADS.items()):
        r = W.approve(db, 1, user=head)  # a head approves their own department by default
        assert r.decisions[dept]["decision"] == "approved"
        assert r.status == ("approved" if i == len(HEADS) - 1 else "submitted")
    r, archived = W.publish(db, 1, user="registrar")
    assert r.status == "published" and archived == [] and r.published == 1
    log = db.audit_log(1000)
    steps = log[log["target"] == "variant 1"].iloc[::-1]
    assert steps["action"].tolist() == ["save variant", "submit variant", "approve variant", "approve variant",
                                        "approve variant", "publish variant"]
    assert steps["user_name"].tolist()[1:] == ["planner", *HEADS.values(), "registrar"]
    last = steps.iloc[-1]["detail"]
    assert (last["from"], last["to"]) == ("approved", "published")


def test_approval_needs_every_department_with_lectures(db, tiny):
    p = tiny.problem
    expected = [p.department_names[d] for d in sorted({int(p.course_department[c]) for c in range(p.n_courses)
                                                       if p.course_lectures[c] > 0 and p.course_department[c] >= 0})]
    W.submit(db, 1)
    assert list(W.review(db, 1).parts) == expected
    for dept in expected[:-1]:
        W.approve(db, 1, user=HEADS[dept])
        assert _status(db, 1) == "submitted"
        with pytest.raises(PermissionDenied):  # nobody else may cover the missing department
            W.approve(db, 1, user=HEADS[dept], department=expected[-1])
        with pytest.raises(TimetableError, match="waits for no decision of yours"):
            W.approve(db, 1, user=HEADS[dept])
    with pytest.raises(TimetableError, match="cannot be published"):
        W.publish(db, 1, user="registrar")
    assert W.review(db, 1).pending == (expected[-1],)
    W.approve(db, 1, user=HEADS[expected[-1]])
    assert _status(db, 1) == "approved"


def test_any_rejection_rejects_with_its_reason_and_a_resubmission_is_a_new_round(db):
    W.submit(db, 1)
    W.approve(db, 1, user="head-agr")
    with pytest.raises(TimetableError, match="needs a reason"):
        W.reject(db, 1, "   ", user="head-cla")
    assert _status(db, 1) == "submitted"
    r = W.reject(db, 1, "Friday labs clash with fieldwork", user="head-cla")
    assert r.status == "rejected"
    assert r.rejections == [("Classics", "head-cla", "Friday labs clash with fieldwork")]
    assert "Friday labs clash with fieldwork" in r.summary()
    with pytest.raises(TimetableError, match="is rejected, so it cannot be approved"):
        W.approve(db, 1, user="head-aer")
    r = W.submit(db, 1, user="planner")
    assert r.round == 2 and r.decisions == {} and set(r.pending) == set(HEADS)  # round 1 no longer counts
    history = W.history(db, 1)
    assert [(h["review_round"], h["department"], h["decision"]) for h in history] == [
        (1, "Agriculture", "approved"), (1, "Classics", "rejected")]


# every (status, action) pair the table does not allow
_ILLEGAL = [(s, a) for s in ("draft", "submitted", "approved", "rejected", "published", "archived")
            for a in W.ACTIONS if s not in W.TRANSITIONS[a][0]]


@pytest.mark.parametrize("status,action", _ILLEGAL)
def test_illegal_transitions_are_refused_and_change_nothing(db, status, action):
    _to(db, 1, status)
    before = (W.review(db, 1), len(db.audit_log(1000)))
    with pytest.raises(TimetableError, match=f"is {status}, so it cannot be") as info:
        W.transition(db, 1, action, reason="some reason")
    assert "Traceback" not in str(info.value)
    assert (W.review(db, 1), len(db.audit_log(1000))) == before


def test_the_legal_table_is_complete():
    assert len(_ILLEGAL) == 6 * len(W.ACTIONS) - sum(len(src) for src, _ in W.TRANSITIONS.values())
    assert {a: W.TRANSITIONS[a][1] for a in W.ACTIONS} == {
        "submit": "submitted", "withdraw": "draft", "approve": "approved", "reject": "rejected",
        "publish": "published", "archive": "archived"}


@pytest.mark.parametrize("user,status,action", [
    ("viewer", "draft", "submit"), ("head-agr", "draft", "submit"), ("registrar", "draft", "submit"),
    ("teacher", "draft", "submit"), ("viewer", "submitted", "withdraw"),
    ("planner", "submitted", "approve"), ("registrar", "submitted", "approve"), ("viewer", "submitted", "reject"),
    ("planner", "approved", "publish"), ("head-agr", "approved", "publish"), ("viewer", "approved", "publish"),
    ("planner", "published", "archive"), ("viewer", "draft", "archive"), ("nobody", "draft", "submit"),
])
def test_wrong_roles_are_refused_with_a_plain_message(db, user, status, action):
    _to(db, 1, status)
    before = W.review(db, 1)
    with pytest.raises(PermissionDenied, match=f"user '{user}'"):
        W.transition(db, 1, action, user=user, reason="a reason")
    assert W.review(db, 1) == before


def test_a_head_decides_only_for_their_own_department(db):
    W.submit(db, 1)
    with pytest.raises(PermissionDenied, match="heads department 'Agriculture'"):
        W.approve(db, 1, user="head-agr", department="Classics")
    with pytest.raises(PermissionDenied, match="heads department 'Agriculture'"):
        W.reject(db, 1, "no", user="head-agr", department="Classics")
    W.approve(db, 1, user="head-agr")
    with pytest.raises(TimetableError, match="already approved"):
        W.approve(db, 1, user="admin", department="Agriculture")
    r = W.approve(db, 1, user="admin")  # an admin may decide for every department still pending
    assert r.status == "approved" and r.decisions["Classics"]["user_name"] == "admin"


def test_publishing_archives_the_previous_published_variant(db):
    _to(db, 1, "published")
    _to(db, 2, "approved")
    r, archived = W.publish(db, 2, user="registrar")
    assert archived == [1] and r.published == 2
    statuses = {v["id"]: v["status"] for v in db.variants.list("tiny")}
    assert statuses == {1: "archived", 2: "published"}
    assert db.approvals.published("tiny") == 2
    entry = db.audit_log(1000).iloc[1]  # the archive step is written in the same transaction
    assert (entry["action"], entry["target"], entry["user_name"]) == ("archive variant", "variant 1", "registrar")


def test_only_complete_feasible_current_variants_go_forward(db, tiny):
    p = tiny.problem
    broken = tiny.hidden.copy()
    broken.period[1] = broken.period[0]  # a clash (same course twice in one period)
    broken.room[1] = broken.room[0]
    vid = db.variants.save("tiny", broken, evaluate(p, broken), name="clash", problem=p)
    with pytest.raises(TimetableError, match="breaks .* hard constraint"):
        W.submit(db, vid)
    unreported = db.variants.save("tiny", broken, name="no report", problem=p)  # evaluated on submit
    with pytest.raises(TimetableError, match="breaks .* hard constraint"):
        W.submit(db, unreported)
    partial = db.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), partial=True, problem=p)
    with pytest.raises(TimetableError, match="did not finish"):
        W.submit(db, partial)
    _to(db, 1, "approved")
    db.tables.update("rooms", "tiny", p.room_names[0], capacity=1)  # the data changes after approval
    with pytest.raises(TimetableError, match="cannot be published: generate a new one"):
        W.publish(db, 1)
    assert _status(db, 1) == "approved"
    for v in (vid, unreported, partial):
        assert _status(db, v) == "draft"


def test_a_decision_on_a_stale_snapshot_is_refused(db):
    W.submit(db, 1)
    snapshot = W.review(db, 1)
    W.approve(db, 1, user="head-agr")  # someone else decides meanwhile
    with pytest.raises(TimetableError, match="changed while you were looking"):
        db.approvals.change_status(1, "submitted", action="approve variant", expect_status=snapshot.status,
                                 expect_round=snapshot.round, expect_decisions=len(snapshot.decisions),
                                 decision={"department": "Classics", "decision": "approved"}, user="head-cla")
    assert set(W.review(db, 1).decisions) == {"Agriculture"}


def test_status_changes_only_through_the_workflow_and_published_variants_are_kept(db):
    with pytest.raises(TimetableError, match="only through the approval workflow"):
        db.variants.update(1, status="published")
    _to(db, 1, "published")
    with pytest.raises(TimetableError, match="archive it before deleting it"):
        db.variants.delete(1)
    W.archive(db, 1, user="registrar")
    db.variants.delete(1)
    assert [v["id"] for v in db.variants.list("tiny")] == [2]
    assert db.query("SELECT count(*) AS n FROM variant_approvals WHERE variant_id = 1")[0]["n"] == 0


def test_buttons_shown_per_role(db):
    r = W.review(db, 1)
    assert W.allowed_actions(db, r, None) == ["submit", "archive"]
    assert W.allowed_actions(db, r, "planner") == ["submit", "archive"]
    assert W.allowed_actions(db, r, "viewer") == []
    W.submit(db, 1)
    r = W.review(db, 1)
    assert W.allowed_actions(db, r, "head-cla") == ["approve", "reject"]
    assert W.allowed_actions(db, r, "registrar") == []
    W.approve(db, 1, user="head-cla")
    assert W.allowed_actions(db, W.review(db, 1), "head-cla") == []  # decided already
    W.approve(db, 1)
    assert W.allowed_actions(db, W.review(db, 1), "registrar") == ["publish"]  # archiving it is the planner's


def test_courses_without_a_department_are_approved_by_an_admin(tmp_db):
    problem = rich_problem()  # its seminar has no department
    tt = rich_timetable()
    with Store.open(tmp_db) as st:
        st.scenarios.import_problem(problem, "rich")
        vid = st.variants.save("rich", tt, evaluate(problem, tt), problem=problem)
        st.users.add("head-ms", "head", department="Maths & Stats")
        st.users.add("head-ph", "head", department="Physics")
        st.users.add("boss", "admin")
        if evaluate(problem, tt).hard_violations:
            pytest.skip("the sample timetable is not feasible")
        r = W.submit(st, vid)
        assert r.parts == ("Maths & Stats", "Physics", W.NO_DEPARTMENT)
        W.approve(st, vid, user="head-ms")
        W.approve(st, vid, user="head-ph")
        with pytest.raises(PermissionDenied):
            W.approve(st, vid, user="head-ph", department=W.NO_DEPARTMENT)
        assert W.approve(st, vid, user="boss").status == "approved"


def test_migration_5_keeps_every_variant_and_maps_review_to_submitted(tmp_db, tiny):
    """A version-2 database with variants in each old status opens as version 5+ with the same rows."""
    con = duckdb.connect(str(tmp_db))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    for version, description, sql in MIGRATIONS:
        if version <= 2:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [version, description])
    con.close()
    con = duckdb.connect(str(tmp_db))  # rows as version 2 wrote them
    con.execute("INSERT INTO scenarios (name, instance_name, days, periods_per_day, created_at) "
                "VALUES ('old', 'x', 1, 1, now()::TIMESTAMP)")
    con.execute("INSERT INTO time_grid VALUES (1, 0, 0, 0, 'p0', 0)")
    statuses = ["draft", "review", "approved", "published", "archived"]
    for i, s in enumerate(statuses):
        con.execute("INSERT INTO variants (scenario_id, name, status, chosen, problem_hash, n_lectures, meta, "
                    "created_at, updated_at) VALUES (1, ?, ?, ?, 'h', 0, '{\"k\": 1}', now()::TIMESTAMP, "
                    "now()::TIMESTAMP)", [f"v{i}", s, i == 2])
    before = con.execute("SELECT id, name, chosen, meta FROM variants ORDER BY id").fetchall()
    con.close()
    with Store.open(tmp_db) as st:
        assert st.schema_version() >= 5
        rows = st.query("SELECT id, name, chosen, meta, status, review_round FROM variants ORDER BY id")
        assert [(r["id"], r["name"], r["chosen"], r["meta"]) for r in rows] == before
        assert [r["status"] for r in rows] == ["draft", "submitted", "approved", "published", "archived"]
        assert [r["review_round"] for r in rows] == [0, 1, 1, 1, 0]
        new = st.variants.save("old", Timetable(np.zeros(0, np.int32), np.zeros(0, np.int32)))
        assert new == 6  # the id sequence continues
        with pytest.raises(duckdb.ConstraintException):
            st.query("INSERT INTO variants (scenario_id, name, status, problem_hash, n_lectures, created_at, "
                      "updated_at) VALUES (1, 'x', 'review', 'h', 0, now()::TIMESTAMP, now()::TIMESTAMP)")
        st.scenarios.delete("old")  # foreign keys of the rebuilt table still work for a purge
        assert st.query("SELECT count(*) AS n FROM variants")[0]["n"] == 0


def test_the_command_line_runs_the_workflow_and_refuses_a_wrong_role_plainly(db, capsys):
    from tt_core.cli import main

    path = db.path
    db.close()
    assert main(["workflow", "submit", "1", "--db", path, "--as", "registrar"]) == 2
    err = capsys.readouterr().err
    assert "may not submit variants" in err and "Traceback" not in err
    assert main(["workflow", "submit", "1", "--db", path, "--as", "planner"]) == 0
    for head in HEADS.values():
        assert main(["workflow", "approve", "1", "--db", path, "--as", head]) == 0
    assert main(["workflow", "publish", "1", "--db", path, "--as", "registrar"]) == 0
    assert "is published" in capsys.readouterr().out
    assert main(["workflow", "reject", "1", "--db", path, "--reason", "late"]) == 2
    assert "is published, so it cannot be rejected" in capsys.readouterr().err
    assert main(["workflow", "list", "tiny", "--db", path]) == 0
    out = capsys.readouterr().out
    assert "published" in out and "draft" in out
