"""Helpers of the tests that inject a fault between two writes and look at what stayed."""

from __future__ import annotations

import threading


class Injected(RuntimeError):
    """The fault a test injects."""


def read_elsewhere(fn):
    """``fn()`` on another thread (its own cursor, outside this thread's transaction)."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("value", fn()))
    t.start()
    t.join(30)
    return box["value"]
