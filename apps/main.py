"""Landing page of timetable studio.

``panel serve apps/`` serves this folder as one app (this file), at ``/apps``: it links to every
app and shows the chosen one when the address says ``?app=NAME``. ``panel serve apps/*.py``
serves each file at its own address (``/generate``, ``/variants``…) and this page at ``/main``;
the apps' navigation bar links the right way in both cases (``ui.shared.app_link``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import panel as pn

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # a directory app does not put its folder on sys.path
    sys.path.insert(0, str(HERE))

from ui import shared as S  # noqa: E402

DESCRIPTIONS = {
    "generate": "Pick a scenario, tune the constraint weights, start a generation job and watch it live; "
                "cancel or resume; past jobs.",
    "variants": "Compare 2–4 timetable variants side by side: occupancy heatmaps, cost per constraint, "
                "lectures that moved; mark the chosen one.",
    "timetable": "Weekly grid per curriculum, teacher, room or department; iCal, Excel and HTML exports; "
                 "a link that reopens the same view.",
    "data": "Edit departments, curricula, courses, teachers, rooms, the time grid and unavailability; "
            "import ITC2007 / Excel / CSV, export.",
    "availability": "Teachers: mark the periods you cannot teach or would rather not teach.",
    "access": "Who may sign in with which role; the audit log of who changed what and when.",
    "workflow": "Submit, approve (each department's head) and publish variants; substitutes for an absent "
                "teacher, ranked and explained, applied as dated overlays and rolled back.",
}


def landing() -> pn.template.BaseTemplate:
    try:
        S.start_runner()  # whoever holds the database answers `tt jobs …` (a server without --setup)
    except Exception as exc:  # noqa: BLE001 - the apps' pages say why the database cannot be used
        S.logged_message(exc, "landing page")
    cards = [
        pn.pane.Markdown(f"### [{label}]({S.app_link(name)})\n{DESCRIPTIONS.get(name, '')}",
                         css_classes=["tt-app-card"], sizing_mode="stretch_width")
        for name, label in S.APPS if S.may_open(name)
    ]
    intro = pn.pane.Markdown(
        f"Scheduling data: `{S.db_path()}`. Generate timetables, compare variants, publish the chosen one.")
    return S.page("Home", "main", intro, *cards)


pn.extension(notifications=True)

if pn.state.served:
    chosen = (pn.state.location.query_params.get("app") if pn.state.location else None) or ""
    names = {name for name, _ in S.APPS}
    if chosen in names:
        # run the chosen app's script as this session's document (it calls .servable() itself)
        # (Panel tells a served script by its module name: bokeh_app_…)
        runpy.run_path(str(HERE / f"{chosen}.py"), run_name=f"bokeh_app_{chosen}")
    else:
        landing().servable()
