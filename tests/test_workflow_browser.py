"""The approval workflow in a real browser: submit → approve → publish in the variants app
(``panel serve apps/variants.py`` without sign-in, i.e. local mode with every right; the role
rules are tested without a browser in test_apps_workflow.py and test_workflow.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_apps_browser import ARTIFACTS, CHROMIUM, REPO, _free_port, _goto, serve_panel  # noqa: F401 - fixtures' settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (make browser installs it)"),
]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1300}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The variants app over the tiny university with one draft variant; yields the base URL."""
    from tt_core.commands.data import university_meta
    from tt_core.cost import evaluate
    from tt_core.store import Store
    from tt_core.synth import Recipe, generate

    tiny = generate(Recipe.preset("tiny"))
    folder = tmp_path_factory.mktemp("workflow-server")
    db = folder / "apps.duckdb"
    p = tiny.problem
    with Store.open(db) as st:
        st.scenarios.import_problem(p, "tiny", meta=university_meta(tiny))
        st.variants.save("tiny", tiny.hidden, evaluate(p, tiny.hidden), name="hidden", problem=p)
    port = _free_port()
    with serve_panel([str(REPO / "apps" / "variants.py")], port, dict(os.environ, TT_DB=str(db)), folder,
                     timeout=60, poll=0.3) as base:
        yield base


def test_submit_approve_publish_in_the_variants_app(server, page):
    _goto(page, f"{server}/variants?scenario=tiny", ".tt-wf-submit button")
    status = page.locator(".tt-wf-status")
    expect(status).to_contain_text("is draft")
    for action, shown in (("submit", "is submitted"), ("approve", "is approved"), ("publish", "is published")):
        page.locator(f".tt-wf-{action} button").click()
        expect(status).to_contain_text(shown, timeout=15_000)
    expect(page.locator(".tt-info")).to_contain_text("is published")
    expect(page.locator(".tt-wf-publish button")).to_be_hidden()  # only what may be done now is shown
    expect(page.locator(".tt-wf-decisions")).to_contain_text("approved")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workflow-published.png"), full_page=True)
