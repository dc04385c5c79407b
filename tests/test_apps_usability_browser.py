"""The planners' paths of ``tests/test_apps_usability.py`` through Chromium: a real ``panel serve`` of
the data, timetable and generate apps over the tiny university (with a variant in which two courses
clash) and a small university with students and no curricula.

Search a table, add and delete a teacher and a course, refuse a course without lectures in
``tt check``'s words, look up students and enrolments, import CSV files, delete a scenario after
confirming; see unavailable periods shaded and a clash marked and named in the grid; pin lectures
and re-solve; open the university without curricula on its teachers.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_apps_browser import ARTIFACTS, CHROMIUM, REPO, _free_port, _goto, serve_panel  # noqa: F401 - fixtures' settings
from test_apps_usability import SMALL_CAMPUS, _clash

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (make browser installs it)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1300}}


@pytest.fixture(scope="module")
def unis():
    from tt_core.synth import Recipe, generate

    return generate(Recipe.preset("tiny")), generate(Recipe.preset("campus", **SMALL_CAMPUS))


@pytest.fixture(scope="module")
def server(unis, tmp_path_factory):
    """Data, timetable and generate apps over ``tiny`` (variants: the planted timetable, and one with
    a clash) and ``campus``; yields ``(base URL, {"clash": (variant, lecture, other course)})``."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store

    tiny, campus = unis
    folder = tmp_path_factory.mktemp("usability-server")
    db = folder / "apps.duckdb"
    p = tiny.problem
    clash, lecture, other = _clash(p, tiny.hidden)
    with Store.open(db) as st:
        for name, uni in (("tiny", tiny), ("campus", campus)):
            st.scenarios.import_problem(uni.problem, name, meta=university_meta(uni))
            st.variants.save(name, uni.hidden, evaluate(uni.problem, uni.hidden), name="planted", problem=uni.problem)
        vid = st.variants.save("tiny", clash, evaluate(p, clash), name="clash", problem=p)
        st.scenarios.import_problem(p, "spare", meta=university_meta(tiny))
    apps = [str(REPO / "apps" / f"{a}.py") for a in ("data", "timetable", "generate")]
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1", TT_MAX_JOBS="1")
    with serve_panel(apps, _free_port(), env, folder) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        yield base, {"clash": (vid, lecture, other)}


def _type(page, css: str, text: str):
    box = page.locator(f"{css} input").first
    box.fill(text)
    box.press("Enter")


def test_search_add_delete_and_entry_checks_in_the_data_app(server, page):
    base, _ = server
    _goto(page, f"{base}/data?scenario=tiny&table=courses", ".tt-editor .tabulator-row")
    count = page.locator(".tt-count")
    expect(count).to_contain_text("20 courses")
    # search: a course name's start narrows the table; column:value filters one column
    first = page.locator(".tt-editor .tabulator-row").first.locator(".tabulator-cell[tabulator-field=name]")
    name = first.inner_text()
    page.locator(".tt-search input").fill(name)
    expect(count).to_contain_text("of 20 courses match")
    expect(page.locator(".tt-editor .tabulator-row").first).to_contain_text(name)
    page.locator(".tt-search input").fill("")
    expect(count).to_have_text("20 courses")
    # add a teacher, then a course taught by them
    _goto(page, f"{base}/data?scenario=tiny&table=teachers", ".tt-add-row button")
    _type(page, ".tt-new-name", "T-BROWSER")
    page.locator(".tt-add-row button").click()
    expect(page.locator(".tt-info")).to_contain_text("Teachers: added T-BROWSER")
    _goto(page, f"{base}/data?scenario=tiny&table=courses", ".tt-add-row button")
    _type(page, ".tt-new-name", "BRW101")
    page.locator(".tt-new-teacher select").select_option("T-BROWSER")
    _type(page, ".tt-new-lectures", "0")
    page.locator(".tt-add-row button").click()
    expect(page.locator(".tt-error")).to_contain_text("course BRW101 has no lectures, so it is never taught. "
                                                      "Fix: give course BRW101 at least 1 lecture")
    _type(page, ".tt-new-name", "BRW101")
    _type(page, ".tt-new-lectures", "2")
    _type(page, ".tt-new-min_days", "7")
    page.locator(".tt-add-row button").click()
    expect(page.locator(".tt-error")).to_contain_text("course BRW101 should spread over 7 days but it has only "
                                                      "2 lectures")
    _type(page, ".tt-new-name", "BRW101")
    _type(page, ".tt-new-lectures", "2")
    _type(page, ".tt-new-min_days", "2")
    page.locator(".tt-add-row button").click()
    expect(page.locator(".tt-info")).to_contain_text("Courses: added BRW101")
    expect(count).to_contain_text("21 courses")
    # edit its lectures to 0 in the table: refused in the same words, the stored value shown again
    page.locator(".tt-search input").fill("BRW101")
    expect(count).to_contain_text("1 of 21 courses match")
    cell = page.locator(".tt-editor .tabulator-row").first.locator(".tabulator-cell[tabulator-field=lectures]")
    cell.click()
    cell.locator("input").fill("0")
    cell.locator("input").press("Enter")
    expect(page.locator(".tt-error")).to_contain_text("course BRW101 has no lectures")
    expect(cell).to_have_text("2")
    page.screenshot(path=str(ARTIFACTS / "data-search-add.png"), full_page=True)
    # delete it: tick its row, delete
    page.locator(".tt-editor .tabulator-row").first.locator("input[type=checkbox]").check()
    page.locator(".tt-delete-rows button").click()
    expect(page.locator(".tt-info")).to_contain_text("Courses: deleted 1 row(s)")
    expect(count).to_contain_text("0 of 20 courses match")


def test_students_enrolments_csv_import_and_deleting_a_scenario(server, page, unis, tmp_path):
    base, _ = server
    _tiny, campus = unis
    p = campus.problem
    _goto(page, f"{base}/data?scenario=campus&table=students", ".tt-editor .tabulator-row")
    expect(page.locator(".tt-count")).to_contain_text(f"{p.n_students:,} students")
    expect(page.locator(".tt-add-row")).to_have_count(0)  # read-only: no form, no delete
    _goto(page, f"{base}/data?scenario=campus&table=enrolments", ".tt-editor .tabulator-row")
    student = p.student_names[0]
    page.locator(".tt-search input").fill(f"student:{student}")
    expect(page.locator(".tt-count")).to_contain_text(f"{len(p.student_course_ids(0))} of {p.n_enrolments:,} "
                                                      "enrolments match")
    # import the CSV tables of a scenario as plain files (several at once)
    with page.expect_download() as info:
        page.locator(".tt-export-zip button").click()
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as zf:
        paths = []
        for n in zf.namelist():
            target = tmp_path / n.rsplit("/", 1)[-1]
            target.write_bytes(zf.read(n))
            paths.append(str(target))
    page.locator(".tt-upload input[type=file]").set_input_files(paths)
    _type(page, ".tt-import-name", "campus csv")
    page.locator(".tt-import button").click()
    expect(page.locator(".tt-info")).to_contain_text(f"imported {len(paths)} CSV files as scenario 'campus csv'",
                                                     timeout=60_000)
    # delete a scenario: asked to type its name first
    _goto(page, f"{base}/data?scenario=spare&table=rooms", ".tt-delete-scenario button")
    page.locator(".tt-delete-scenario button").click()
    expect(page.locator(".tt-delete-what")).to_contain_text("Deleting scenario spare removes")
    page.locator(".tt-delete-confirm input").fill("spar")
    page.locator(".tt-delete-scenario-confirm button").click()
    expect(page.locator(".tt-error")).to_contain_text("type the scenario's name, spare, to confirm")
    page.locator(".tt-delete-confirm input").fill("spare")
    page.locator(".tt-delete-scenario-confirm button").click()
    expect(page.locator(".tt-info")).to_contain_text("scenario 'spare' deleted")
    expect(page.locator("select").first.locator("option", has_text="spare")).to_have_count(0)


def test_the_grid_shades_marks_and_names_the_clash(server, page, unis):
    from tt_core import views

    base, ids = server
    tiny, _ = unis
    p = tiny.problem
    vid, lecture, other = ids["clash"]
    clash = _clash(p, tiny.hidden)[0]
    c = int(p.lecture_course[lecture])
    teacher = p.teacher_names[int(p.course_teacher[c])]
    _goto(page, f"{base}/timetable?scenario=tiny&variant={vid}&view=teacher&key={teacher}",
          ".tt-grid-pane .tt-lecture[data-lecture]")
    marked = page.locator(f".tt-grid-pane .tt-lecture[data-lecture='{lecture}']")
    expect(marked).to_have_class("tt-lecture tt-violation")
    found = views.placement_conflicts(p, clash, lecture)
    assert any(p.course_names[other] in x for x in found)
    expect(marked).to_have_attribute("title", "; ".join(found))
    # shaded: the teacher's unavailable periods and those of the course of the lecture picked (the first)
    picked = int(min(views.view_lectures(p, clash, "teacher", teacher)))
    marks = views.grid_marks(p, clash, "teacher", teacher, course=int(p.lecture_course[picked]))
    expect(page.locator(".tt-grid-pane td.tt-unavailable")).to_have_count(int(marks.unavailable.sum()))
    q = int(np.flatnonzero(marks.unavailable)[0]) if marks.unavailable.any() else None
    if q is not None:
        expect(page.locator(f".tt-grid-pane td[data-period='{q}']")).to_have_attribute("title", marks.why[q])
    page.screenshot(path=str(ARTIFACTS / "timetable-marks.png"), full_page=True)
    # the preview of the same move on the planted variant names the other course first
    _goto(page, f"{base}/timetable?scenario=tiny&variant=1&view=teacher&key={teacher}",
          ".tt-edit-lecture select")
    page.locator(".tt-edit-lecture select").select_option(index=_option_index(page, p, lecture))
    # the period picker shows the lecture's own period once the server has taken the pick (a period
    # chosen before that would be reset by it)
    expect(page.locator(".tt-edit-period select option:checked")).to_have_text(
        p.period_labels[int(tiny.hidden.period[lecture])])
    page.locator(".tt-edit-period select").select_option(label=p.period_labels[int(clash.period[lecture])])
    expect(page.locator(".tt-edit-preview")).to_contain_text(f"clashes with {p.course_names[other]}")


def _option_index(page, p, lecture: int) -> int:
    """The position of lecture ``lecture`` in the editor's lecture picker (labels start with the
    course's name and the lecture's number in it)."""
    values = page.locator(".tt-edit-lecture select option").evaluate_all("(os) => os.map((o) => o.textContent)")
    c = int(p.lecture_course[lecture])
    label = f"{p.course_names[c]} #{lecture - int(p.course_lecture_ptr[c]) + 1} ·"
    return next(i for i, v in enumerate(values) if v.startswith(label))


def test_pin_lectures_and_resolve_then_a_university_without_curricula(server, page, unis):
    base, _ = server
    tiny, campus = unis
    p = tiny.problem
    teacher = p.teacher_names[0]
    _goto(page, f"{base}/timetable?scenario=tiny&variant=1&view=teacher&key={teacher}",
          ".tt-grid-pane .tt-lecture[data-lecture]")
    page.locator(".tt-pin-card .card-header, .tt-pin-card button.card-button").first.click()
    page.locator(".tt-pin-shown button").click()
    mine = int(np.sum(p.course_teacher[p.lecture_course] == 0))
    expect(page.locator(".tt-pin-count")).to_contain_text(f"{mine} lecture(s) pinned ({mine} in this view)")
    expect(page.locator(".tt-grid-pane .tt-pinned")).to_have_count(mine)
    limit = page.locator(".tt-pin-card input[type=number], .tt-pin-card .bk-input").last
    limit.fill("3")
    limit.press("Enter")
    # the job runner starts in the background on first use: press again until the job is queued
    deadline = time.monotonic() + 120
    while True:
        page.locator(".tt-resolve button").click()
        info = page.locator(".tt-info")
        try:
            expect(info).to_contain_text("queued: re-solving variant #1 around", timeout=5_000)
            break
        except AssertionError:
            expect(page.locator(".tt-error")).to_contain_text("runner")
            if time.monotonic() > deadline:
                raise
    text = page.get_by_text(re.compile(r"job \d+ queued")).first.inner_text()  # (inside the alert's shadow root)
    job = int(re.search(r"job (\d+) queued", text).group(1))
    page.screenshot(path=str(ARTIFACTS / "timetable-pins.png"), full_page=True)
    # the job runs (3 s; its worker process starts first) and saves a variant, offered in the timetable app
    deadline = time.monotonic() + 300
    while True:
        _goto(page, f"{base}/timetable?scenario=tiny&view=teacher&key={teacher}", ".tt-variant select")
        if page.locator(".tt-variant option", has_text=f"job {job}").count():
            break
        assert time.monotonic() < deadline, f"job {job} saved no variant within 300 s"
        time.sleep(3)
    # a university without curricula opens on its teachers, grid drawn, no message
    _goto(page, f"{base}/timetable?scenario=campus", ".tt-grid-pane .tt-lecture[data-lecture]")
    expect(page.locator(".tt-view select")).to_have_value("teacher")
    expect(page.locator(".tt-error")).to_be_hidden()
    expect(page.locator(".tt-title")).to_contain_text(f"({campus.problem.teacher_names[0]})")
