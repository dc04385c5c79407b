"""Where the tests find what lies outside the repository (benchmark folders, Debian's Chromium).

A plain module, not ``conftest.py``: the test folders each have a ``conftest.py``, and which one
``import conftest`` finds depends on the order pytest collected them in.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ITC_DIR = REPO_ROOT.parent / "shared" / "itc2007"
ITC2019_DIR = Path(os.environ.get("TT_ITC2019_DIR", REPO_ROOT.parent / "shared" / "itc2019"))
CHROMIUM = "/usr/bin/chromium"  # Debian's; browser tests never use `playwright install`
