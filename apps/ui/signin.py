"""The sign-in and sign-out pages of a server with ``--basic-auth``: the studio's own (no image
from a CDN the server may not reach), a back-off after wrong passwords, and the landing page after
signing in.

Panel checks a password as fast as it can be sent (200 wrong ones took 0.39 s). :class:`SignInThrottle`
counts failed sign-ins per user name and per client address: after ``free`` failures each further
attempt must wait ``base × 2^(failures − free)`` seconds (at most ``cap``) after the last failure,
and an attempt that comes earlier is refused *without checking the password*, so guessing is slowed
to a handful of tries per hour while a user who mistypes a few times never notices. A success
forgets the name's failures; an address keeps its own (one valid account must not unlock guessing
others' passwords from the same address), and failures older than ``forget`` seconds no longer count.

:func:`install` (called by ``apps/ui/server_setup.py``) makes Panel's :class:`BasicAuthProvider` use
:class:`StudioLoginHandler` and :class:`StudioLogoutHandler`, and sends an anonymous request for an
app's ``autoload.js`` to the sign-in page instead of into a ``TypeError``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2
import tornado.escape
from panel.auth import BasicAuthProvider, BasicLoginHandler, LogoutHandler

from .shared import log


@dataclass(frozen=True)
class Backoff:
    """How failures of one key (a user name or an address) slow down its next attempts."""

    free: int        # failures before any wait
    base: float      # the first wait, in seconds
    cap: float       # the longest wait
    forget: float    # failures older than this (seconds since the last one) are forgotten

    def delay(self, failures: int) -> float:
        """Seconds to wait after the last of ``failures`` failures before the next attempt."""
        if failures < self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - self.free, 60))


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


@dataclass
class SignInThrottle:
    """Failed sign-ins per user name and per client address (see the module doc).

    Parameters
    ----------
    per_user, per_address : Backoff
        The rules for each kind of key: an address allows more failures than a name before it
        waits, as several people may share one (a campus network behind one address).
    clock : callable
        Seconds, monotonic (tests pass a fake one).
    """

    per_user: Backoff = field(default_factory=lambda: Backoff(free=5, base=1.0, cap=300.0, forget=900.0))
    per_address: Backoff = field(default_factory=lambda: Backoff(free=20, base=1.0, cap=300.0, forget=900.0))
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000   # beyond this, forgotten records are dropped (names are attacker-chosen)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], _Record] = {}

    def _keys(self, user: str, address: str):
        return ((("user", user.strip().lower()), self.per_user), (("address", address), self.per_address))

    def _current(self, key, rule: Backoff, now: float) -> _Record | None:
        rec = self._records.get(key)
        if rec is not None and now - rec.last > rule.forget:
            del self._records[key]
            return None
        return rec

    def wait(self, user: str, address: str) -> float:
        """Seconds before an attempt for ``user`` from ``address`` will be checked (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for key, rule in self._keys(user, address):
                rec = self._current(key, rule, now)
                if rec is not None:
                    waits.append(rec.last + rule.delay(rec.failures) - now)
            return max(waits)

    def failed(self, user: str, address: str) -> None:
        """Count a wrong password (or an unknown name) for both the name and the address."""
        now = self.clock()
        with self._lock:
            if len(self._records) >= self.max_keys:
                self._prune(now)
            for key, rule in self._keys(user, address):
                rec = self._current(key, rule, now) or self._records.setdefault(key, _Record())
                rec.failures += 1
                rec.last = now

    def succeeded(self, user: str, address: str) -> None:
        """A correct password: the name's failures are forgotten (the address keeps its own)."""
        with self._lock:
            self._records.pop(("user", user.strip().lower()), None)

    def _prune(self, now: float) -> None:
        rules = {"user": self.per_user, "address": self.per_address}
        for key in [k for k, r in self._records.items() if now - r.last > rules[k[0]].forget]:
            del self._records[key]
        if len(self._records) >= self.max_keys:  # still full: drop the oldest half
            for key, _ in sorted(self._records.items(), key=lambda kv: kv[1].last)[: len(self._records) // 2]:
                del self._records[key]


#: the server's one throttle (sign-ins of every app of the process)
THROTTLE = SignInThrottle()

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Timetable studio · {{ heading }}</title>
<style>
* { box-sizing: border-box; margin: 0; padding: 0; }
html, body { height: 100%; }
body { font-family: system-ui, "Segoe UI", sans-serif; line-height: 1.6; background: #f4f6f8; color: #222; }
.wrap { display: flex; align-items: center; justify-content: center; height: 100%; }
.box { background: #fff; border: 1px solid #dde2e6; border-radius: 6px; padding: 2em; width: 360px; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; color: #0d3b66; }
p { margin-bottom: 1em; }
.error { color: #b00020; font-weight: bold; }
input { width: 100%; padding: 10px; margin-bottom: 1em; border: 1px solid #ccd3d9; border-radius: 4px; }
button, .button { display: block; width: 100%; padding: 10px; background: #0d6efd; color: #fff; border: 0;
  border-radius: 4px; font-size: 1em; text-align: center; text-decoration: none; cursor: pointer; }
</style>
</head>
<body><div class="wrap"><div class="box">
<h1>Timetable studio</h1>
{% block content %}{% endblock %}
</div></div></body>
</html>
"""

_ENV = jinja2.Environment(loader=jinja2.DictLoader({"page.html": _PAGE, "login.html": """{% extends "page.html" %}
{% block content %}
<p>Sign in with your user name and password.</p>
{% if errormessage %}<p class="error errormessage">{{ errormessage|e }}</p>{% endif %}
<form action=".{{ login_endpoint }}" method="post">
<input name="username" type="text" autocapitalize="off" autocorrect="off" placeholder="user name" autofocus>
<input name="password" type="password" placeholder="password">
<button type="submit">Sign in</button>
</form>
{% endblock %}""", "logout.html": """{% extends "page.html" %}
{% block content %}
<p>You are signed out.</p>
<a class="button" href=".{{ LOGIN_ENDPOINT }}">Sign in again</a>
{% endblock %}"""}), autoescape=True)

LOGIN_TEMPLATE = _ENV.get_template("login.html", globals={"heading": "Sign in"})
LOGOUT_TEMPLATE = _ENV.get_template("logout.html", globals={"heading": "Signed out"})

#: where a user lands after signing in when no particular page was asked for
LANDING = "main"


class StudioLoginHandler(BasicLoginHandler):
    """Panel's basic-auth sign-in with the studio's page, :data:`THROTTLE` and the landing page."""

    _login_template = LOGIN_TEMPLATE

    def _address(self) -> str:
        return str(self.request.remote_ip or "?")

    def _landing(self) -> str | None:
        """The studio's landing page (``/main``) when this server serves it, else None."""
        paths = getattr(self.application, "app_paths", ())
        if f"/{LANDING}" not in paths:
            return None
        from panel.io.state import state

        return f"{(state.base_url or '/').rstrip('/')}/{LANDING}"

    def get(self):
        super().get()
        # no particular page asked for (the server's root, Panel's generic index): the studio's landing page
        from panel.io.state import state

        landing = self._landing()
        wanted = self.get_argument("next", None)
        if landing and (not wanted or wanted.rstrip("/") == (state.base_url or "/").rstrip("/")):
            self.set_cookie("next_url", landing)

    def _validate(self, username, password):
        ok = super()._validate(username, password)
        if ok:
            THROTTLE.succeeded(username, self._address())
        else:
            THROTTLE.failed(username, self._address())
            log.info("sign-in: wrong password or unknown name %r from %s", username, self._address())
        return ok

    def post(self):
        username = self.get_argument("username", "")
        wait = THROTTLE.wait(username, self._address())
        if wait > 0:  # refused before the password is even looked at
            log.warning("sign-in: %r from %s refused for %d s after repeated failures", username,
                        self._address(), math.ceil(wait))
            text = (f"Too many failed sign-ins for this name or from this address: try again in "
                    f"{math.ceil(wait)} s.")
            self.redirect(f"{self.request.path}?error={tornado.escape.url_escape(text)}")
            return
        super().post()


class StudioLogoutHandler(LogoutHandler):
    """Panel's sign-out with the studio's page (no logo from a CDN)."""

    _logout_template = LOGOUT_TEMPLATE


def install() -> None:
    """Make Panel's basic-auth provider use the studio's sign-in and sign-out handlers (an OAuth
    provider keeps its own), and send an anonymous ``autoload.js`` request to sign in without a
    traceback. Call before the server builds its routes (``--setup`` runs first)."""
    from panel.io.resources import BASIC_LOGIN_TEMPLATE
    from panel.io.resources import LOGOUT_TEMPLATE as PANEL_LOGOUT

    def login_handler(provider):
        StudioLoginHandler._login_endpoint = provider._login_endpoint
        if provider._login_template is not BASIC_LOGIN_TEMPLATE:  # --basic-login-template wins
            StudioLoginHandler._login_template = provider._login_template
        return StudioLoginHandler

    def logout_handler(provider):
        StudioLogoutHandler._login_endpoint = provider._login_endpoint
        if provider._logout_template is not PANEL_LOGOUT:  # --logout-template wins
            StudioLogoutHandler._logout_template = provider._logout_template
        return StudioLogoutHandler

    BasicAuthProvider.login_handler = property(login_handler)
    BasicAuthProvider.logout_handler = property(logout_handler)
    _autoload_for_signed_in_users_only()


def _autoload_for_signed_in_users_only() -> None:
    """An anonymous request for an app's ``autoload.js`` goes to the sign-in page, without a traceback.

    Bokeh's ``get_session`` is decorated with tornado's ``@authenticated``, which for an anonymous
    GET redirects to the sign-in page and returns None; Panel's autoload handler then awaits that
    None and logs a ``TypeError`` for every such request. Checked first here, the request is
    redirected the same way and never reaches the session code.
    """
    from panel.io.server import AutoloadJsHandler
    from tornado.web import authenticated

    if getattr(AutoloadJsHandler.get, "_tt_signed_in_only", False):
        return
    get = authenticated(AutoloadJsHandler.get)
    get._tt_signed_in_only = True
    AutoloadJsHandler.get = get

