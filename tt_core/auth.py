"""Roles and permissions: the one place that decides who may do what.

Every service that changes something (and every view that reads) calls :func:`require` with the
signed-in user's name and an *action*; the apps additionally hide controls a user may not use, but
hiding is a courtesy, :func:`require` is the rule. A user's role comes from the ``users`` table of
the store (:meth:`UserRepository.add <tt_core.store.users.UserRepository.add>`, ``tt users add``).

Roles
-----
==========  ===================================================================================
viewer      reads timetables and variants
teacher     a viewer who also edits one teacher's own availability and preferences
            (``users.teacher`` names the teacher)
head        head of one department (``users.department``): a viewer who approves that
            department's part of a variant
registrar   a viewer who publishes approved variants
planner     edits data, runs and cancels jobs, chooses and submits variants, sees the audit log
admin       everything a planner may do, plus managing users and roles
==========  ===================================================================================

The permission map :data:`PERMISSIONS` lists the roles allowed per action. Two actions are
restricted further by an argument: ``edit_own_availability`` (``teacher=``: a ``teacher`` user
only for their own teacher) and ``approve_department`` (``department=``: a ``head`` only for
their own department); planners and admins are not restricted by those arguments for the actions
they hold.

Local mode (``user=None``)
--------------------------
``user=None`` means "whoever runs this process": the ``tt`` command line, a notebook, a test, or
an app served *without* sign-in (``panel serve apps/`` with no ``--basic-auth``/``--oauth-provider``).
Such a caller already holds the database file, so it gets every right; there is nothing a role
check could protect. Apps served *with* sign-in always pass ``pn.state.user`` (see
``apps/ui/shared.py``), and a signed-in name that is not in the ``users`` table is refused, never
treated as local. A name is never ``None`` when sign-in is on.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import TimetableError

__all__ = [
    "ROLES", "ROLE_DESCRIPTIONS", "PERMISSIONS", "ACTION_WORDS", "LOCAL", "PermissionDenied",
    "role_of", "user_record", "allowed", "require", "roles_for", "role_may",
    "read_credentials", "set_password", "remove_password", "DEMO_PASSWORD", "demo_accounts",
]

#: every role a user may have (the ``users.role`` CHECK of the store lists the same)
ROLES = ("viewer", "teacher", "head", "registrar", "planner", "admin")

#: one line per role, for the README, the admin page and error messages
ROLE_DESCRIPTIONS = {
    "viewer": "reads timetables and variants",
    "teacher": "reads, and edits their own teacher's availability and preferences",
    "head": "reads, and approves their department's part of a variant",
    "registrar": "reads, and publishes approved variants",
    "planner": "edits data, runs and cancels jobs, chooses and submits variants, sees the audit log",
    "admin": "everything a planner may do, and manages users and roles",
}

#: pseudo-role of ``user=None`` (local mode: the CLI, notebooks, apps served without sign-in)
LOCAL = "local"

_ALL = ROLES
_PLANNING = ("planner", "admin")

#: action -> roles that may perform it (``LOCAL`` may perform every action)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": _ALL,
    "export": _ALL,                       # download timetables, data and standalone HTML views
    "edit_data": _PLANNING,               # import, add/edit/delete rows, weight profiles
    "run_jobs": _PLANNING,                # start (and retry) solver jobs
    "cancel_jobs": _PLANNING,
    "choose_variant": _PLANNING,          # choose, rename, save manual edits as a variant
    "submit_variant": _PLANNING,          # send a variant for approval
    "substitute": _PLANNING,              # substitution overlays on a published variant
    "edit_own_availability": ("teacher", "planner", "admin"),
    "approve_department": ("head", "admin"),
    "publish": ("registrar", "admin"),
    "view_audit": _PLANNING,
    "manage_users": ("admin",),
}

#: action -> what it is in words ("… may <words>")
ACTION_WORDS = {
    "view": "view timetables and variants",
    "export": "export timetables and views",
    "edit_data": "edit the timetabling data",
    "run_jobs": "start solver jobs",
    "cancel_jobs": "cancel solver jobs",
    "choose_variant": "choose or change variants",
    "submit_variant": "submit variants for approval",
    "substitute": "record substitutions",
    "edit_own_availability": "edit a teacher's availability and preferences",
    "approve_department": "approve a department's part of a variant",
    "publish": "publish variants",
    "view_audit": "see the audit log",
    "manage_users": "manage users and roles",
}


class PermissionDenied(TimetableError):
    """The signed-in user may not do this; the message says who may.

    Attributes
    ----------
    user, action : str
        Who tried what.
    """

    def __init__(self, message: str, *, user: str | None = None, action: str = ""):
        self.user = user
        self.action = action
        super().__init__(message)


def roles_for(action: str) -> tuple[str, ...]:
    """The roles allowed to perform ``action``; an unknown action is a programming error."""
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}") from None


def user_record(store, user: str | None) -> dict | None:
    """The ``users`` row of ``user`` (name, role, teacher, department), or None when not registered.

    ``user=None`` (local mode) also gives None; use :func:`role_of` to tell the two apart.
    """
    if user is None:
        return None
    return store.users.get(str(user))


def role_of(store, user: str | None) -> str | None:
    """The role of ``user``: :data:`LOCAL` for ``None`` (local mode), None for an unregistered name."""
    if user is None:
        return LOCAL
    row = user_record(store, user)
    return None if row is None else row["role"]


def _a(words: str) -> str:
    """``"admin"`` -> ``"an admin"``, ``"planner or admin"`` -> ``"a planner or admin"``."""
    return ("an " if words[:1] in "aeiou" else "a ") + words


def _refusal(store, user, action: str, *, department=None, teacher=None) -> str | None:
    """Why ``user`` may not perform ``action`` (plain words), or None when allowed."""
    allowed_roles = roles_for(action)
    if user is None:
        return None
    row = user_record(store, user)
    what = ACTION_WORDS.get(action, action)
    who = " or ".join(allowed_roles) if len(allowed_roles) <= 2 else \
        ", ".join(allowed_roles[:-1]) + " or " + allowed_roles[-1]
    if row is None:
        return (f"user {user!r} is not registered, so may not {what}; an admin adds the user with "
                f"`tt users add {user} --role viewer` (or another role)")
    role = row["role"]
    if role not in allowed_roles:
        return f"user {user!r} is {_a(role)} and may not {what}; only {_a(who)} may"
    if action == "edit_own_availability" and role == "teacher":
        own = row.get("teacher")
        if teacher is None or str(teacher) != own:
            return (f"user {user!r} may edit only the availability and preferences of teacher {own!r}, "
                    f"not of {teacher!r}; a planner edits other teachers")
    if action == "approve_department" and role == "head":
        own = row.get("department")
        if department is None or str(department) != own:
            return (f"user {user!r} heads department {own!r} and may not approve for department "
                    f"{department!r}; its own head or an admin does")
    return None


def role_may(store, user: str | None, action: str) -> bool:
    """Whether ``user``'s role may perform ``action`` for *some* teacher or department (a teacher
    for their own, a head for theirs); for opening a page or showing a menu entry, never for
    allowing a change (use :func:`require` with the teacher or department for that)."""
    if user is None:
        return True
    role = role_of(store, user)
    return role is not None and role in roles_for(action)


def allowed(store, user: str | None, action: str, *, department: str | None = None,
            teacher: str | None = None) -> bool:
    """Whether ``user`` may perform ``action`` (see :func:`require`); for showing or hiding controls."""
    return _refusal(store, user, action, department=department, teacher=teacher) is None


def require(store, user: str | None, action: str, *, department: str | None = None,
            teacher: str | None = None) -> None:
    """Refuse unless ``user`` may perform ``action``.

    Parameters
    ----------
    store : tt_core.store.Store
        Where the ``users`` table lives.
    user : str or None
        The signed-in user's name; None is local mode (every right, see the module docstring).
    action : str
        A key of :data:`PERMISSIONS`, e.g. ``"run_jobs"``.
    department : str, optional
        For ``approve_department``: the department approved (a head only approves their own).
    teacher : str, optional
        For ``edit_own_availability``: the teacher whose data changes (a teacher only edits their own).

    Raises
    ------
    PermissionDenied
        With a message naming the user, the role it has and the roles that may.
    """
    why = _refusal(store, user, action, department=department, teacher=teacher)
    if why is not None:
        raise PermissionDenied(why, user=user, action=action)


# ----------------------------------------------------------------------------- credentials file
# Panel's ``--basic-auth FILE`` reads a JSON object ``{"name": "password"}`` at every sign-in, so
# users added here can sign in without restarting the server. The file holds plain passwords
# (Panel compares them as given): it is for small installations; keep it readable by the server
# only (it is written with mode 0600) and use an OAuth provider for a real deployment.


def read_credentials(path: str | os.PathLike) -> dict[str, str]:
    """The ``{name: password}`` of a Panel basic-auth credentials file ({} when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as exc:
        raise TimetableError(f"{path}: not a JSON credentials file (line {exc.lineno}: {exc.msg}); it must be "
                             '{"name": "password", ...}') from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise TimetableError(f'{path}: a credentials file is one JSON object {{"name": "password", ...}}')
    return data


def _write_credentials(path: Path, data: dict[str, str]) -> None:
    """Replace the file atomically (a server reading it never sees half a file), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def set_password(path: str | os.PathLike, name: str, password: str) -> None:
    """Set ``name``'s password in a credentials file (created when missing)."""
    if not password:
        raise TimetableError(f"user {name!r}: the password must not be empty")
    data = read_credentials(path)
    data[name] = password
    _write_credentials(Path(path), data)


def remove_password(path: str | os.PathLike, name: str) -> bool:
    """Remove ``name`` from a credentials file; False when it was not there."""
    data = read_credentials(path)
    if name not in data:
        return False
    del data[name]
    _write_credentials(Path(path), data)
    return True


#: the password of every demo account (``make demo``); documented in the README
DEMO_PASSWORD = "demo"


def demo_accounts(teacher: str, department: str) -> list[dict]:
    """One demo account per role: ``{"name", "role", "teacher", "department"}`` (name = role)."""
    return [{"name": role, "role": role, "teacher": teacher if role == "teacher" else None,
             "department": department if role == "head" else None} for role in ROLES]
