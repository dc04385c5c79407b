"""Waiting in tests for the state a test checks (a job's row, its first event), not for a proxy."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float, what: str, poll: float = 0.05):
    """``predicate()``'s first truthy value, polled every ``poll`` s; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
