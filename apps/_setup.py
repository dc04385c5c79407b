"""Server set-up for signing in: ``panel serve apps/*.py --setup apps/_setup.py --basic-auth FILE
--cookie-secret SECRET`` (or ``--oauth-provider ...``).

Run once by ``panel serve`` before it starts (not an app: the name starts with an underscore).
It refuses to start with sign-in settings that would let the wrong people in
(:func:`_shared.sign_in_problems`: a single shared password, a mistyped credentials file, no cookie
secret) and installs :func:`_shared.authorize` as Panel's ``authorize_callback``, so a signed-in
name that is not in the ``users`` table gets "403 not authorized" before any app runs, and an app
that needs a role (Users & audit, My availability) only opens for the roles allowed to use it.
The services check every action again (:mod:`tt_core.auth`).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import panel as pn  # noqa: E402

import _shared as S  # noqa: E402

_problems = S.sign_in_problems(sys.argv, dict(os.environ))
if _problems:
    raise SystemExit("timetable studio: refusing to serve with these sign-in settings:\n  - "
                     + "\n  - ".join(_problems))

pn.config.authorize_callback = S.authorize
