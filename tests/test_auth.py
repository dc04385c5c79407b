"""Roles and permissions (tt_core.auth) through the service API, the users migration, the
credentials file, the ``tt users`` commands, hostile names and oversized uploads.

Every role is tried against every action of :class:`tt_core.services.Studio` over a real store
holding the synthetic ``tiny`` university. Jobs need no runner here: the rights are checked
first, so an allowed role gets the "no job runner" error and a refused role ``PermissionDenied``.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from tt_core import auth, services, views
from tt_core.cli import main as tt_main
from tt_core.commands.data import university_meta
from tt_core.cost import evaluate
from tt_core.errors import TimetableError, ValidationError
from tt_core.store import MIGRATIONS, SCHEMA_VERSION, Store
from tt_core.synth import Recipe, generate

APPS = Path(__file__).resolve().parents[1] / "apps"
#: quotes, an SQL fragment, HTML that would run if rendered as HTML, and non-Latin text
HOSTILE = ["O'Brien \"the\" Great", "x'); DROP TABLE teachers; --", "<script>alert('x')</script>",
           "<img src=x onerror=alert(1)>", "Ünïcødé 教室 ☃", "Robert'); DELETE FROM users;--"]


@pytest.fixture(scope="module")
def tiny():
    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def template_db(tiny, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "template.duckdb"
    p = tiny.problem
    with Store.open(path) as db:
        db.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        db.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="hidden", problem=p)
        for role in ("viewer", "planner", "admin", "registrar"):
            db.users.add(role, role)
        db.users.add("teacher", "teacher", p.teacher_names[0])
        db.users.add("head", "head", department=p.department_names[0])
    return path


@pytest.fixture
def store(template_db, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copy(template_db, path)
    with Store.open(path) as db:
        yield db


# ============================================================================ the permission map
def test_every_action_is_described_and_every_role_may_view():
    assert set(auth.ACTION_WORDS) == set(auth.PERMISSIONS)
    assert all(set(r) <= set(auth.ROLES) for r in auth.PERMISSIONS.values())
    assert set(auth.PERMISSIONS["view"]) == set(auth.ROLES)
    assert set(auth.ROLE_DESCRIPTIONS) == set(auth.ROLES)
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        auth.require(None, None, "fly")


def test_local_mode_unknown_users_and_scoped_actions(store, tiny):
    p = tiny.problem
    for action in auth.PERMISSIONS:  # user None: the CLI, notebooks, apps without sign-in
        auth.require(store, None, action)
    assert auth.role_of(store, None) == auth.LOCAL and auth.role_of(store, "nobody") is None
    with pytest.raises(auth.PermissionDenied, match="user 'nobody' is not registered.*tt users add nobody"):
        auth.require(store, "nobody", "view")
    auth.require(store, "head", "approve_department", department=p.department_names[0])
    with pytest.raises(auth.PermissionDenied, match="heads department"):
        auth.require(store, "head", "approve_department", department=p.department_names[1])
    with pytest.raises(auth.PermissionDenied, match="heads department"):
        auth.require(store, "head", "approve_department")  # no department: never "any"
    auth.require(store, "admin", "approve_department", department=p.department_names[1])
    auth.require(store, "registrar", "publish")
    with pytest.raises(auth.PermissionDenied, match="user 'planner' is a planner and may not publish variants; "
                                                    "only a registrar or admin may"):
        auth.require(store, "planner", "publish")
    assert auth.role_may(store, "teacher", "edit_own_availability")
    assert not auth.allowed(store, "teacher", "edit_own_availability")  # which teacher? refused
    assert isinstance(auth.PermissionDenied("x"), TimetableError)


# role -> the Studio actions it may perform (everything else must raise PermissionDenied)
EXPECTED = {
    "viewer": set(),
    "teacher": {"own availability"},
    "head": set(),
    "registrar": set(),
    "planner": {"choose", "weights", "edit cell", "add row", "delete row", "import", "submit", "cancel", "retry",
                "own availability", "other availability", "audit"},
    "admin": {"choose", "weights", "edit cell", "add row", "delete row", "import", "submit", "cancel", "retry",
              "own availability", "other availability", "audit", "users", "add user"},
}


def _actions(studio: services.Studio, tiny, upload: bytes) -> dict:
    p = tiny.problem
    own, other = p.teacher_names[0], p.teacher_names[1]
    room = p.room_names[0]
    return {
        "choose": lambda: studio.variants.choose(1),
        "weights": lambda: studio.data.save_weight_profile("tiny", "mine", {"MinWorkingDays": 3}),
        "edit cell": lambda: studio.data.edit_cell("tiny", "rooms", room, "capacity", 99),
        "add row": lambda: studio.data.add_row("tiny", "teacher_unavailability", {"teacher": other, "period": 1}),
        "delete row": lambda: studio.data.delete_row("tiny", "curriculum_courses",
                                                (p.curriculum_names[0], p.course_names[0])),
        "import": lambda: studio.files.import_file("t.zip", upload, "copy"),
        "submit": lambda: studio.jobs.submit("tiny", strategy="local", time_limit=1),
        "cancel": lambda: studio.jobs.cancel(1),
        "retry": lambda: studio.jobs.retry(1),
        "own availability": lambda: studio.data.save_teacher_periods("tiny", own, [0], [1]),
        "other availability": lambda: studio.data.save_teacher_periods("tiny", other, [0], [1]),
        "audit": lambda: studio.access.audit_frame(),
        "users": lambda: studio.access.users(),
        "add user": lambda: studio.access.add_user("newbie", "viewer"),
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_against_each_action_through_the_service_api(role, store, tiny, template_db):
    _, upload = services.Studio(store).files.export_data("tiny", "zip")  # local mode: every right
    studio = services.Studio(store, None, user=role)
    assert studio.role() == role
    for name, call in _actions(studio, tiny, upload).items():
        if name in EXPECTED[role]:
            try:
                call()
            except auth.PermissionDenied as exc:  # pragma: no cover - the assertion message says which
                pytest.fail(f"{role} was refused {name}: {exc}")
            except TimetableError as exc:  # allowed, then stopped by the missing job runner only
                assert name in ("submit", "cancel", "retry") and "no job runner" in str(exc), (name, exc)
        else:
            with pytest.raises(auth.PermissionDenied) as info:
                call()
            assert f"user {role!r}" in str(info.value), name
    if "edit cell" not in EXPECTED[role]:  # nothing of a refused change reached the database
        assert store.tables.read("rooms", "tiny")["capacity"].iloc[0] == tiny.problem.room_capacity[0]
        assert store.scenarios.names() == ["tiny"]


def test_an_unregistered_user_gets_no_studio_and_the_audit_log_names_who_did_what(store, tiny):
    with pytest.raises(auth.PermissionDenied, match="not registered"):
        services.Studio(store, None, user="mallory")
    p = tiny.problem
    planner = services.Studio(store, None, user="planner")
    planner.variants.choose(1)
    planner.data.edit_cell("tiny", "rooms", p.room_names[0], "capacity", 77)
    services.Studio(store, None, user="teacher").data.save_teacher_periods("tiny", p.teacher_names[0], [2, 3], [])
    log = services.Studio(store, None, user="admin").access.audit_frame(10)
    mine = log[log["who"] == "teacher"]
    assert mine["target"].tolist()[0] == f"teacher {p.teacher_names[0]!r}"
    assert "set teacher_unavailability" in mine["action"].tolist()
    assert any("added=[2, 3]" in d for d in mine["detail"])
    assert log.loc[log["who"] == "planner", "action"].tolist()[:2] == ["update rooms", "choose variant"]
    # a method's user= never widens the session's rights, and None falls back to the session user
    viewer = services.Studio(store, None, user="viewer")
    with pytest.raises(auth.PermissionDenied):
        viewer.variants.choose(1, user=None)


def test_teacher_cannot_edit_another_teachers_data_in_any_table(store, tiny):
    p = tiny.problem
    own, other = p.teacher_names[0], p.teacher_names[1]
    studio = services.Studio(store, None, user="teacher")
    assert studio.my_teacher() == own
    before = studio.data.teacher_periods("tiny", other)
    for call in (lambda: studio.data.save_teacher_periods("tiny", other, [], []),
                 lambda: studio.data.add_row("tiny", "teacher_preferences", {"teacher": other, "period": 5}),
                 lambda: studio.data.delete_row("tiny", "teacher_unavailability",
                                                (other, before["teacher_unavailability"][0]))
                 if before["teacher_unavailability"] else studio.data.save_teacher_periods("tiny", other, [1], []),
                 lambda: studio.data.edit_cell("tiny", "teachers", other, "max_per_day", 1)):
        with pytest.raises(auth.PermissionDenied):
            call()
    assert studio.data.teacher_periods("tiny", other) == before
    # own rows: allowed, through the form and through the generic table editor
    assert "saved" in studio.data.save_teacher_periods("tiny", own, [0, 1], [7])
    assert studio.data.teacher_periods("tiny", own) == {"teacher_unavailability": [0, 1], "teacher_preferences": [7]}
    studio.data.add_row("tiny", "teacher_preferences", {"teacher": own, "period": 8})
    with pytest.raises(auth.PermissionDenied):  # and nothing else
        studio.data.edit_cell("tiny", "rooms", p.room_names[0], "capacity", 1)
    with pytest.raises(TimetableError, match="both unavailable and undesired"):
        studio.data.save_teacher_periods("tiny", own, [3], [3])
    with pytest.raises(ValidationError, match="outside the time grid"):
        studio.data.save_teacher_periods("tiny", own, [10_000], [])


def test_admins_manage_users_but_keep_one_admin(store):
    admin = services.Studio(store, None, user="admin")
    assert "added" in admin.access.add_user("nina", "head", department="Maths")
    with pytest.raises(TimetableError, match="already exists"):
        admin.access.add_user("nina", "viewer")
    with pytest.raises(ValidationError, match="needs the teacher's name"):
        admin.access.set_role("nina", "teacher")
    admin.access.set_role("nina", "registrar")
    assert store.users.get("nina")["role"] == "registrar"
    with pytest.raises(TimetableError, match="only admin"):
        admin.access.set_role("admin", "viewer")
    with pytest.raises(TimetableError, match="only admin"):
        admin.access.remove_user("admin")
    admin.access.remove_user("nina")
    assert store.users.get("nina") is None
    assert {"create users", "update users", "delete users"} <= set(admin.access.audit_frame()["action"])


# ============================================================================ migration 3
def test_version_2_users_survive_the_roles_migration(tmp_db):
    con = duckdb.connect(str(tmp_db))
    try:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)")
        for version, description, sql in MIGRATIONS:
            if version <= 2:
                con.execute(sql)
                con.execute("INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)", [version, description])
        con.execute("INSERT INTO users (id, name, role, teacher, created_at) VALUES "
                    "(nextval('users_id_seq'), 'ann', 'admin', NULL, now()::TIMESTAMP), "
                    "(nextval('users_id_seq'), 'tom', 'teacher', 'T1', now()::TIMESTAMP)")
        with pytest.raises(duckdb.ConstraintException):  # version 2 knows no department heads
            con.execute("INSERT INTO users (name, role, created_at) VALUES ('h', 'head', now()::TIMESTAMP)")
    finally:
        con.close()
    with Store.open(tmp_db) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert db.users.list()["name"].tolist() == ["ann", "tom"]
        assert {k: db.users.get("ann")[k] for k in ("id", "role", "teacher", "department")} == {
            "id": 1, "role": "admin", "teacher": None, "department": None}
        assert db.users.get("tom")["teacher"] == "T1"
        assert db.users.add("hd", "head", department="Physics") > 2  # ids continue after the old rows
        assert db.users.get("hd")["department"] == "Physics"
        with pytest.raises(ValidationError, match="needs the department"):
            db.users.add("h2", "head")


# ============================================================================ hostile input
def test_hostile_names_are_stored_verbatim_through_editor_and_import_and_rendered_escaped(store, tiny):
    p = tiny.problem  # (a .ctt file cannot hold names with spaces: the import goes through CSV tables)
    studio = services.Studio(store, None, user="planner")
    for i, name in enumerate(HOSTILE[:3]):
        studio.data.edit_cell("tiny", "teachers", p.teacher_names[i], "name", name)
    for i, name in enumerate(HOSTILE[3:]):
        studio.data.edit_cell("tiny", "rooms", p.room_names[i], "name", name)
    studio.data.edit_cell("tiny", "teachers", HOSTILE[0], "full_name", HOSTILE[2])
    assert studio.data.names("tiny", "teachers")[:3] == HOSTILE[:3]
    assert studio.data.names("tiny", "rooms")[:3] == HOSTILE[3:]
    # export as CSV tables and import again as a new scenario: every name comes back as typed
    fname, data = studio.files.export_data("tiny", "zip")
    assert studio.files.import_file(fname, data, "copy 'of' <tiny>") == "copy 'of' <tiny>"
    assert studio.data.names("copy 'of' <tiny>", "teachers")[:3] == HOSTILE[:3]
    assert studio.data.names("copy 'of' <tiny>", "rooms")[:3] == HOSTILE[3:]
    assert store.tables.read("teachers", "copy 'of' <tiny>")["full_name"].iloc[0] == HOSTILE[2]
    assert {"teachers", "users", "rooms"} <= {r["table_name"] for r in store.query(
        "SELECT table_name FROM information_schema.tables")}
    # rendered: the weekly grid page escapes every name; the apps' Markdown helpers too
    problem = store.scenarios.load_problem("tiny")
    grid = views.weekly_grid(problem, tiny.hidden, "room", HOSTILE[3])
    page = views.grid_html_page(grid, f"room {HOSTILE[3]}")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    teacher_grid = views.grid_html(views.weekly_grid(problem, tiny.hidden, "teacher", HOSTILE[2],
                                                           {HOSTILE[2]: HOSTILE[2]}))
    assert "<script>" not in teacher_grid
    shared = _load_shared()
    assert "<" not in shared.safe(HOSTILE[2]) and shared.safe(HOSTILE[4]) == HOSTILE[4]
    assert shared.safe_md("*a* _b_ <i>") == r"\*a\* \_b\_ &lt;i&gt;"


def test_oversized_uploads_are_refused_with_a_message(store, monkeypatch):
    studio = services.Studio(store, None, user="planner")
    monkeypatch.setenv("TT_MAX_UPLOAD_MB", "0.01")
    with pytest.raises(TimetableError, match=r"big.ctt is 0.0 MB; imports are limited to 0.01 MB"):
        studio.files.import_file("big.ctt", b"x" * 20_000, "big")
    assert store.scenarios.names() == ["tiny"]
    monkeypatch.setenv("TT_MAX_UPLOAD_MB", "lots")
    with pytest.raises(TimetableError, match="TT_MAX_UPLOAD_MB must be a number"):
        studio.files.import_file("big.ctt", b"x", "big")


@pytest.mark.parametrize("declared", ["honest", "lying"])
def test_a_small_zip_that_unpacks_into_too_much_is_refused(store, monkeypatch, tmp_path, declared):
    import io
    import zipfile

    studio = services.Studio(store, None, user="planner")
    monkeypatch.setenv("TT_MAX_UPLOAD_MB", "0.05")  # 50 kB upload, 500 kB unpacked
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb/courses.csv", "name,teacher\n" + "a,b\n" * 400_000)  # 1.6 MB of text
    data = buf.getvalue()
    if declared == "lying":  # the central directory claims a tiny file: only reading finds out
        data = data.replace((1_600_013).to_bytes(4, "little"), (13).to_bytes(4, "little"))
    assert len(data) < 50_000
    # honest sizes are refused before unpacking; a lying size stops at what it declared (zipfile
    # reads no further) and the mismatch is reported as a damaged file
    wanted = r"bomb.zip.*(at most 0.5 MB.*TT_MAX_UPLOAD_MB|damaged)"
    with pytest.raises(TimetableError, match=wanted):
        studio.files.import_file("bomb.zip", data, "bomb")
    assert store.scenarios.names() == ["tiny"]


# ============================================================================ sign-in settings
def _load_shared():
    """``apps/ui/shared.py`` as the apps import it (``ui.shared``, with ``apps/`` on ``sys.path``)."""
    if str(APPS) not in sys.path:
        sys.path.insert(0, str(APPS))
    return importlib.import_module("ui.shared")


def test_unsafe_sign_in_settings_are_refused(tmp_path):
    problems = _load_shared().sign_in_problems
    creds = tmp_path / "users.json"
    assert any("single password" in m for m in problems(["--basic-auth", "hunter2", "--cookie-secret", "s"], {}))
    assert problems(["--basic-auth", str(tmp_path / "typo.json"), "--cookie-secret", "s"], {}) == [
        f"--basic-auth {tmp_path / 'typo.json'}: no such credentials file"]
    auth.set_password(creds, "ann", "pw")
    assert problems(["--basic-auth", str(creds), "--cookie-secret", "s"], {}) == []
    assert any("--cookie-secret" in m for m in problems([f"--basic-auth={creds}"], {}))
    assert problems([f"--basic-auth={creds}"], {"PANEL_COOKIE_SECRET": "s"}) == []
    assert any("--cookie-secret" in m for m in problems(["--oauth-provider", "github"], {}))
    assert problems(["apps/"], {}) == []  # no sign-in: local mode


def test_credentials_file_is_private_and_kept_in_step(tmp_path):
    creds = tmp_path / "sub" / "users.json"
    auth.set_password(creds, "ann", "pw 'one' \"two\" ü")
    auth.set_password(creds, "bob", "x")
    assert auth.read_credentials(creds) == {"ann": "pw 'one' \"two\" ü", "bob": "x"}
    assert creds.stat().st_mode & 0o777 == 0o600
    assert auth.remove_password(creds, "bob") and not auth.remove_password(creds, "bob")
    with pytest.raises(TimetableError, match="must not be empty"):
        auth.set_password(creds, "ann", "")
    creds.write_text("[1, 2]")
    with pytest.raises(TimetableError, match="one JSON object"):
        auth.read_credentials(creds)


def test_tt_users_commands(tmp_path, tiny, capsys):
    db, creds = tmp_path / "u.duckdb", tmp_path / "creds.json"
    with Store.open(db) as st:
        st.scenarios.import_problem(tiny.problem, "tiny")
    d = ["--db", str(db)]
    assert tt_main(["users", "add", "ann", "--role", "admin", "--credentials", str(creds), "--password", "pw", *d]) == 0
    assert tt_main(["users", "demo", "--credentials", str(creds), *d]) == 0
    assert tt_main(["users", "add", "h", "--role", "head", *d]) == 2
    assert "needs the department's name" in capsys.readouterr().err
    assert tt_main(["users", "role", "viewer", "--role", "registrar", *d]) == 0
    assert tt_main(["users", "remove", "planner", "--credentials", str(creds), *d]) == 0
    capsys.readouterr()
    assert tt_main(["users", "list", "--json", *d]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["viewer"]["role"] == "registrar" and "planner" not in rows
    assert rows["teacher"]["teacher"] == tiny.problem.teacher_names[0]
    assert rows["head"]["department"] == tiny.problem.department_names[0]
    heads = {f"head-{d.lower().replace(' ', '-')}": d for d in tiny.problem.department_names}
    assert {n: rows[n]["department"] for n in heads} == heads  # a head per department: approvals can complete
    assert auth.read_credentials(creds) == {"ann": "pw", **{r: auth.DEMO_PASSWORD for r in auth.ROLES
                                                             if r != "planner"},
                                            **{n: auth.DEMO_PASSWORD for n in heads}}
    assert tt_main(["audit", "--limit", "3", *d]) == 0
    out = capsys.readouterr().out
    assert "delete users" in out and "users 'planner'" in out
