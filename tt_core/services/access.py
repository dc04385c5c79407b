"""Users, roles and the audit log (admins manage users; planners and admins read the log)."""

from __future__ import annotations

import pandas as pd

from ..errors import TimetableError
from .session import Service


class AccessService(Service):
    """Users and the audit log (``studio.access``)."""

    def users(self, user: str | None = None) -> pd.DataFrame:
        """Every user and role (admins only)."""
        self.require("manage_users", user)
        return self.store.users.list()

    def add_user(self, name: str, role: str, teacher: str | None = None, department: str | None = None,
                 user: str | None = None) -> str:
        """Register a user with a role (admins only); audited."""
        user = self.require("manage_users", user)
        name = (name or "").strip()
        if not name:
            raise TimetableError("give the new user's sign-in name")
        if self.store.users.get(name) is not None:
            raise TimetableError(f"user {name!r} already exists; change their role instead")
        self.store.users.add(name, role, teacher or None, department=department or None, user=user)
        return f"user {name} added as {role}"

    def set_role(self, name: str, role: str, teacher: str | None = None, department: str | None = None,
                      user: str | None = None) -> str:
        """Change a user's role (admins only); an admin cannot take away the last admin's rights."""
        user = self.require("manage_users", user)
        self._keep_an_admin(name, role)
        self.store.users.set_role(name, role, teacher or None, department=department or None, user=user)
        return f"user {name} is now {role}"

    def remove_user(self, name: str, user: str | None = None) -> str:
        """Remove a user (admins only); the audit log keeps their name on what they did."""
        user = self.require("manage_users", user)
        if self.store.users.get(name) is None:
            raise TimetableError(f"no user {name!r}")
        self._keep_an_admin(name, None)
        self.store.tables.delete("users", None, name, user=user)
        return f"user {name} removed"

    def _keep_an_admin(self, name: str, new_role: str | None) -> None:
        users = self.store.users.list()
        admins = set(users.loc[users["role"] == "admin", "name"])
        if name in admins and new_role != "admin" and len(admins) == 1:
            raise TimetableError(f"{name!r} is the only admin; make another user admin first, or nobody "
                                 "could manage users any more")

    def audit_frame(self, limit: int = 200, user: str | None = None) -> pd.DataFrame:
        """The latest ``limit`` audit entries (planners and admins): when, who, action, target, detail."""
        self.require("view_audit", user)
        df = self.store.audit_log(limit)
        out = pd.DataFrame({"when": df["logged_at"].dt.strftime("%Y-%m-%d %H:%M:%S") if len(df) else [],
                            "who": df["user_name"].fillna("(local)"), "action": df["action"],
                            "target": df["target"],
                            "detail": [", ".join(f"{k}={v}" for k, v in (d or {}).items()) for d in df["detail"]]})
        return out
