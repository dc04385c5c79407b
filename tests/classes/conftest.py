"""Fixtures of the class-model tests: the ITC2019 instances beside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ITC2019_DIR = Path(os.environ.get("TT_ITC2019_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "itc2019"))


@pytest.fixture(scope="session")
def itc2019_dir() -> Path:
    """The ITC2019 folder (``*.xml`` instances and ``solutions/``); skips when absent."""
    if not ITC2019_DIR.is_dir():
        pytest.skip(f"ITC2019 instances not found at {ITC2019_DIR}")
    return ITC2019_DIR
