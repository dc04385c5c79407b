"""``tt users`` and ``tt audit``: who may sign in to the apps, with which role, and what they did.

Roles and what they allow are defined in :mod:`tt_core.auth`. The apps use Panel's sign-in
(``--basic-auth FILE`` or an OAuth provider); with ``--credentials FILE`` these commands also keep
that basic-auth credentials file in step (one JSON ``{"name": "password"}``), so one command both
registers a user and gives them a password. The command line itself runs in local mode (every
right: whoever can open the database file can change it anyway); the audit log records the
operating-system user (``$USER``).

While ``panel serve`` (or a job runner) holds the database, DuckDB lets no other process open it:
stop the server, or let an admin manage users in the apps' Admin page.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys


def register(sub) -> None:
    from ..auth import ROLE_DESCRIPTIONS, ROLES

    roles = "; ".join(f"{r}: {d}" for r, d in ROLE_DESCRIPTIONS.items())
    p = sub.add_parser("users", help="who may sign in to the apps and with which role",
                       description=f"Users of the apps and their roles ({roles}).")
    users = p.add_subparsers(dest="users_command", metavar="ACTION")
    users.required = True

    def add(name, help_, func):
        q = users.add_parser(name, help=help_, description=help_)
        q.add_argument("--db", required=True, help="the DuckDB file")
        q.set_defaults(func=func)
        return q

    def creds(q, what):
        q.add_argument("--credentials", default=None, metavar="FILE",
                       help=f"a Panel --basic-auth credentials file (JSON) to {what}")

    ls = add("list", "list users and roles", run_list)
    ls.add_argument("--json", action="store_true")

    a = add("add", "register a user with a role", run_add)
    a.add_argument("name", help="the sign-in name (as Panel reports it: the basic-auth name or the OAuth login)")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--teacher", default=None, help="for --role teacher: the teacher's name (id) in the data")
    a.add_argument("--department", default=None, help="for --role head: the department's name")
    creds(a, "add the user's password to")
    a.add_argument("--password", default=None,
                   help="the password for --credentials (default: asked for; '-' reads one line from stdin)")

    r = add("role", "change a user's role", run_role)
    r.add_argument("name")
    r.add_argument("--role", required=True, choices=ROLES)
    r.add_argument("--teacher", default=None)
    r.add_argument("--department", default=None)

    rm = add("remove", "remove a user (what they did stays in the audit log)", run_remove)
    rm.add_argument("name")
    creds(rm, "remove the user's password from")

    d = add("demo", "add one demo account per role (name = role, password 'demo') and a head per department "
                    "(head-<department>) for `make demo`", run_demo)
    creds(d, "write the demo passwords to")

    au = sub.add_parser("audit", help="the audit log: who imported, edited, started, cancelled, chose what and when",
                        description="The latest entries of the audit log, newest first.")
    au.add_argument("--db", required=True, help="the DuckDB file")
    au.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    au.add_argument("--json", action="store_true")
    au.set_defaults(func=run_audit)


def _db(args, read_only: bool = False):
    from ..errors import TimetableError
    from ..store import Store

    if not os.path.exists(args.db):
        raise TimetableError(f"{args.db} does not exist; create it with `tt import` or `tt demo build`")
    return Store.open(args.db, read_only=read_only)


def _me() -> str | None:
    return os.environ.get("USER")


def _password(args) -> str:
    from ..errors import TimetableError

    if args.password == "-":
        pw = sys.stdin.readline().rstrip("\n")
    elif args.password is not None:
        pw = args.password
    elif sys.stdin.isatty():
        pw = getpass.getpass(f"password for {args.name}: ")
        if pw != getpass.getpass("again: "):
            raise TimetableError("the two passwords differ; nothing was changed")
    else:
        raise TimetableError("give --password (or '-' to read it from stdin) when not typing at a terminal")
    if not pw:
        raise TimetableError(f"user {args.name!r}: the password must not be empty")
    return pw


def run_list(args: argparse.Namespace) -> int:
    with _db(args, read_only=True) as db:
        df = db.users.list()
    if args.json:
        print(json.dumps(df.to_dict("records"), default=str, indent=2))
        return 0
    if df.empty:
        print("no users: the apps served with sign-in refuse everyone; add one with "
              "`tt users add NAME --role admin --db ...`")
        return 0
    for r in df.itertuples():
        link = r.teacher if r.role == "teacher" else (r.department if r.role == "head" else "")
        print(f"{r.name:<24} {r.role:<10} {link or ''}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from ..auth import set_password

    password = _password(args) if args.credentials else None
    with _db(args) as db:
        db.users.add(args.name, args.role, args.teacher, department=args.department, user=_me())
    if args.credentials:
        set_password(args.credentials, args.name, password)
    print(f"added {args.name} as {args.role}"
          + (f"; password written to {args.credentials}" if args.credentials else ""))
    return 0


def run_role(args: argparse.Namespace) -> int:
    with _db(args) as db:
        db.users.set_role(args.name, args.role, args.teacher, department=args.department, user=_me())
    print(f"{args.name} is now {args.role}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ..auth import remove_password
    from ..errors import TimetableError

    with _db(args) as db:
        if db.users.get(args.name) is None:
            raise TimetableError(f"no user {args.name!r}; `tt users list --db {args.db}` shows them")
        db.tables.delete("users", None, args.name, user=_me())
    if args.credentials and remove_password(args.credentials, args.name):
        print(f"removed {args.name}'s password from {args.credentials}")
    print(f"removed {args.name}")
    return 0


def department_heads(departments: list[str], taken=()) -> list[dict]:
    """One ``head`` account per department, named ``head-<department>`` (lower case, every run of other
    characters than letters and digits one ``-``; a number added when two names would be the same).

    A variant is approved when the head of every department with lectures in it has approved, so
    a demo with one head for eight departments could not complete an approval without an admin.
    """
    import re

    used = set(taken)
    out = []
    for dept in departments:
        base = "head-" + (re.sub(r"[^0-9a-z]+", "-", str(dept).lower()).strip("-") or "department")
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        out.append({"name": name, "role": "head", "teacher": None, "department": dept})
    return out


def run_demo(args: argparse.Namespace) -> int:
    """Demo accounts linked to the first teacher and department of the first scenario, and a head for
    every department of that scenario."""
    from ..auth import DEMO_PASSWORD, demo_accounts, set_password
    from ..errors import TimetableError

    with _db(args) as db:
        scenarios = db.scenarios.names()
        if not scenarios:
            raise TimetableError(f"{args.db} has no scenario; demo accounts link to its first teacher and department")
        teachers = db.tables.read("teachers", scenarios[0])["name"].tolist()
        departments = db.tables.read("departments", scenarios[0])["name"].tolist()
        if not teachers or not departments:
            raise TimetableError(f"scenario {scenarios[0]!r} needs a teacher and a department for the demo accounts")
        accounts = demo_accounts(teachers[0], departments[0])
        accounts += department_heads(departments, taken={a["name"] for a in accounts})
        for a in accounts:
            if db.users.get(a["name"]) is None:
                db.users.add(a["name"], a["role"], a["teacher"], department=a["department"], user=_me())
    if args.credentials:
        for a in accounts:
            set_password(args.credentials, a["name"], DEMO_PASSWORD)
    print("demo accounts (password '" + DEMO_PASSWORD + "'): " + ", ".join(a["name"] for a in accounts))
    return 0


def run_audit(args: argparse.Namespace) -> int:
    with _db(args, read_only=True) as db:
        df = db.audit_log(args.limit)
    if args.json:
        print(json.dumps(df.to_dict("records"), default=str, indent=2))
        return 0
    for r in df.itertuples():
        detail = ", ".join(f"{k}={v}" for k, v in (r.detail or {}).items())
        print(f"{r.logged_at:%Y-%m-%d %H:%M:%S}  {r.user_name or '(local)':<16} {r.action:<28} {r.target}"
              + (f"  ({detail})" if detail else ""))
    return 0
