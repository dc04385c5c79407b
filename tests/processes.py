"""Child processes the tests stop with Ctrl-C (SIGINT), as a user would.

A shell that runs a command in the background (``make test &``, ``nohup …&``) starts it with SIGINT
ignored, every child inherits that, and Python then installs no KeyboardInterrupt handler: a
``tt jobs run`` started by the tests would ignore the tests' Ctrl-C and run on. (A fresh-clone
``make test`` run in the background failed that way three times; in a terminal or under ``timeout``
SIGINT is left at its default and the tests passed.)
"""

from __future__ import annotations

import signal


def ctrl_c_ends_it() -> None:
    """``preexec_fn`` of a child the test will send SIGINT to: restore its default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
