"""The approval and substitution controls of the apps, without a browser: the workflow state of
``apps/ui/approval.py`` per role, the ``apps/workflow.py`` app state, and the timetable app
opening on the published variant."""

from __future__ import annotations

import datetime as dt
import shutil
import sys

import pytest
from test_apps_state import load_app

from tt_core import workflow as W
from tt_core.commands.data import university_meta
from tt_core.cost import evaluate
from tt_core.services import Studio
from tt_core.store import Store
from tt_core.synth import Recipe, generate

MONDAY = dt.date(2026, 3, 2)


def _ui():
    """The apps' ``ui.approval`` and ``ui.shared`` modules, as the served apps import them."""
    load_app("workflow")  # puts apps/ on sys.path and imports both
    return sys.modules["ui.approval"], sys.modules["ui.shared"]


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def template_db(tiny, tmp_path_factory):
    path = tmp_path_factory.mktemp("apps-workflow") / "template.duckdb"
    p = tiny.problem
    with Store.open(path) as db:
        db.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        for name in ("first", "second"):
            db.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name=name, problem=p)
        for role in ("viewer", "planner", "registrar"):
            db.users.add(role, role)
        db.users.add("head", "head", department=p.department_names[0])
    return path


@pytest.fixture
def db(template_db, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copy(template_db, path)
    with Store.open(path) as st:
        yield st


def test_the_panel_runs_the_whole_workflow_and_shows_only_allowed_buttons(db):
    ui, shared = _ui()
    flow = ui.WorkflowState(Studio(db), shared.Messages(), variant=1)
    assert flow.actions == ["submit", "archive"] and "draft" in flow.status
    for action, status in (("submit", "submitted"), ("approve", "approved"), ("publish", "published")):
        flow.step(action)
        assert flow.messages.error == "", flow.messages.error
        assert f"is {status}" in flow.messages.info and W.review(db, 1).status == status
    assert flow.changed == 3 and flow.actions == ["archive"]
    assert len(flow.decisions) == len(W.review(db, 1).parts)


@pytest.mark.parametrize("user,shown", [("viewer", []), ("planner", ["submit", "archive"]), ("registrar", []),
                                        ("head", [])])
def test_roles_see_their_buttons_and_are_refused_the_others(db, user, shown):
    ui, shared = _ui()
    flow = ui.WorkflowState(Studio(db, user=user), shared.Messages(), variant=1)
    assert flow.actions == shown
    if "submit" not in shown:
        flow.step("submit")  # a click that could only come from a forged request
        assert "may not" in flow.messages.error and W.review(db, 1).status == "draft"


def test_a_head_sees_approve_and_reject_with_a_reason_for_their_department(db, tiny):
    ui, shared = _ui()
    W.submit(db, 1)
    flow = ui.WorkflowState(Studio(db, user="head"), shared.Messages(), variant=1)
    assert flow.actions == ["approve", "reject"]
    flow.step("reject")
    assert "needs a reason" in flow.messages.error
    flow.reason = "too many late lectures"
    flow.step("reject")
    r = W.review(db, 1)
    assert r.status == "rejected" and r.rejections == [(tiny.problem.department_names[0], "head",
                                                        "too many late lectures")]
    assert flow.reason == "" and flow.actions == []


def test_the_workflow_app_proposes_applies_and_rolls_back(db):
    app = load_app("workflow")
    for step in ("submit", "approve", "publish"):
        W.transition(db, 2, step)
    state = app.WorkflowAppState(Studio(db))
    assert "variant #2" in state.published
    assert state.variants.set_index("id")["status"].to_dict() == {2: "published", 1: "draft"}
    state.param.update(date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=4))
    for teacher in state.param.teacher.objects.values():  # a teacher with a lecture someone can take
        state.teacher = teacher
        state.propose()
        if (state.proposals["rank"] == 1).any():
            break
    rows = state.proposals.index[state.proposals["rank"] == 1].tolist()
    assert rows, state.messages.error
    state.apply(rows[:1])
    assert state.messages.error == "" and len(state.substitutions) == 1
    state.apply([])
    assert "select the proposal" in state.messages.error
    state.rollback([0])
    assert state.messages.error == "" and state.substitutions.empty
    state.cover()
    assert "substitution(s) recorded" in state.messages.info and not state.substitutions.empty


def test_the_timetable_app_opens_on_the_published_variant(db):
    app = load_app("timetable")
    for step in ("submit", "approve", "publish"):
        W.transition(db, 1, step)
    db.variants.choose(2)
    state = app.TimetableState(Studio(db))
    assert state.variant == 1  # published beats chosen and newest
    state.week = MONDAY
    assert "week of 2026-03-02" in state.title


def _teaching(db, tiny, variant: int) -> tuple[str, int]:
    """A teacher of the scenario and a period where they teach in ``variant``."""
    p = tiny.problem
    tt = db.variants.load_timetable(variant)
    lecture = 0
    return p.teacher_names[int(p.course_teacher[p.lecture_course[lecture]])], int(tt.period[lecture])


def test_a_published_timetable_broken_by_a_teachers_availability_is_reported_to_all(db, tiny):
    """A teacher marks a period unavailable where they teach in the published timetable: the
    workflow table shows the hard violation (not the stored "hard 0"), the workflow and variants
    apps warn the planners naming it, and the teacher is told when saving."""
    for step in ("submit", "approve", "publish"):
        W.transition(db, 1, step)
    teacher, period = _teaching(db, tiny, 1)
    db.users.add("tina", "teacher", teacher)
    avail = load_app("availability").AvailabilityState(Studio(db, user="tina"), scenario="tiny")
    assert avail.teacher == teacher and avail.editable
    ppd = tiny.problem.periods_per_day
    assert period not in avail.periods()[0]
    avail.toggle(period % ppd, avail.frame.columns[1 + period // ppd])
    avail.toggle(period % ppd, avail.frame.columns[1 + period // ppd])  # free → rather not → unavailable
    assert period in avail.periods()[0]
    avail.save()
    assert "saved" in avail.messages.info and avail.messages.error == ""
    assert "the published timetable (variant #1) has lectures of yours where you are now unavailable" in \
        avail.messages.warning.lower()
    assert "unavailable" in avail.messages.warning and tiny.problem.period_labels[period] in avail.messages.warning

    flow = load_app("workflow").WorkflowAppState(Studio(db))
    row = flow.variants.set_index("id").loc[1]
    assert row["hard"] >= 1 and row["data changed"] == "yes"
    assert flow.variants.set_index("id").loc[2, "hard"] >= 0
    assert "The published timetable (variant #1) now breaks" in flow.warnings
    assert tiny.problem.period_labels[period] in flow.warnings
    compare = load_app("variants").VariantsState(Studio(db))
    assert "The published timetable (variant #1) now breaks" in compare.notes
    assert "1 hard" in next(label for label, vid in compare.options.items() if vid == 1)
    # the stored numbers stay those of the data the variant was made for
    assert next(v for v in db.variants.list("tiny") if v["id"] == 1)["hard_violations"] == 0


def test_a_draft_broken_by_a_data_change_is_re_evaluated_but_no_one_is_warned(db, tiny):
    """Only timetables people follow (published, approved, under review, chosen) raise a warning;
    every variant's costs are those under the current data."""
    teacher, period = _teaching(db, tiny, 2)
    Studio(db).data.save_teacher_periods("tiny", teacher, [period], [])
    studio = Studio(db)
    now = studio.variants.standings("tiny")
    assert now[2].changed and now[2].hard >= 1 and not now[2].followed
    assert studio.variants.warnings("tiny") == []
    db.variants.choose(2)
    assert "The chosen variant (variant #2) now breaks" in studio.variants.warnings("tiny")[0]
    assert "lectures of yours" in studio.variants.warnings("tiny", teacher=teacher)[0]
    other = next(t for t in tiny.problem.teacher_names if t != teacher)
    assert studio.variants.warnings("tiny", teacher=other) == []  # a teacher hears only about their own lectures


def test_the_demo_accounts_complete_an_approval_without_an_admin(tmp_path, tiny):
    """`tt users demo` gives every department a head: planner submits, each head approves their
    department's part, the registrar publishes — nobody needs admin rights."""
    from tt_core.cli import main as tt

    path = tmp_path / "demo.duckdb"
    p = tiny.problem
    with Store.open(path) as st:
        st.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        vid = st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="v", problem=p)
    assert tt(["users", "demo", "--db", str(path)]) == 0
    with Store.open(path) as st:
        heads = st.users.list().query("role == 'head'")
        assert set(heads["department"]) == set(p.department_names)
        W.transition(st, vid, "submit", user="planner")
        for name in heads["name"]:
            if W.review(st, vid).status == "submitted" and heads.set_index("name").loc[name, "department"] in \
                    W.review(st, vid).pending:
                W.transition(st, vid, "approve", user=name)
        assert W.review(st, vid).status == "approved"
        W.transition(st, vid, "publish", user="registrar")
        assert W.review(st, vid).status == "published"
