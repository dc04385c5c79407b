"""What the apps share: one store and one job runner per process, error display and the page frame.

Not served (``apps/ui/`` is a package, which neither ``panel serve apps/`` nor ``panel serve
apps/*.py`` reaches). All app sessions of one ``panel serve`` process share one
:class:`~tt_core.store.Store` and one :class:`~tt_core.jobs.runner.JobRunner` per database file
(``TT_DB``): DuckDB allows one writing process, and the runner is that writer. The runner starts
in a background thread at server start-up (``--setup apps/ui/server_setup.py``; without it, with the
first page that opens a :func:`studio`), so no session waits for it and
``tt jobs …`` finds its control channel; sessions poll :func:`runner_status`. While it starts, a
submitted job waits in the queue (:class:`tt_core.services.RunnerStarting`).
"""

from __future__ import annotations

import atexit
import html
import io
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from functools import wraps

import panel as pn
import param

from tt_core import auth
from tt_core import store as tt_store
from tt_core.errors import TimetableError, ValidationError
from tt_core.services import RunnerStarting, Studio

log = logging.getLogger("tt_core.apps")

APPS = (("generate", "Generate"), ("variants", "Compare variants"), ("timetable", "Timetables"),
        ("workflow", "Approval & substitution"), ("data", "Data"), ("availability", "My availability"),
        ("access", "Users & audit"))

#: app -> the :mod:`tt_core.auth` action a user needs to open it (every other app: ``"view"``);
#: checked by :func:`authorize` (the server's ``authorize_callback``) and by the app itself
APP_ACTIONS = {"availability": "edit_own_availability", "access": "view_audit"}

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
    with _lock:
        if path in _runners or path in _runner_threads:
            return
        if path not in _stores:  # the store creates the schema before the runner opens the file
            _stores[path] = tt_store.Store.open(path)

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
            log.info("job runner ready (%.1f s after it was started)", time.monotonic() - started)
            # registered after Dask's own exit handlers, so it runs before them (atexit is LIFO): running
            # jobs are stopped while the cluster is still up and keep their best timetable
            atexit.register(_close_runner, path)

        started = time.monotonic()
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
    """The process's job runner. While it starts this raises
    :class:`~tt_core.services.RunnerStarting` (the services queue a submitted job in the
    database for it); when it cannot start, a TimetableError saying why (shown to the user)."""
    start_runner()
    state, message = runner_status()
    if state == "starting":
        raise RunnerStarting(message)
    if state != "ready":
        raise TimetableError(message)
    with _lock:
        return _runners[db_path()]


def studio() -> Studio:
    """A :class:`~tt_core.services.Studio` over the process's store and runner, acting for the
    session's signed-in user (its methods refuse what the user's role may not do).

    Starts the runner when nothing did yet (a server without ``--setup``): whoever holds the
    database file must also answer ``tt jobs …`` through the runner's control channel."""
    start_runner()
    return Studio(get_store(), get_runner, user=current_user())


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
#: the name used when sign-in is on but the session has no user (never registered: refused)
NOBODY = "(not signed in)"


def auth_enabled() -> bool:
    """Whether this server signs users in (``--basic-auth`` or ``--oauth-provider``)."""
    return bool(pn.config.basic_auth or pn.config.oauth_provider)


def current_user() -> str | None:
    """The signed-in user (``pn.state.user``); None only when the server has no sign-in at all
    (local mode, every right: see :mod:`tt_core.auth`). With sign-in on, a session without a
    user gets :data:`NOBODY`, which no role check lets through."""
    user = getattr(pn.state, "user", None)
    if user:
        return str(user)
    return NOBODY if auth_enabled() else None


def read_only() -> bool:
    """True when the page was opened through a read-only share link (``?readonly=1``)."""
    loc = pn.state.location
    return bool(loc and str(loc.query_params.get("readonly", "")).lower() in ("1", "true", "yes"))


def can(action: str, **scope) -> bool:
    """Whether the current user may ``action`` (:func:`tt_core.auth.allowed`), for showing or hiding
    controls; a read-only share link allows only viewing. The services enforce the same rule."""
    if read_only() and action not in ("view", "export"):
        return False
    return auth.allowed(get_store(), current_user(), action, **scope)


def may_open(app: str) -> bool:
    """Whether the current user's role may use app ``app`` at all (:data:`APP_ACTIONS`; a teacher
    may open "My availability" though it edits only their own teacher)."""
    try:
        return auth.role_may(get_store(), current_user(), APP_ACTIONS.get(app, "view"))
    except Exception:  # noqa: BLE001 - the database cannot be read: offer the plain apps, which say why
        return app not in APP_ACTIONS


def can_edit() -> bool:
    """Whether the current user may change the timetabling data (planner, admin, or local mode)."""
    return can("edit_data")


def authorize(user_info: dict | None, path: str) -> bool:
    """The server's ``authorize_callback`` (installed by ``apps/ui/server_setup.py``): only users in the
    ``users`` table get in, and an app that needs more than viewing (:data:`APP_ACTIONS`) only
    for the roles allowed to use it. Any failure refuses (never lets in)."""
    if not auth_enabled():
        return True  # no sign-in configured: local mode, like the apps without --setup
    user = getattr(pn.state, "user", None) or (user_info or {}).get("user")
    if not user:
        return False
    app = path.rstrip("/").rsplit("/", 1)[-1]
    try:
        return auth.role_may(get_store(), str(user), APP_ACTIONS.get(app, "view"))
    except Exception:  # noqa: BLE001 - an unreadable database must not let anyone in
        log.exception("authorize: could not check user %r", user)
        return False


def sign_in_problems(argv: list[str], environ: dict[str, str]) -> list[str]:
    """What is wrong with a server's sign-in settings (``panel serve`` arguments), in words.

    Refused: ``--basic-auth`` with a single password (Panel then accepts *any* user name, so
    anyone knowing the password could sign in as an admin) or with a credentials file that does
    not exist (Panel would silently take the mistyped path as the password); basic auth or OAuth
    without a cookie secret.
    """
    def value(flag: str, env: str) -> str | None:
        for i, a in enumerate(argv):
            if a == flag and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(flag + "="):
                return a.split("=", 1)[1]
        return environ.get(env)

    basic = value("--basic-auth", "PANEL_BASIC_AUTH")
    oauth = value("--oauth-provider", "PANEL_OAUTH_PROVIDER")
    problems = []
    if basic is not None:
        if not os.path.isfile(basic):
            looks_like_path = basic.endswith(".json") or os.sep in basic
            problems.append(
                f"--basic-auth {basic}: no such credentials file" if looks_like_path else
                "--basic-auth with a single password lets anyone who knows it sign in under any user name; "
                "give a credentials file instead (`tt users add NAME --role ROLE --credentials FILE`)")
        else:
            try:
                if not auth.read_credentials(basic):
                    problems.append(f"--basic-auth {basic}: the credentials file has no users yet "
                                    "(`tt users add NAME --role admin --credentials FILE`)")
            except TimetableError as exc:
                problems.append(str(exc))
    if (basic is not None or oauth is not None) and not value("--cookie-secret", "PANEL_COOKIE_SECRET"):
        problems.append("sign-in needs --cookie-secret (a long random string, e.g. "
                        "`python -c 'import secrets; print(secrets.token_hex(32))'`); change it when passwords change")
    return problems


# ----------------------------------------------------------------------------- messages
def message_of(exc: BaseException) -> str:
    """The text a user sees for an error: the project's message, never a traceback."""
    if isinstance(exc, TimetableError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return f"unexpected error ({type(exc).__name__}: {exc}); the server log has the details"


def logged_message(exc: BaseException, where: str) -> str:
    """Log an error, then return the text a user sees for it (:func:`message_of`).

    A user's error (:class:`TimetableError`: bad data, a refused action) is logged in one line;
    anything else with its traceback, in the server log that the user's message points to.
    """
    if isinstance(exc, TimetableError):
        log.info("%s: refused: %s", where, exc)
    else:
        log.error("%s: unexpected error: %s", where, "".join(traceback.format_exception(exc)))
    return message_of(exc)


def notify(text: str, kind: str = "success", duration: int = 4000) -> None:
    """A toast when the session has notifications (logged otherwise)."""
    notifications = getattr(pn.state, "notifications", None)
    if notifications is None:
        log.info("%s: %s", kind, text)
        return
    getattr(notifications, kind)(text, duration=duration)


class Messages(param.Parameterized):
    """The last message of a state object: ``error`` or ``info`` text shown in an Alert, and a
    ``warning`` that outlives them until the next success or :meth:`clear` (e.g. "the published
    timetable now has your lectures where you are unavailable", after a successful save)."""

    error = param.String("")
    info = param.String("")
    warning = param.String("")

    def fail(self, exc: BaseException) -> None:
        self.info = ""
        self.error = logged_message(exc, type(self).__name__)

    def ok(self, text: str) -> None:
        self.param.update(error="", info=text, warning="")

    def warn(self, text: str) -> None:
        self.warning = text

    def clear(self) -> None:
        self.param.update(error="", info="", warning="")


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
    """Alerts (error, warning, info) that show the state's messages and hide when empty."""
    error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["tt-error"],
                          sizing_mode="stretch_width")
    info = pn.pane.Alert("", alert_type="success", visible=False, css_classes=["tt-info"],
                         sizing_mode="stretch_width")
    warning = pn.pane.Alert("", alert_type="warning", visible=False, css_classes=["tt-warning"],
                            sizing_mode="stretch_width")

    def show(*_):
        # an Alert renders Markdown (and HTML): names in messages are user data, shown as text
        error.object, error.visible = safe(messages.error), bool(messages.error)
        info.object, info.visible = safe(messages.info), bool(messages.info)
        warning.object, warning.visible = safe_md(messages.warning), bool(messages.warning)

    messages.param.watch(show, ["error", "info", "warning"])
    show()
    return pn.Column(error, warning, info, sizing_mode="stretch_width")


NO_SCENARIO = "The database has no scenario yet: import one in the Data app."


def offer_scenarios(state: param.Parameterized, load: Callable[[], None], empty: str = NO_SCENARIO) -> None:
    """Offer the database's scenarios in ``state.scenario`` and open one: the first when the current
    value is not among them (the ``scenario`` watcher then loads it), else ``load()`` now. Without
    any, ``state.messages`` shows ``empty``."""
    names = state.studio.data.scenarios()
    state.param.scenario.objects = names
    if not names:
        state.messages.error = empty
    elif state.scenario not in names:
        state.scenario = names[0]
    else:
        load()


class Download(pn.widgets.FileDownload):
    """A download button whose callback may return None after reporting why (in a Messages):
    then nothing is sent, instead of Panel raising about a None file."""

    def _sync_data(self, fileobj):
        if fileobj is None:
            return
        super()._sync_data(fileobj)


def safe(text: str) -> str:
    """User data (names, messages) for a Markdown pane: HTML escaped, so a name such as
    ``<script>…`` or ``<img onerror=…>`` is shown as typed and never runs."""
    return html.escape(str(text), quote=False)


def safe_md(text: str) -> str:
    """Like :func:`safe`, and Markdown markers escaped too (for headings and titles built from
    names: ``*a*`` stays ``*a*``)."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~-])", r"\\\1", safe(text))


def standalone_html(title: str, *objects) -> bytes:
    """A view as one HTML file that opens without a server (Bokeh and Panel inlined).

    ``objects`` must be fresh (static) panes: plots, ``pn.pane.DataFrame`` tables, Markdown;
    widgets would render but not work without the server.
    """
    from bokeh.resources import INLINE

    buf = io.StringIO()
    pn.Column(pn.pane.Markdown(f"# {safe_md(title)}"), *objects, sizing_mode="stretch_width").save(
        buf, title=title, resources=INLINE)
    return buf.getvalue().encode("utf-8")


def share_link(extra: Callable[[], dict] | None = None, depends=()) -> pn.widgets.TextInput:
    """A read-only copy of this page's address with ``readonly=1`` (and the query values ``extra()``
    returns; ``depends``: ``(parameterized, [names])`` pairs whose changes update the link): whoever
    opens it (after signing in) sees this view without editing controls."""
    box = pn.widgets.TextInput(name="Read-only share link", disabled=True, sizing_mode="stretch_width",
                               css_classes=["tt-share-link"])
    loc = pn.state.location

    def update(*_):
        if loc is None:
            return
        from urllib.parse import urlencode

        query = ({k: v for k, v in loc.query_params.items() if k != "readonly"} | (extra() if extra else {})
                 | {"readonly": "1"})
        base = (loc.href or "").split("#", 1)[0].split("?", 1)[0] or loc.pathname
        box.value = f"{base}?{urlencode(query)}"

    if loc is not None:
        loc.param.watch(update, ["search", "pathname", "href"])
    for obj, names in depends:
        obj.param.watch(update, list(names))
    pn.state.onload(update)
    return box


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


#: the header: the studio's name (to the landing page), the apps (wrapping onto a second line when the
#: window is narrow) and who is signed in with the sign-out link, which must stay inside the window
#: (the template's own title is hidden: with the app's name it left no room at 1280 px)
_HEADER_CSS = "#header .app-header { display: none; }"
_WHITE = ":host, a, strong { color: white !important; }"

#: one size per heading level from the first render on: the template's design sends Bootstrap's
#: heading sizes to a pane only when it is updated, so a heading grew on the first change
HEADINGS_CSS = """
:host h1 { font-size: 1.6rem; } :host h2 { font-size: 1.35rem; } :host h3 { font-size: 1.15rem; }
:host h4 { font-size: 1.05rem; } :host h1, :host h2, :host h3, :host h4 { font-weight: 600; line-height: 1.25; }
"""


def _heading_sizes() -> None:
    """Every Markdown pane (and Alert) of the apps gets :data:`HEADINGS_CSS` unless it is given its own
    stylesheets."""
    for cls in (pn.pane.Markdown, pn.pane.Alert):
        if HEADINGS_CSS not in cls.param.stylesheets.default:
            cls.param.stylesheets.default = [*cls.param.stylesheets.default, HEADINGS_CSS]


_heading_sizes()


def page(title: str, current: str, *body, sidebar=()) -> pn.template.BaseTemplate:
    """The common page: a title bar with links to the other apps, the body and a sidebar."""
    try:
        shown = [(n, l) for n, l in APPS if n == current or n not in APP_ACTIONS or may_open(n)]
    except Exception:  # noqa: BLE001 - the database cannot be read: the page says so itself
        shown = [(n, l) for n, l in APPS if n not in APP_ACTIONS]
    links = " · ".join(f"**{label}**" if name == current else f"[{label}]({app_link(name)})" for name, label in shown)
    brand = pn.pane.HTML(f"<a href='{app_link('main')}'>Timetable studio</a>", margin=(0, 10),
                         css_classes=["tt-brand"], stylesheets=[
                             _WHITE, ":host a { font-size: 20px; text-decoration: none; white-space: nowrap; }"])
    nav = pn.pane.Markdown(links, margin=(0, 10), css_classes=["tt-nav"], sizing_mode="stretch_width",
                           stylesheets=[_WHITE, ":host { font-size: 14px; white-space: normal; min-width: 0; }",
                                        "a, strong { white-space: nowrap; }"])
    items = [brand, nav]
    user = current_user()
    if user is not None:
        try:
            role = auth.role_of(get_store(), user) or "not registered"
        except Exception:  # noqa: BLE001
            role = "?"
        ro = " · read-only link" if read_only() else ""
        items.append(pn.pane.HTML(
            f"{safe(user)} ({safe(role)}){ro} · <a href='{logout_url()}'>Sign out</a>", css_classes=["tt-user"],
            margin=(0, 10), stylesheets=[_WHITE, ":host { font-size: 14px; white-space: nowrap; flex-shrink: 0; }"]))
    header = pn.Row(*items, sizing_mode="stretch_width", css_classes=["tt-header"],
                    stylesheets=[":host { align-items: center; flex-wrap: nowrap; }"])
    tmpl = pn.template.BootstrapTemplate(title=f"Timetable studio · {title}", header=[header],
                                         sidebar=list(sidebar), main=list(body), sidebar_width=340)
    tmpl.config.raw_css.append(_HEADER_CSS)
    return tmpl


def logout_url() -> str:
    """Panel's sign-out page (``/logout`` under the server's root path)."""
    root = (pn.state.base_url or "/").rstrip("/")
    return f"{root}/logout"


def refused(title: str, current: str, action: str) -> pn.template.BaseTemplate | None:
    """The page shown instead of an app the user's role may not use (None when allowed)."""
    if auth.role_may(get_store(), current_user(), action):
        return None
    text = auth.ACTION_WORDS.get(action, action)
    who = " or ".join(auth.roles_for(action))
    return page(title, current, pn.pane.Alert(f"Your account may not {text} (only: {who}). Ask an admin for the "
                                              "role, or sign in with another account.", alert_type="warning",
                                              css_classes=["tt-error"]))


def unavailable(title: str, current: str, exc: BaseException) -> pn.template.BaseTemplate:
    """The page shown when the database cannot be used (missing folder, held by another process…)."""
    text = safe(logged_message(exc, f"app {current}"))
    if isinstance(exc, auth.PermissionDenied):
        return page(title, current, pn.pane.Alert(f"Access refused: {text}", alert_type="danger",
                                                  css_classes=["tt-error"]))
    return page(title, current, pn.pane.Alert(f"The database {safe(db_path())} cannot be used: {text}",
                                              alert_type="danger", css_classes=["tt-error"]))


__all__ = [
    "TimetableError", "ValidationError", "RunnerStarting", "db_path", "get_store", "get_runner", "start_runner",
    "runner_status", "studio", "current_user", "can_edit", "can", "may_open", "read_only", "auth_enabled", "authorize",
    "sign_in_problems", "safe", "safe_md", "standalone_html", "share_link", "refused", "logout_url", "APP_ACTIONS",
    "message_of", "logged_message", "notify", "Messages", "guarded", "message_alerts", "page", "unavailable",
    "Download", "routed", "app_link", "APPS", "HEADINGS_CSS",
]
