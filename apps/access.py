"""Users & audit: who may sign in with which role (admins), and the audit log of who imported,
edited, started, cancelled, chose or approved what and when (planners and admins).

Roles and their rights are those of :mod:`tt_core.auth`; every change here goes through
:class:`tt_core.services.Studio`, which refuses it for anyone but an admin. When the server signs
users in with a basic-auth credentials file (``--basic-auth FILE``), an admin also sets passwords
here (Panel reads the file at every sign-in, so a new user can sign in at once).
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the server runs this file once per session
    sys.path.insert(0, _HERE)

import pandas as pd  # noqa: E402
import panel as pn  # noqa: E402
import param  # noqa: E402

from tt_core import auth  # noqa: E402

from ui import shared as S  # noqa: E402


def credentials_file() -> str | None:
    """The server's basic-auth credentials file, when it signs users in with one."""
    value = pn.config.basic_auth
    return value if isinstance(value, str) and os.path.isfile(value) else None


class AccessState(param.Parameterized):
    """The users table, the audit log and the add/change form."""

    users = param.DataFrame(pd.DataFrame())
    log = param.DataFrame(pd.DataFrame())
    search = param.String("", label="Filter (user, action or target contains)")
    limit = param.Integer(200, bounds=(10, 5000), label="Entries")

    name = param.String("", label="Sign-in name")
    role = param.Selector(objects=list(auth.ROLES), default="viewer")
    teacher = param.String("", label="Teacher (for role teacher)")
    department = param.String("", label="Department (for role head)")
    password = param.String("", label="Password (credentials file)")

    def __init__(self, studio, **params):
        self.studio = studio
        self.messages = S.Messages()
        self.manage = studio.allowed("manage_users")
        super().__init__(**params)
        self.refresh()

    @param.depends("search", "limit", watch=True)
    @S.guarded
    def refresh(self) -> None:
        if self.manage:
            self.users = self.studio.access.users()[["name", "role", "teacher", "department", "created_at"]]
        log = self.studio.access.audit_frame(int(self.limit))
        text = self.search.strip().lower()
        if text:
            hit = (log["who"].str.lower().str.contains(text, regex=False)
                   | log["action"].str.lower().str.contains(text, regex=False)
                   | log["target"].str.lower().str.contains(text, regex=False))
            log = log[hit]
        self.log = log.reset_index(drop=True)

    def _password(self) -> None:
        path = credentials_file()
        if path and self.password:
            auth.set_password(path, self.name.strip(), self.password)

    @S.guarded
    def add(self) -> None:
        text = self.studio.access.add_user(self.name, self.role, self.teacher.strip() or None,
                                    self.department.strip() or None)
        self._password()
        self.messages.ok(text + ("; password saved" if credentials_file() and self.password else ""))
        self.password = ""
        self.refresh()

    @S.guarded
    def change(self) -> None:
        text = self.studio.access.set_role(self.name.strip(), self.role, self.teacher.strip() or None,
                                         self.department.strip() or None)
        self._password()
        self.messages.ok(text)
        self.password = ""
        self.refresh()

    @S.guarded
    def remove(self) -> None:
        name = self.name.strip()
        text = self.studio.access.remove_user(name)
        path = credentials_file()
        if path:
            auth.remove_password(path, name)
        self.messages.ok(text)
        self.refresh()


def layout(state: AccessState) -> pn.template.BaseTemplate:
    w = pn.widgets
    main = [S.message_alerts(state.messages)]
    sidebar = []
    if state.manage:
        users = w.Tabulator(state.users, disabled=True, show_index=False, sizing_mode="stretch_width",
                            css_classes=["tt-users"], selectable=1)
        state.param.watch(lambda e: setattr(users, "value", e.new), "users")

        def pick(event):
            if event.new:
                row = users.value.iloc[event.new[0]]
                state.param.update(name=row["name"], role=row["role"], teacher=row["teacher"] or "",
                                   department=row["department"] or "")

        users.param.watch(pick, "selection")
        roles = "\n".join(f"- **{r}**: {d}" for r, d in auth.ROLE_DESCRIPTIONS.items())
        main += [pn.pane.Markdown("### Users"), users, pn.pane.Markdown(roles)]
        form = ["name", "role", "teacher", "department"] + (["password"] if credentials_file() else [])
        add = w.Button(name="Add user", button_type="primary", css_classes=["tt-add-user"])
        add.on_click(lambda _: state.add())
        change = w.Button(name="Change role", button_type="primary", button_style="outline",
                          css_classes=["tt-change-role"])
        change.on_click(lambda _: state.change())
        remove = w.Button(name="Remove user", button_type="danger", button_style="outline",
                          css_classes=["tt-remove-user"])
        remove.on_click(lambda _: state.remove())
        sidebar += [pn.pane.Markdown("**A user** (pick one in the table to change it)"),
                    pn.Param(state, parameters=form, show_name=False, sizing_mode="stretch_width",
                             widgets={"password": w.PasswordInput}),
                    pn.Row(add, change), remove]
    log = w.Tabulator(state.log, disabled=True, show_index=False, sizing_mode="stretch_width", pagination="local",
                      page_size=25, css_classes=["tt-audit"], layout="fit_data_table")
    state.param.watch(lambda e: setattr(log, "value", e.new), "log")
    main += [pn.pane.Markdown("### Audit log (newest first)"),
             pn.Row(w.TextInput.from_param(state.param.search, width=360), w.IntInput.from_param(state.param.limit)),
             log]
    return S.page("Users & audit", "access", *main, sidebar=sidebar)


def app() -> pn.template.BaseTemplate:
    try:
        refused = S.refused("Users & audit", "access", "view_audit")
        if refused is not None:
            return refused
        state = AccessState(S.studio())
    except Exception as exc:  # noqa: BLE001
        return S.unavailable("Users & audit", "access", exc)
    return layout(state)


pn.extension("tabulator", notifications=True)

if pn.state.served:
    app().servable()
