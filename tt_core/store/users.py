"""Users and their roles (the permission map is :mod:`tt_core.auth`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..auth import ROLES
from ..errors import TimetableError, ValidationError
from .database import Database
from .tables import TableRepository

if TYPE_CHECKING:
    import pandas as pd


class UserRepository:
    """The users of the database (``store.users``); rows are written through the generic table editor,
    so each change is validated and audited like any other row."""

    def __init__(self, db: Database, tables: TableRepository):
        self.db = db
        self.tables = tables

    def add(self, name: str, role: str, teacher: str | None = None, *, department: str | None = None,
                 user: str | None = None) -> int:
        """Add a user with a role (see :mod:`tt_core.auth`): a ``teacher`` needs the teacher's name,
        a ``head`` the department's name."""
        problems = self._user_problems(name, role, teacher, department)
        if problems:
            raise ValidationError(problems, title="the user was refused")
        return self.tables.create("users", None, user=user, name=name, role=role, teacher=teacher,
                                  department=department)

    @staticmethod
    def _user_problems(name, role, teacher, department) -> list[str]:
        if role not in ROLES:
            return [f"user {name!r}: role {role!r} is not one of {', '.join(ROLES)}"]
        if role == "teacher" and not teacher:
            return [f"user {name!r}: a teacher account needs the teacher's name (teacher=..., `--teacher`)"]
        if role == "head" and not department:
            return [f"user {name!r}: a department head needs the department's name (department=..., `--department`)"]
        return []

    def set_role(self, name: str, role: str, teacher: str | None = None, *, department: str | None = None,
                      user: str | None = None) -> None:
        """Change a user's role (and the teacher or department it is linked to); audited."""
        problems = self._user_problems(name, role, teacher, department)
        if problems:
            raise ValidationError(problems, title="the change was refused")
        if self.get(name) is None:
            raise TimetableError(f"no user {name!r}; add it first (`tt users add {name} --role {role}`)")
        self.tables.update("users", None, name, user=user, role=role, teacher=teacher, department=department)

    def get(self, name: str) -> dict | None:
        """The user's row (id, name, role, teacher, department, created_at), or None."""
        rows = self.db.query("SELECT id, name, role, teacher, department, created_at FROM users WHERE name = ?", [name])
        return rows[0] if rows else None

    def list(self) -> pd.DataFrame:
        """Every user: name, role, teacher, department, created_at (by name)."""
        return self.tables.read("users")
