"""Named weight profiles (tt_core/store/weights.py)."""

from __future__ import annotations

import pytest
from store_samples import db, rich_db  # noqa: F401 - fixtures

from tt_core.errors import TimetableError, ValidationError


def test_weight_profiles(rich_db):
    rich_db.weights.save("rich", "itc", {"MinWorkingDays": 5, "room": 2})
    rich_db.weights.save("rich", "itc", {"MinWorkingDays": 7})  # replaces
    assert rich_db.weights.get("rich", "itc") == {"MinWorkingDays": 7.0}
    with pytest.raises(ValidationError, match="unknown constraint or dimension 'Happiness'"):
        rich_db.weights.save("rich", "bad", {"Happiness": 1})
    with pytest.raises(ValidationError, match="must be a number >= 0"):
        rich_db.weights.save("rich", "bad", {"RoomCapacity": -1})
    with pytest.raises(TimetableError, match="no weight profile 'x'"):
        rich_db.weights.get("rich", "x")
