"""Server set-up: ``panel serve apps/*.py --setup apps/ui/server_setup.py --basic-auth FILE
--cookie-secret SECRET`` (or ``--oauth-provider ...``; ``panel serve apps/`` takes it too).

Run once by ``panel serve`` before it starts (a script, not an app: ``apps/ui/`` is never served).

* It refuses to start with sign-in settings that would let the wrong people in
  (:func:`ui.shared.sign_in_problems`: a single shared password, a mistyped credentials file, no
  cookie secret) and installs :func:`ui.shared.authorize` as Panel's ``authorize_callback``, so a
  signed-in name that is not in the ``users`` table gets "403 not authorized" before any app
  runs, and an app that needs a role (Users & audit, My availability) only opens for the roles
  allowed to use it. The services check every action again (:mod:`tt_core.auth`).
* Basic auth gets the studio's sign-in page: no image from a CDN, a back-off after wrong
  passwords per user name and per address, the landing page after signing in (:mod:`ui.signin`).
* It opens the database and starts the job runner now, in the background, rather than with the
  first page: whoever holds the file must answer ``tt jobs …`` through the runner's control
  channel, and Start is usable as soon as a planner opens Generate.
"""

from __future__ import annotations

import os
import sys

_APPS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _APPS not in sys.path:  # the apps import these helpers as ``ui.<module>``, as we do here
    sys.path.insert(0, _APPS)

import panel as pn  # noqa: E402

from ui import shared as S  # noqa: E402
from ui import signin  # noqa: E402

_problems = S.sign_in_problems(sys.argv, dict(os.environ))
if _problems:
    raise SystemExit("timetable studio: refusing to serve with these sign-in settings:\n  - "
                     + "\n  - ".join(_problems))

pn.config.authorize_callback = S.authorize
signin.install()

try:
    S.start_runner()  # in a background thread; a page that needs it shows why if it cannot start
except Exception as exc:  # noqa: BLE001 - the database cannot be opened: every page says why, the server runs
    S.log.error("the database %s cannot be opened at start-up: %s", S.db_path(), S.message_of(exc))
