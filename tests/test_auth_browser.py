"""Sign-in, roles and sharing in a real browser: ``panel serve apps/*.py --setup apps/ui/server_setup.py
--basic-auth FILE --cookie-secret …`` over a small database, driven by Chromium through Playwright.

One server serves the module. Its users: ``ada`` (admin), ``pat`` (planner), ``vic`` (viewer),
``reg`` (registrar), ``tom`` (teacher of the first teacher); ``eve`` has a password but no role. Uploads are capped at
50 kB (``TT_MAX_UPLOAD_MB``) so the oversized-upload test needs no big file.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from test_apps_browser import CHROMIUM, REPO, _free_port, _goto, serve_panel  # noqa: F401 - the browser fixtures' settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (make browser installs it)"),
]

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORDS = {"ada": "ada-pw", "pat": "pat-pw", "vic": "vic-pw", "reg": "reg-pw", "tom": "tom-pw", "eve": "eve-pw"}
#: quotes, an SQL fragment, HTML that would run if rendered as HTML, and non-Latin text
HOSTILE = "<img src=x onerror=\"window.__xss=1\">'; DROP TABLE rooms;-- Ünïcødé 教室 <b>x</b>"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1100}, "accept_downloads": True}


@pytest.fixture(scope="module")
def tiny():
    from tt_core.synth import Recipe, generate

    return generate(Recipe.preset("tiny"))


@pytest.fixture(scope="module")
def server_folder(tmp_path_factory) -> Path:
    """The server's folder: its database, credentials and log (``server.log``)."""
    return tmp_path_factory.mktemp("auth-server")


@pytest.fixture(scope="module")
def server(tiny, server_folder):
    """The apps behind basic auth; yields the base URL."""
    from tt_core import auth
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store

    folder = server_folder
    db, creds = folder / "apps.duckdb", folder / "credentials.json"
    p = tiny.problem
    with Store.open(db) as st:
        st.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="hidden", problem=p)
        st.users.add("ada", "admin")
        st.users.add("pat", "planner")
        st.users.add("vic", "viewer")
        st.users.add("reg", "registrar")
        st.users.add("tom", "teacher", p.teacher_names[0])
    for name, pw in PASSWORDS.items():
        auth.set_password(creds, name, pw)
    port = _free_port()
    apps = sorted(str(a) for a in (REPO / "apps").glob("*.py"))  # as `panel serve apps/*.py` does
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1", TT_MAX_JOBS="1", TT_MAX_UPLOAD_MB="0.05")
    with serve_panel(apps, port, env, folder, ready="/login",
                     args=("--setup", "apps/ui/server_setup.py", "--basic-auth", str(creds),
                           "--cookie-secret", secrets.token_hex(16))) as base:
        yield base


def _login(page, base: str, user: str, password: str | None = None) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user] if password is None else password)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state()


def _as(page, base: str, user: str):
    """A fresh browser context (its own cookies) signed in as ``user``; the caller closes it."""
    ctx = page.context.browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    other = ctx.new_page()
    _login(other, base, user)
    return ctx, other


def _reveal(page, css_class: str) -> None:
    """A crafted request: make a hidden, disabled control visible and enabled from the browser,
    as a user editing the page would, so that a click sends its event to the server."""
    page.evaluate("""cls => {
        for (const doc of Bokeh.documents) for (const m of doc.all_models) {
            if ((m.css_classes || []).includes(cls)) { m.visible = true; if ('disabled' in m) m.disabled = false; }
        }}""", css_class)


def test_wrong_password_and_unregistered_user_are_refused_and_sign_out_works(server, page):
    _login(page, server, "vic", "not-the-password")
    expect(page.locator("body")).to_contain_text("Invalid username or password")
    page.goto(f"{server}/data")
    assert "/login" in page.url  # not signed in: back to the login page
    # eve has a password but no role in the users table: the authorize callback refuses her
    _login(page, server, "eve")
    page.goto(f"{server}/timetable")
    expect(page.locator("body")).to_contain_text("not authorized")
    # without a sign-in cookie, the app's address leads to the login page only
    assert "/login" in urllib.request.urlopen(f"{server}/timetable", timeout=10).geturl()
    # a registered user signs in, sees who they are, and signs out
    _login(page, server, "vic")
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1", ".tt-user")
    expect(page.locator(".tt-user")).to_contain_text("vic (viewer)")
    page.locator(".tt-user a", has_text="Sign out").click()
    page.goto(f"{server}/timetable")
    assert "/login" in page.url


def test_viewer_sees_no_controls_and_a_crafted_request_is_refused(server, page):
    _login(page, server, "vic")
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=capacity]")
    expect(page.locator(".tt-import")).to_have_count(0)
    expect(page.locator(".tt-delete-rows")).to_be_hidden()
    cell = page.locator(".tt-editor .tabulator-row").first.locator(".tabulator-cell[tabulator-field=capacity]")
    cell.click()
    expect(cell.locator("input")).to_have_count(0)  # no editor opens
    # the admin-only and teacher-only apps are not linked, and refused when typed in
    expect(page.locator(".tt-nav")).not_to_contain_text("Users & audit")
    page.goto(f"{server}/access")
    expect(page.locator("body")).to_contain_text("not authorized")
    # generate: no start or cancel controls; revealing the start button and clicking it is refused
    _goto(page, f"{server}/generate", ".tt-job-summary")
    expect(page.locator(".tt-start")).to_be_hidden()
    expect(page.locator(".tt-cancel")).to_be_hidden()
    _reveal(page, "tt-start")
    page.locator(".tt-start button").click()
    expect(page.locator(".tt-error")).to_contain_text("may not start solver jobs")
    expect(page.locator(".tt-jobs")).not_to_contain_text("queued")


def test_teacher_edits_own_availability_only_and_a_planner_sees_it_in_the_audit(server, page, tiny):
    own, other = tiny.problem.teacher_names[0], tiny.problem.teacher_names[1]
    _login(page, server, "tom")
    _goto(page, f"{server}/availability?scenario=tiny", ".tt-availability .tabulator-cell[tabulator-field=time]")
    from tt_core.views import day_names

    first_day = day_names(tiny.problem)[0]
    cell = page.locator(".tt-availability .tabulator-row").first.locator(
        f".tabulator-cell[tabulator-field='{first_day}']")
    before = cell.inner_text().strip()
    cell.click()
    expect(cell).not_to_have_text(before)
    page.locator(".tt-save-availability button").click()
    expect(page.locator(".tt-info")).to_contain_text(f"teacher {own}:")
    # another teacher's form (opened by editing the address) is read-only; a crafted save is refused
    _goto(page, f"{server}/availability?scenario=tiny&teacher={other}",
          ".tt-availability .tabulator-cell[tabulator-field=time]")
    expect(page.locator(".tt-availability-note")).to_contain_text("only the teacher or a planner")
    expect(page.locator(".tt-save-availability")).to_be_hidden()
    _reveal(page, "tt-save-availability")
    page.locator(".tt-save-availability button").click()
    expect(page.locator(".tt-error")).to_contain_text(f"may edit only the availability and preferences of "
                                                     f"teacher '{own}'")
    # a planner sees who changed what
    ctx, planner = _as(page, server, "pat")
    try:
        _goto(planner, f"{server}/access", ".tt-audit .tabulator-cell[tabulator-field=action]")
        row = planner.locator(".tt-audit .tabulator-row", has_text="set teacher_")
        expect(row.first).to_contain_text("tom")
        expect(row.first).to_contain_text(f"teacher '{own}'")
        expect(planner.locator(".tt-users")).to_have_count(0)  # managing users is for admins
    finally:
        ctx.close()


def test_hostile_name_is_stored_verbatim_and_shown_as_text(server, page, tiny):
    _login(page, server, "pat")
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=name]")
    cell = page.locator(".tt-editor .tabulator-row").nth(1).locator(".tabulator-cell[tabulator-field=name]")
    cell.click()
    cell.locator("input").fill(HOSTILE)
    cell.locator("input").press("Enter")
    expect(page.locator(".tt-info")).to_contain_text("saved")
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=name]")
    expect(page.locator(".tt-editor .tabulator-row").nth(1).locator(".tabulator-cell[tabulator-field=name]")
           ).to_have_text(HOSTILE)
    # the room's timetable: title and grid show the name as text, nothing runs
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1&view=room&key={quote(HOSTILE)}", ".tt-grid-pane")
    expect(page.locator(".tt-title")).to_contain_text(f"room {HOSTILE}")
    # a duplicate name is refused with the name in the message, shown as text too
    _goto(page, f"{server}/data?scenario=tiny&table=rooms", ".tt-editor .tabulator-cell[tabulator-field=name]")
    cell = page.locator(".tt-editor .tabulator-row").nth(2).locator(".tabulator-cell[tabulator-field=name]")
    cell.click()
    cell.locator("input").fill(HOSTILE)
    cell.locator("input").press("Enter")
    expect(page.locator(".tt-error")).to_contain_text(HOSTILE)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src=x]").count() == 0


def test_oversized_upload_is_refused_with_a_message(server, page, tmp_path):
    big = tmp_path / "big.ctt"
    big.write_bytes(b"Name: big\n" + b"x" * 80_000)
    _login(page, server, "pat")
    _goto(page, f"{server}/data?scenario=tiny", ".tt-upload input[type=file]")
    page.locator(".tt-upload input[type=file]").set_input_files(str(big))
    page.locator(".tt-import-name input").fill("too big")
    page.locator(".tt-import button").click()
    expect(page.locator(".tt-error")).to_contain_text("imports are limited to 0.05 MB")


def test_saved_view_opens_without_a_server_and_the_share_link_is_read_only(server, page, tmp_path):
    _login(page, server, "pat")
    _goto(page, f"{server}/variants?scenario=tiny", ".tt-heatmap canvas")
    expect(page.locator(".tt-choose")).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        page.locator(".tt-save-html button").click()
    saved = tmp_path / "view.html"
    info.value.save_as(saved)
    link = page.locator(".tt-share-link input")
    expect(link).to_have_value(re.compile(r"readonly=1"))
    share = link.input_value()
    assert "scenario=tiny" in share and "variants=" in share
    # the file, offline: the heatmaps and the cost table are there without a server
    ctx = page.context.browser.new_context(offline=True)
    try:
        offline = ctx.new_page()
        offline.goto(saved.as_uri())
        expect(offline.locator("body")).to_contain_text("Cost per constraint", timeout=30_000)
        expect(offline.locator("canvas").first).to_be_visible(timeout=30_000)
    finally:
        ctx.close()
    # the share link shows the same comparison without the choose control, even to a planner
    _goto(page, share, ".tt-heatmap canvas")
    expect(page.locator(".tt-choose")).to_have_count(0)
    expect(page.locator(".tt-user")).to_contain_text("read-only link")


# ============================================================================ hardening (issue 17)
def _craft_drop(page, lecture: int, period: int) -> None:
    """A crafted drop: the grid's model told that a lecture was dropped on a period, as a user editing
    the page could do even where nothing can be dragged."""
    page.evaluate("""([lecture, period]) => {
        for (const doc of Bokeh.documents) for (const m of doc.all_models) {
            if ((m.css_classes || []).includes('tt-grid-pane')) { m.data.drop = `${lecture}:${period}:${Date.now()}`; }
        }}""", [lecture, period])


@pytest.mark.parametrize("user,link", [("vic", ""), ("reg", ""), ("pat", "&readonly=1")])
def test_read_only_views_of_a_timetable_have_no_editing_controls_and_refuse_a_crafted_drop(server, page, tiny,
                                                                                          user, link):
    p = tiny.problem
    teacher = p.teacher_names[0]
    _login(page, server, user)
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1&view=teacher&key={teacher}{link}",
          ".tt-grid-pane .tt-lecture[data-lecture]")
    expect(page.locator(".tt-edit-card")).to_have_count(0)
    for control in (".tt-edit-move", ".tt-edit-undo", ".tt-edit-redo", ".tt-edit-suggest", ".tt-edit-save"):
        expect(page.locator(control)).to_have_count(0)
    expect(page.locator(".tt-grid-pane [draggable=true]")).to_have_count(0)
    lecture = int(page.locator(".tt-grid-pane .tt-lecture[data-lecture]").first.get_attribute("data-lecture"))
    _craft_drop(page, lecture, 0)
    expect(page.locator(".tt-error")).to_contain_text("read-only")
    expect(page.locator(".tt-title")).not_to_contain_text("not saved")
    expect(page.locator(".tt-grid-pane .tt-moved")).to_have_count(0)


def test_a_planner_edits_the_timetable_but_a_viewer_cannot_in_the_same_server(server, page):
    _login(page, server, "pat")
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1", ".tt-grid-pane .tt-lecture[data-lecture]")
    expect(page.locator(".tt-edit-card")).to_be_visible()
    expect(page.locator(".tt-grid-pane [draggable=true]").first).to_be_attached()


def test_a_viewer_opening_generate_gets_a_read_only_page_without_a_red_error(server, page):
    _login(page, server, "vic")
    _goto(page, f"{server}/generate", ".tt-jobs")
    expect(page.locator(".tt-jobs")).to_be_visible()
    expect(page.locator(".tt-read-only-note")).to_contain_text("starting and cancelling jobs is for planners")
    expect(page.locator(".tt-start")).to_be_hidden()
    expect(page.locator(".tt-cancel")).to_be_hidden()
    expect(page.locator(".tt-error")).to_be_hidden()


APP_PAGES = ("main", "generate", "variants", "timetable", "workflow", "data", "availability", "access")


def test_the_header_fits_1280_px_and_sign_out_is_inside_the_window_on_every_app(server, page):
    """An admin sees every app in the navigation: the longest header."""
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, server, "ada")
    for app in APP_PAGES:
        _goto(page, f"{server}/{app}", ".tt-user a")
        link = page.locator(".tt-user a", has_text="Sign out")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 1280, (app, box)
        assert box["y"] + box["height"] <= 120, (app, box)  # in the header, not pushed below it


def test_the_sign_in_page_has_no_broken_image_and_leads_to_the_landing_page(server, page):
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{server}/login")
    expect(page.locator("input[name=username]")).to_be_visible()
    broken = page.evaluate("() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                           ".map(i => i.src)")
    assert broken == [] and failed == []
    page.fill("input[name=username]", "pat")
    page.fill("input[name=password]", PASSWORDS["pat"])
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/main$"), timeout=60_000)
    page.locator("text=Compare variants").first.wait_for(timeout=60_000)
    # signing out shows our page too, with a way back in
    page.goto(f"{server}/logout")
    expect(page.locator("body")).to_contain_text("signed out")
    broken = page.evaluate("() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
    assert broken == 0 and failed == []


def test_a_heading_keeps_its_size_when_the_page_changes(server, page, tiny):
    _login(page, server, "vic")
    _goto(page, f"{server}/timetable?scenario=tiny&variant=1&view=teacher&key={tiny.problem.teacher_names[0]}",
          ".tt-title h3")
    heading = page.locator(".tt-title h3")
    first = heading.evaluate("h => getComputedStyle(h).fontSize")
    body = page.locator(".tt-title").evaluate("e => getComputedStyle(e).fontSize")
    page.locator(".tt-view select").select_option("room")
    expect(heading).to_contain_text("room ")
    assert heading.evaluate("h => getComputedStyle(h).fontSize") == first
    assert float(first.removesuffix("px")) > float(body.removesuffix("px"))  # a heading, larger than the text


def test_wrong_passwords_make_the_name_wait_before_any_password_is_checked(server, page):
    """After five wrong passwords for a name, even the right one is refused until the back-off has
    passed (then it works): guessing is slowed to a few tries, however fast they are sent."""
    for i in range(5):
        _login(page, server, "eve", f"guess-{i}")
        expect(page.locator(".errormessage")).to_contain_text("Invalid username or password")
    _login(page, server, "eve")
    expect(page.locator(".errormessage")).to_contain_text("Too many failed sign-ins")
    deadline = time.monotonic() + 30
    while "/login" in page.url:
        assert time.monotonic() < deadline, page.locator(".errormessage").inner_text()
        page.wait_for_timeout(500)
        _login(page, server, "eve")
    # eve has no role: signed in, the apps refuse her (as before the back-off)
    page.goto(f"{server}/timetable")
    expect(page.locator("body")).to_contain_text("not authorized")


def test_an_anonymous_request_for_autoload_js_is_sent_to_sign_in_without_a_traceback(server, server_folder):
    url = (f"{server}/timetable/autoload.js?bokeh-autoload-element=p1&bokeh-app-path=/timetable"
           f"&bokeh-absolute-url={server}/timetable")
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert "/login" in answer.geturl()
    urllib.request.urlopen(f"{server}/login", timeout=30).read()  # served after the first one was handled
    log = (server_folder / "server.log").read_text()
    assert "autoload.js" not in log or "Uncaught exception" not in log, log[-3000:]
    assert "TypeError" not in log, log[-3000:]
