"""Users and roles (tt_core/store/users.py)."""

from __future__ import annotations

import pytest
from data_samples import TEACHERS
from store_samples import db, rich_db  # noqa: F401 - fixtures

from tt_core.errors import ValidationError


def test_users(rich_db):
    rich_db.users.add("ann", "planner")
    rich_db.users.add("bob", "teacher", teacher=TEACHERS[0])
    with pytest.raises(ValidationError, match="role 'boss'"):
        rich_db.users.add("cy", "boss")
    with pytest.raises(ValidationError, match="needs the teacher's name"):
        rich_db.users.add("dee", "teacher")
    with pytest.raises(ValidationError, match="already exists"):
        rich_db.users.add("ann", "viewer")
    assert rich_db.users.get("bob")["teacher"] == TEACHERS[0]
    rich_db.tables.update("users", None, "ann", role="admin")
    assert rich_db.tables.read("users")["role"].tolist() == ["admin", "teacher"]
