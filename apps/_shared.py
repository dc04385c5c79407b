"""What the apps share: one store and one job runner per process, error display and the page frame.

Not served (the name starts with an underscore). All app sessions of one ``panel serve`` process
share one :class:`~tt_core.store.Store` and one :class:`~tt_core.jobs.runner.JobRunner` per
database file (``TT_DB``): DuckDB allows one writing process, and the runner is that writer. The
runner starts in a background thread on first need (a Dask ``LocalCluster`` takes seconds) so no
session waits for it; sessions poll :func:`runner_status`.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import traceback
from functools import wraps
from typing import Callable

import panel as pn
import param

from tt_core import store as tt_store
from tt_core.errors import TimetableError, ValidationError
from tt_core.services import Studio

log = logging.getLogger("tt_core.apps")

APPS = (("generate", "Generate"), ("variants", "Compare variants"), ("timetable", "Timetables"),
        ("data", "Data"))

_lock = threading.Lock()
_stores: dict[str, tt_store.Store] = {}
_runners: dict[str, object] = {}          # path -> JobRunner
_runner_errors: dict[str, str] = {}       # path -> why it could not start
_runner_threads: dict[str, threading.Thread] = {}


def db_path() -> str:
    """The database all apps of this process use: ``$TT_DB`` (default ``data/timetable.duckdb``)."""
    return os.path.realpath(str(tt_store.default_db_path()))


def get_store() -> tt_store.Store:
    """The process's store for :func:`db_path` (opened on first use)."""
    path = db_path()
    with _lock:
        st = _stores.get(path)
        if st is None:
            st = _stores[path] = tt_store.Store.open(path)
        return st


def start_runner() -> None:
    """Start the process's job runner in a background thread (once; later calls do nothing)."""
    path = db_path()
    get_store()  # the store creates the schema before the runner opens the file

    def make():
        from tt_core.jobs.runner import JobRunner

        try:
            runner = JobRunner(path, max_concurrent=int(os.environ.get("TT_MAX_JOBS", "2")))
        except Exception as exc:  # noqa: BLE001 - shown to every session that needs the runner
            log.exception("the job runner could not start")
            with _lock:
                _runner_errors[path] = message_of(exc)
            return
        with _lock:
            _runners[path] = runner
        # registered after Dask's own exit handlers, so it runs before them (atexit is LIFO): running
        # jobs are stopped while the cluster is still up and keep their best timetable
        atexit.register(_close_runner, path)

    with _lock:
        if path in _runners or path in _runner_threads:
            return
        t = _runner_threads[path] = threading.Thread(target=make, name="tt-apps-runner-start", daemon=True)
    t.start()


def runner_status() -> tuple[str, str]:
    """``("ready" | "starting" | "failed" | "stopped", message)`` of the process's job runner."""
    path = db_path()
    with _lock:
        if path in _runners:
            return "ready", "job runner ready"
        if path in _runner_errors:
            return "failed", f"the job runner could not start: {_runner_errors[path]}"
        if path in _runner_threads:
            return "starting", "the job runner is starting (a few seconds)…"
    return "stopped", "the job runner is not started"


def get_runner():
    """The process's job runner; raises TimetableError (shown to the user) while it is not ready."""
    start_runner()
    state, message = runner_status()
    if state != "ready":
        raise TimetableError(message)
    with _lock:
        return _runners[db_path()]


def studio() -> Studio:
    """A :class:`~tt_core.services.Studio` over the process's store and runner."""
    return Studio(get_store(), get_runner)


def _close_runner(path: str) -> None:
    """Stop the runner of ``path`` (its running jobs end interrupted with their best timetable)."""
    with _lock:
        runner = _runners.pop(path, None)
    if runner is not None:
        try:
            runner.close()
        except Exception:  # noqa: BLE001 - the process is exiting anyway
            log.exception("closing the job runner failed")


@atexit.register
def _close_stores() -> None:
    """Close the stores when the server exits (after the runners, which write to them)."""
    for t in list(_runner_threads.values()):
        t.join(timeout=30)
    for path in list(_runners):
        _close_runner(path)
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for s in stores:
        s.close()


# ----------------------------------------------------------------------------- users
def current_user() -> str | None:
    """The signed-in user (``pn.state.user``) or None when the server has no authentication."""
    user = getattr(pn.state, "user", None)
    return user or None


def can_edit() -> bool:
    """Whether the current user may change data: no authentication (a local single-user server),
    or a user whose role in the ``users`` table is planner or admin."""
    user = current_user()
    if user is None:
        return True
    row = get_store().get_user(user)
    return row is not None and row["role"] in ("planner", "admin")


# ----------------------------------------------------------------------------- messages
def message_of(exc: BaseException) -> str:
    """The text a user sees for an error: the project's message, never a traceback."""
    if isinstance(exc, TimetableError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return f"unexpected error ({type(exc).__name__}: {exc}); the server log has the details"


def notify(text: str, kind: str = "success", duration: int = 4000) -> None:
    """A toast when the session has notifications (logged otherwise)."""
    notifications = getattr(pn.state, "notifications", None)
    if notifications is None:
        log.info("%s: %s", kind, text)
        return
    getattr(notifications, kind)(text, duration=duration)


class Messages(param.Parameterized):
    """The last message of a state object: ``error`` or ``info`` text shown in an Alert."""

    error = param.String("")
    info = param.String("")

    def fail(self, exc: BaseException) -> None:
        if not isinstance(exc, TimetableError):
            log.error("app error: %s", "".join(traceback.format_exception(exc)))
        self.info = ""
        self.error = message_of(exc)

    def ok(self, text: str) -> None:
        self.error = ""
        self.info = text

    def clear(self) -> None:
        self.error = ""
        self.info = ""


def guarded(method: Callable) -> Callable:
    """Run a state method; a raised error becomes ``self.messages.fail(...)`` (the user sees it)."""

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every error is shown, none crashes the session
            self.messages.fail(exc)
            return None

    return wrapper


def message_alerts(messages: Messages) -> pn.Column:
    """Two alerts (error, info) that show the state's messages and hide when empty."""
    error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["tt-error"],
                          sizing_mode="stretch_width")
    info = pn.pane.Alert("", alert_type="success", visible=False, css_classes=["tt-info"],
                         sizing_mode="stretch_width")

    def show(*_):
        error.object, error.visible = messages.error, bool(messages.error)
        info.object, info.visible = messages.info, bool(messages.info)

    messages.param.watch(show, ["error", "info"])
    show()
    return pn.Column(error, info, sizing_mode="stretch_width")


class Download(pn.widgets.FileDownload):
    """A download button whose callback may return None after reporting why (in a Messages):
    then nothing is sent, instead of Panel raising about a None file."""

    def _sync_data(self, fileobj):
        if fileobj is None:
            return
        super()._sync_data(fileobj)


# ----------------------------------------------------------------------------- page frame
def routed() -> bool:
    """True when this page is served through the landing page (``panel serve apps/``, one app at
    ``/apps`` choosing by ``?app=NAME``) rather than as its own endpoint (``panel serve apps/*.py``)."""
    loc = pn.state.location
    if loc is None or not loc.pathname:
        return False
    return loc.pathname.rstrip("/").rsplit("/", 1)[-1] not in {name for name, _ in APPS}


def app_link(name: str) -> str:
    """The address of app ``name`` that works in both ways of serving the folder."""
    return f"?app={name}" if routed() else f"./{name}"


def page(title: str, current: str, *body, sidebar=()) -> pn.template.BaseTemplate:
    """The common page: a title bar with links to the other apps, the body and a sidebar."""
    links = " · ".join(f"**{label}**" if name == current else f"[{label}]({app_link(name)})" for name, label in APPS)
    header = pn.pane.Markdown(links, margin=(0, 10), css_classes=["tt-nav"],
                              stylesheets=[":host, a, strong { color: white !important; font-size: 15px; }"])
    tmpl = pn.template.BootstrapTemplate(title=f"Timetable studio · {title}", header=[header],
                                         sidebar=list(sidebar), main=list(body), sidebar_width=340)
    return tmpl


def unavailable(title: str, current: str, exc: BaseException) -> pn.template.BaseTemplate:
    """The page shown when the database cannot be used (missing folder, held by another process…)."""
    return page(title, current, pn.pane.Alert(f"The database {db_path()} cannot be used: {message_of(exc)}",
                                              alert_type="danger", css_classes=["tt-error"]))


__all__ = ["TimetableError", "ValidationError", "db_path", "get_store", "get_runner", "start_runner", "runner_status",
           "studio", "current_user", "can_edit", "message_of", "notify", "Messages", "guarded", "message_alerts",
           "page", "unavailable", "Download", "routed", "app_link", "APPS"]
