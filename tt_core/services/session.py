"""Who is acting, and what they may do: the part every service shares.

A :class:`Session` is one user's view of one store (and the process's job runner). Every service
method that changes something checks the acting user's right with :meth:`Session.require`
(:func:`tt_core.auth.require`): the apps hide what a role may not use, but this is where it is
enforced. The user is a method's ``user=`` argument, else the session's own ``user`` (an app
session's signed-in user); ``None`` for both is local mode (CLI, notebooks, an app served without
sign-in): every right.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import auth
from ..errors import TimetableError


class Session:
    """The store, the job runner factory and the signed-in user of one app session (or the CLI).

    Parameters
    ----------
    store : Store
        The process's store (one per database file).
    runner : callable, optional
        Returns the process's :class:`~tt_core.jobs.runner.JobRunner` (created lazily by the
        caller); needed only to submit and cancel jobs.
    user : str, optional
        The signed-in user; must be registered (any role may read).

    Raises
    ------
    tt_core.auth.PermissionDenied
        ``user`` is not in the ``users`` table.
    """

    def __init__(self, store, runner: Callable | None = None, user: str | None = None):
        self.store = store
        self._runner = runner
        self.user = user
        if user is not None:
            auth.require(store, user, "view")

    @property
    def runner(self):
        """The process's job runner (raises when this process has none)."""
        if self._runner is None:
            raise TimetableError("no job runner in this process; jobs cannot be started here")
        return self._runner()

    def who(self, user: str | None = None) -> str | None:
        """The acting user: ``user`` when given, else the session's (never widens a session's rights)."""
        return user if user is not None else self.user

    def require(self, action: str, user: str | None = None, **scope) -> str | None:
        """:func:`tt_core.auth.require` for the acting user; returns that user (for the audit log)."""
        who = self.who(user)
        auth.require(self.store, who, action, **scope)
        return who

    def allowed(self, action: str, user: str | None = None, **scope) -> bool:
        """Whether the acting user may ``action`` (to show or hide a control)."""
        return auth.allowed(self.store, self.who(user), action, **scope)

    def role(self, user: str | None = None) -> str | None:
        """The acting user's role (:data:`tt_core.auth.LOCAL` in local mode)."""
        return auth.role_of(self.store, self.who(user))

    def my_teacher(self, user: str | None = None) -> str | None:
        """The teacher a ``teacher`` user is linked to (None for every other role)."""
        row = auth.user_record(self.store, self.who(user))
        return row["teacher"] if row is not None and row["role"] == "teacher" else None


class Service:
    """Base of the services: the session's store and its rights checks."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def store(self):
        return self.session.store

    def who(self, user: str | None = None) -> str | None:
        return self.session.who(user)

    def require(self, action: str, user: str | None = None, **scope) -> str | None:
        return self.session.require(action, user, **scope)
