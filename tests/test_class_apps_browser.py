"""The apps on a class-based scenario (real university data, ITC2019), end to end in Chromium.

The database holds the smallest ITC2019 instance with a published solution (``lums-sum17``: 20
classes of 50 to 110 minutes) and two variants: the published solution, and a copy with one class
moved to its next time option. The tests import the instance and the solution again through the
data app, look at the class tables, the week on a real clock (a block where its clock times say,
heights in proportion to the lengths), the week picker and the iCal download on real dates, and
the comparison of the two variants. Screenshots go to ``test-artifacts/`` (git-ignored; the
README's are copies).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest
from test_apps_browser import ARTIFACTS, CHROMIUM, REPO, _free_port, _goto, serve_panel

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (make browser installs it)"),
]

expect = pytest.importorskip("playwright.sync_api").expect

INSTANCE = "lums-sum17"
PX_PER_HOUR = 48  # tt_core.classes.views.week_html's default scale


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}


@pytest.fixture(scope="module")
def lums(itc2019_dir):
    """``(instance path, solution path, problem, published solution, moved solution, moved class)``."""
    from tt_core.classes.model import ClassSolution
    from tt_core.io.itc2019 import read_problem_xml, read_solution_xml

    xml, sol = itc2019_dir / f"{INSTANCE}.xml", itc2019_dir / "solutions" / f"{INSTANCE}.xml"
    if not (xml.is_file() and sol.is_file()):
        pytest.skip(f"{INSTANCE} and its solution are not in {itc2019_dir}")
    p = read_problem_xml(xml)
    s = read_solution_xml(p, sol)
    c = int(np.flatnonzero(np.diff(p.time_ptr) > 1)[0])
    time = np.array(s.time)
    time[c] = (time[c] + 1) % int(p.time_ptr[c + 1] - p.time_ptr[c])
    moved = ClassSolution.create(p, time, s.room)
    return xml, sol, p, s, moved, c


@pytest.fixture(scope="module")
def server(lums, tmp_path_factory):
    from tt_core.classes import evaluate
    from tt_core.store import Store

    _xml, _sol, p, s, moved, _c = lums
    folder = tmp_path_factory.mktemp("class-apps-server")
    db = folder / "apps.duckdb"
    with Store.open(db) as st:
        st.classes.import_problem(p, INSTANCE)
        st.classes.save_solution(INSTANCE, s, report=evaluate(p, s), name="published", problem=p)
        st.classes.save_solution(INSTANCE, moved, report=evaluate(p, moved), name="moved", problem=p)
    apps = [str(REPO / "apps" / f"{a}.py") for a in ("data", "timetable", "variants")]
    env = dict(os.environ, TT_DB=str(db), TT_WORKERS="1", TT_MAX_JOBS="1")
    with serve_panel(apps, _free_port(), env, folder) as base:
        ARTIFACTS.mkdir(exist_ok=True)
        yield base


def _type(page, css: str, text: str):
    box = page.locator(f"{css} input").first
    box.fill(text)
    box.press("Enter")


def test_data_app_shows_and_imports_a_class_scenario(server, lums, page):
    xml, sol, p, *_ = lums
    _goto(page, f"{server}/data?scenario={INSTANCE}", ".tt-editor .tabulator-row")
    expect(page.locator(".tt-count")).to_contain_text(f"{p.n_classes} courses (configs, subparts, classes)")
    for column in ("course", "config", "subpart", "class", "limit", "parent", "times", "rooms"):
        expect(page.locator(".tt-editor .tabulator-header")).to_contain_text(column)
    page.screenshot(path=str(ARTIFACTS / "data-classes.png"))
    # the search works on class tables as on the others
    _type(page, ".tt-search", f"class:{p.class_ids[3]}")
    expect(page.locator(".tt-count")).to_contain_text(f"1 of {p.n_classes} courses")
    _goto(page, f"{server}/data?scenario={INSTANCE}&table=class_distributions", ".tt-editor .tabulator-row")
    expect(page.locator(".tt-count")).to_contain_text(f"{p.n_distributions} distributions")
    expect(page.locator(".tt-editor")).to_contain_text("SameAttendees")
    _goto(page, f"{server}/data?scenario={INSTANCE}&table=class_rooms", ".tt-editor .tabulator-row")
    expect(page.locator(".tt-count")).to_contain_text(f"{p.n_rooms} rooms")
    # upload the instance: a new class scenario, shown with its class tables
    page.locator(".tt-upload input[type=file]").set_input_files(str(xml))
    _type(page, ".tt-import-name", "lums upload")
    page.locator(".tt-import button").click()
    expect(page.locator(".tt-info")).to_contain_text(f"imported {xml.name} as scenario 'lums upload'",
                                                     timeout=60_000)
    expect(page.locator("select").first).to_have_value("lums upload")
    expect(page.locator(".tt-count")).to_contain_text(f"{p.n_rooms} rooms")  # the table picked stays
    # then its solution: a variant of the scenario shown, evaluated
    page.locator(".tt-upload input[type=file]").set_input_files(str(sol))
    page.locator(".tt-import button").click()
    expect(page.locator(".tt-info")).to_contain_text("as variant #3 of scenario 'lums upload': total 17, 0 hard",
                                                     timeout=60_000)


def test_timetable_app_draws_a_week_on_the_clock(server, lums, page):
    from tt_core.classes.views import SLOT_MINUTES, default_first_day, placement

    _xml, _sol, p, s, _moved, _c = lums
    # the room whose classes have the most different lengths: blocks of different heights
    rooms = [placement(p, s, c)[4] for c in range(p.n_classes)]

    def lengths(r):
        return len({placement(p, s, c)[2] - placement(p, s, c)[1] for c in range(p.n_classes) if rooms[c] == r})

    room = max(sorted(set(rooms)), key=lengths)
    assert lengths(room) > 1
    classes = [c for c in range(p.n_classes) if rooms[c] == room]
    _goto(page, f"{server}/timetable?scenario={INSTANCE}&variant=1&view=room&key={p.room_ids[room]}", ".tt-cw-block")
    expect(page.locator(".tt-class-title")).to_contain_text(f"room {p.room_ids[room]}")
    expect(page.locator(".tt-error")).to_be_hidden()  # the link's numeric key is fine
    lo = min(placement(p, s, c)[1] for c in classes) * SLOT_MINUTES // 60  # the first hour drawn
    for c in classes:
        days, start, end, _weeks, _room = placement(p, s, c)
        day = next(d for d in range(p.nr_days) if days >> d & 1)
        block = page.locator(f'.tt-cw-block[data-class="{p.class_ids[c]}"][data-day="{day}"]')
        minutes = (start * SLOT_MINUTES, end * SLOT_MINUTES)
        expect(block).to_have_attribute("data-start", f"{minutes[0] // 60:02d}:{minutes[0] % 60:02d}")
        body = page.locator(".tt-cw-body").nth(day).bounding_box()
        box = block.bounding_box()
        # to scale: top at its start on the clock, height its length
        assert box["y"] - body["y"] == pytest.approx((minutes[0] - lo * 60) * PX_PER_HOUR / 60, abs=1.5)
        assert box["height"] == pytest.approx((minutes[1] - minutes[0]) * PX_PER_HOUR / 60, abs=1.5)
    page.screenshot(path=str(ARTIFACTS / "timetable-classes.png"))
    # the week picker: another week of the term, its dates in the title
    first = default_first_day()
    page.locator(".tt-class-week-pick select").select_option(label=next(
        t for t in page.locator(".tt-class-week-pick option").all_text_contents() if t.startswith("week 3 ")))
    expect(page.locator(".tt-class-title")).to_contain_text(f"week 3 ({first + dt.timedelta(weeks=2):%d.%m.%Y})")
    # per course: the course's classes; the iCal has every meeting on its real date
    page.locator(".tt-view select").select_option("course")
    expect(page.locator(".tt-class-title")).to_contain_text(f"course {p.course_ids[0]}")
    with page.expect_download() as info:
        page.locator(".tt-class-download-ical button").click()
    text = Path(info.value.path()).read_text()
    days, start, _end, weeks, _room = placement(p, s, 0)
    d0 = next(d for d in range(p.nr_days) if days >> d & 1)
    w0 = next(w for w in range(p.nr_weeks) if weeks >> w & 1)
    when = dt.datetime.combine(first + dt.timedelta(weeks=w0, days=d0), dt.time()) + dt.timedelta(
        minutes=start * SLOT_MINUTES)
    assert f"DTSTART:{when:%Y%m%dT%H%M%S}" in text
    assert text.count("BEGIN:VEVENT") == sum(
        bin(placement(p, s, c)[0]).count("1") * bin(placement(p, s, c)[3]).count("1")
        for c in range(p.n_classes) if p.class_course[c] == 0)


def test_variants_app_compares_two_class_variants(server, lums, page):
    _xml, _sol, p, _s, _moved, c = lums
    _goto(page, f"{server}/variants?scenario={INSTANCE}", ".tt-class-components .tabulator-row")
    expect(page.locator(".tt-class-summary")).to_contain_text("1 class(es) moved from #1 to #2")
    expect(page.locator(".tt-class-components")).to_contain_text("weighted total")
    expect(page.locator(".tt-class-moved")).to_contain_text(p.class_ids[c])
    expect(page.locator(".tt-class-violations")).to_contain_text("#2")
    page.screenshot(path=str(ARTIFACTS / "variants-classes.png"), full_page=True)
