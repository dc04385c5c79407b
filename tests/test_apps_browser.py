"""The Panel apps end to end: a real ``panel serve apps/*.py`` over a small database, driven by
Chromium through Playwright.

One server serves every test of this module (it takes seconds to start, and the job runner's Dask
workers more). The database is built here from the synthetic ``tiny`` university with two stored
variants. Screenshots of each app go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from paths import CHROMIUM  # one definition, shared with the launch fixture

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (make browser installs it)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A tall window, so the screenshots show whole apps."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1300}, "accept_downloads": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_panel(apps, port: int, env: dict, folder: Path, *, args=(), ready: str = "/",
                timeout: float = 120, poll: float = 0.5):
    """``panel serve`` of ``apps`` on 127.0.0.1:``port`` (log in ``folder/server.log``) until it
    answers ``ready``; yields the base URL; stops the server and anything of its session after."""
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", *apps, "--port", str(port), "--address", "127.0.0.1",
         f"--allow-websocket-origin=127.0.0.1:{port}", *args],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"panel serve exited ({proc.returncode}): {(folder / 'server.log').read_text()}")
            try:
                urllib.request.urlopen(base + ready, timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"panel serve did not answer within {timeout:.0f} s") from None
                time.sleep(poll)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # the server closes the job runner and its Dask cluster
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of this server's session still alive
        except ProcessLookupError:
            pass
        log.close()


@pytest.fixture(scope="module")
def tiny():
    from tt_core.synth import Recipe, generate

    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def server(tiny, tmp_path_factory):
    """Serve the apps over a fresh database; yields the base URL; stops the server (and its Dask
    workers) afterwards."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store

    folder = tmp_path_factory.mktemp("apps-server")
    db = folder / "apps.duckdb"
    p = tiny.problem
    other = tiny.hidden.copy()
    l = int(np.flatnonzero(p.course_length[p.lecture_course] == 1)[0])
    used = {(int(a), int(b)) for a, b in zip(other.period, other.room)}
    other.period[l] = next(q for q in range(p.n_periods) if (q, int(other.room[l])) not in used)
    with Store.open(db) as st:
        st.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="hidden", problem=p)
        st.variants.save("tiny", other, evaluate(p, other), name="moved", problem=p)
    port = _free_port()
    apps = sorted(str(a) for a in (REPO / "apps").glob("*.py"))  # as `panel serve apps/*.py` does
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="2", TT_MAX_JOBS="2")
    with serve_panel(apps, port, env, folder) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        yield base
        if ARTIFACTS.is_dir():
            shutil.copy(folder / "server.log", ARTIFACTS / "apps-server.log")


def _goto(page, url: str, ready: str, timeout: float = 60_000):
    """Open a page and wait until Bokeh has rendered ``ready`` (it renders after its websocket); a
    server's first page (imports, numba) may take longer than Playwright's 30 s on a busy machine."""
    page.goto(url, timeout=timeout)
    page.locator(ready).first.wait_for(timeout=timeout)


def _start_job(page, base: str, seconds: int):
    _goto(page, f"{base}/generate", ".tt-start button")
    start = page.locator(".tt-start button")
    expect(start).to_be_enabled(timeout=120_000)  # the job runner starts in the background
    limit = page.get_by_label("Time limit (s)")
    limit.fill(str(seconds))
    limit.press("Enter")
    start.click()


def test_generate_job_reaches_100_percent_and_saves_a_variant(server, page):
    _start_job(page, server, 3)
    summary = page.locator(".tt-job-summary")
    expect(summary).to_contain_text("Job 1", timeout=30_000)
    expect(summary).to_contain_text("succeeded", timeout=120_000)
    expect(summary).to_contain_text("100 %")
    expect(page.locator(".tt-progress progress")).to_have_attribute("value", "100")
    expect(page.locator(".tt-job-message")).to_contain_text("saved variant 3")
    expect(page.locator(".tt-jobs")).to_contain_text("succeeded")
    expect(page.locator(".tt-cost-plot canvas").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "generate.png"), full_page=True)
    # the new variant is offered for comparison
    _goto(page, f"{server}/variants?scenario=tiny", ".tt-heatmap")
    expect(page.locator(".tt-pick")).to_contain_text("#3 job 1")


def test_cancel_a_running_job_while_another_user_runs_one(server, page):
    _start_job(page, server, 120)
    summary = page.locator(".tt-job-summary")
    expect(summary).to_contain_text("running", timeout=60_000)
    expect(summary).to_contain_text("best cost", timeout=60_000)  # the solver reports progress
    # a second user (another browser session) runs a short job meanwhile
    other = page.context.browser.new_page()
    try:
        _start_job(other, server, 3)
        expect(other.locator(".tt-job-summary")).to_contain_text("succeeded", timeout=90_000)
        expect(summary).to_contain_text("running")  # the first job was not disturbed
    finally:
        other.close()
    cancel = page.locator(".tt-cancel button")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(summary).to_contain_text("cancelled", timeout=60_000)
    expect(page.locator(".tt-job-message")).to_contain_text("partial")
    expect(cancel).to_be_disabled()


def test_compare_two_variants(server, page):
    _goto(page, f"{server}/variants?scenario=tiny", ".tt-heatmap canvas")
    heatmaps = page.locator(".tt-heatmap")
    expect(heatmaps).to_have_count(2)
    for i in range(2):
        expect(heatmaps.nth(i).locator("canvas").first).to_be_visible()
    metrics = page.locator(".tt-metrics")
    expect(metrics).to_contain_text("CurriculumCompactness")
    expect(metrics).to_contain_text("soft cost")
    page.screenshot(path=str(ARTIFACTS / "variants.png"), full_page=True)


def test_edit_a_room_capacity(server, page):
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=capacity]")
    cell = page.locator(".tt-editor .tabulator-row").first.locator(".tabulator-cell[tabulator-field=capacity]")
    before = cell.inner_text()
    cell.click()
    cell.locator("input").fill("-3")
    cell.locator("input").press("Enter")
    expect(page.locator(".tt-error")).to_contain_text("must be at least 0, got -3")
    expect(cell).to_have_text(before)
    cell.click()
    cell.locator("input").fill("321")
    cell.locator("input").press("Enter")
    expect(page.locator(".tt-info")).to_contain_text("capacity = 321 saved")
    page.screenshot(path=str(ARTIFACTS / "data.png"), full_page=True)
    # a new page reads the table from the database again
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=capacity]")
    first = page.locator(".tt-editor .tabulator-row").first.locator(".tabulator-cell[tabulator-field=capacity]")
    expect(first).to_have_text("321")


def test_move_and_undo_a_lecture_in_the_timetable(server, page, tiny):
    """Edit a variant by hand: move a lecture with the pickers, see the change, undo it; then drag a
    lecture onto another period of the grid and undo that too. Nothing is saved."""
    p = tiny.problem
    teacher = p.teacher_names[0]
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1&view=teacher&key={teacher}",
          ".tt-grid-pane .tt-lecture[data-lecture]")
    status = page.locator(".tt-edit-status")
    expect(status).to_contain_text("soft cost")
    # the lecture picker starts on the teacher's first lecture
    first = int(np.flatnonzero(p.course_teacher[p.lecture_course] == 0)[0])
    course = p.course_names[p.lecture_course[first]]
    now = int(tiny.hidden.period[first])
    length = int(p.course_length[p.lecture_course[first]])
    target = next(q for q in range(p.n_periods) if q != now and q % p.periods_per_day + length <= p.periods_per_day)
    page.locator(".tt-edit-period select").select_option(label=p.period_labels[target])
    expect(page.locator(".tt-edit-preview")).to_contain_text(f"Moving it to {p.period_labels[target]}")
    page.locator(".tt-edit-move button").click()
    expect(page.locator(".tt-info")).to_contain_text(f"moved lecture 1 of course {course}")
    expect(status).to_contain_text("1 lecture(s) moved in 1 edit(s), not saved")
    expect(page.locator(".tt-grid-pane .tt-moved").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "timetable-edit.png"), full_page=True)
    page.locator(".tt-edit-undo button").click()
    expect(page.locator(".tt-info")).to_contain_text(f"undone: lecture 1 of course {course}")
    expect(status).not_to_contain_text("not saved")
    expect(page.locator(".tt-grid-pane .tt-moved")).to_have_count(0)
    # drag and drop: a lecture onto the first period of the week
    page.locator(".tt-grid-pane .tt-lecture[data-lecture]").first.drag_to(
        page.locator(".tt-grid-pane td[data-period='0']"))
    expect(status).to_contain_text("not saved")
    page.locator(".tt-edit-undo button").click()
    expect(status).not_to_contain_text("not saved")


def test_teacher_timetable_and_ical_download(server, page, tiny):
    import icalendar

    p = tiny.problem
    teacher = p.teacher_names[0]
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1&view=teacher&key={teacher}", ".tt-grid-pane")
    expect(page.locator(".tt-title")).to_contain_text(f"({teacher})")
    c = int(np.flatnonzero(p.course_teacher == 0)[0])
    expect(page.locator(".tt-grid-pane")).to_contain_text(p.course_names[c])
    # the whole view is written into the address, so the link can be shared
    page.wait_for_function("() => location.search.includes('variant=1') && location.search.includes('view=teacher')"
                           " && location.search.includes('scenario=tiny')", timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "timetable.png"), full_page=True)
    with page.expect_download(timeout=60_000) as info:
        page.locator(".tt-download-ical button").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    cal = icalendar.Calendar.from_ical(Path(download.path()).read_bytes())
    events = list(cal.walk("VEVENT"))
    mine = np.flatnonzero(p.course_teacher[p.lecture_course] == 0)
    assert len(events) == len(mine)
    assert sorted(str(e["summary"]) for e in events) == sorted(p.course_names[p.lecture_course[l]] for l in mine)
    assert {str(e["location"]) for e in events} == {p.room_names[tiny.hidden.room[l]] for l in mine}


def test_landing_page_links_every_app(server, page):
    """``panel serve apps/*.py`` also serves the landing page (apps/main.py) at /main."""
    _goto(page, f"{server}/main", "text=Compare variants")
    for label in ("Generate", "Compare variants", "Timetables", "Data"):
        expect(page.get_by_role("link", name=label).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "main.png"))


def test_folder_served_as_one_app(tiny, tmp_path, page):
    """``panel serve apps/``: the folder is one app at /apps; ?app=NAME shows that app and the
    navigation keeps working inside it."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store

    db = tmp_path / "folder.duckdb"
    with Store.open(db) as st:
        st.scenarios.import_problem(tiny.problem, "tiny", meta=university_meta(tiny))
        st.variants.save("tiny", tiny.hidden, evaluate(tiny.problem, tiny.hidden), name="hidden",
                        problem=tiny.problem)
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1")
    with serve_panel(["apps/"], _free_port(), env, tmp_path, ready="/apps") as server:
        base = server + "/apps"
        _goto(page, base, "text=Compare variants")
        page.get_by_role("link", name="Timetables").first.click()
        page.locator("text=Download iCal").first.wait_for(timeout=60_000)
        assert "app=timetable" in page.url
        page.get_by_role("link", name="Data").first.click()
        page.wait_for_url("**app=data**", timeout=30_000)


def test_a_fresh_server_starts_its_runner_at_once_and_start_is_usable(tiny, tmp_path, page):
    """With ``--setup apps/ui/server_setup.py`` the job runner starts with the server, not with the
    first Generate page: ``tt jobs list`` gets its answer from the runner's control channel although
    no page was opened, and Start is usable as soon as Generate is on screen (a job started while
    the runner is still starting waits in the queue). The times are printed (``-s``)."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store

    db = tmp_path / "fresh.duckdb"
    with Store.open(db) as st:
        st.scenarios.import_problem(tiny.problem, "tiny", meta=university_meta(tiny))
        st.variants.save("tiny", tiny.hidden, evaluate(tiny.problem, tiny.hidden), name="hidden",
                         problem=tiny.problem)
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1", TT_MAX_JOBS="1")
    apps = sorted(str(a) for a in (REPO / "apps").glob("*.py"))
    launched = time.monotonic()
    with serve_panel(apps, _free_port(), env, tmp_path, args=("--setup", "apps/ui/server_setup.py"),
                     ready="/main", poll=0.1) as base:
        answered = time.monotonic()
        _goto(page, f"{base}/generate", ".tt-start button", timeout=120_000)
        shown = time.monotonic()
        start = page.locator(".tt-start button")
        expect(start).to_be_enabled(timeout=120_000)
        usable = time.monotonic()
        # no page but Generate was opened, and the runner answers `tt jobs list` (the server holds the file)
        deadline = time.monotonic() + 180
        while True:
            done = subprocess.run([sys.executable, "-m", "tt_core.cli", "jobs", "list", "--db", str(db)],
                                  capture_output=True, text=True, env=env, timeout=120)
            if done.returncode == 0:
                break
            assert "open in another process" in done.stderr, done.stderr  # the runner is still starting
            assert time.monotonic() < deadline, done.stderr
            time.sleep(0.5)
        listed = time.monotonic()
        print(f"\nfresh server: answered {answered - launched:.1f} s after launch; Generate on screen "
              f"{shown - answered:.1f} s later, its Start usable {usable - shown:.1f} s after that; "
              f"`tt jobs list` answered {listed - launched:.1f} s after launch")
        limit = page.get_by_label("Time limit (s)")
        limit.fill("2")
        limit.press("Enter")
        start.click()
        summary = page.locator(".tt-job-summary")
        expect(summary).to_contain_text("Job 1", timeout=30_000)
        expect(summary).to_contain_text("succeeded", timeout=180_000)
    log = (tmp_path / "server.log").read_text()
    assert "Uncaught exception" not in log and "could not start" not in log, log[-3000:]
