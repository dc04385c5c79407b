"""The approval-workflow controls shared by the variants app and the workflow app (not served).

:class:`WorkflowState` holds one variant's workflow state (:mod:`tt_core.workflow`) and runs its
steps through the :class:`~tt_core.services.Studio` of the session, which checks the signed-in
user's role; :func:`workflow_panel` shows the status, the departments' decisions and only the
buttons the user's role may use now (submit, withdraw, approve, reject with a reason, publish,
archive). A read-only share link shows the status without buttons.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from . import shared as S

ALL_MINE = "(every department I may decide for)"
BUTTONS = (("submit", "Submit for approval", "primary"), ("withdraw", "Withdraw", "light"),
           ("approve", "Approve", "success"), ("reject", "Reject", "danger"), ("publish", "Publish", "success"),
           ("archive", "Archive", "light"))


class WorkflowState(param.Parameterized):
    """One variant's workflow status and the actions the session's user may take on it."""

    variant = param.Integer(None, allow_None=True)
    status = param.String("", doc="the status in words")
    actions = param.List([], doc="the workflow actions the user may take now")
    departments = param.List([], doc="departments still to decide (approve / reject)")
    department = param.String(ALL_MINE)
    reason = param.String("", doc="why the variant is rejected")
    decisions = param.DataFrame(pd.DataFrame())
    changed = param.Integer(0, doc="bumped after every step, so the owner can reload its lists")

    def __init__(self, studio, messages: S.Messages, **params):
        self.studio = studio
        self.messages = messages
        super().__init__(**params)
        self.refresh()

    @param.depends("variant", watch=True)
    def refresh(self) -> None:
        """Reload the variant's state (after a step, or when another variant is picked)."""
        if self.variant is None:
            self.param.update(status="", actions=[], departments=[], decisions=pd.DataFrame())
            return
        try:
            r = self.studio.approval.review(self.variant)
            actions = [] if S.read_only() else self.studio.approval.actions(self.variant)
            decisions = self.studio.approval.history(self.variant)
        except Exception as exc:  # noqa: BLE001 - e.g. the variant was deleted meanwhile
            self.messages.fail(exc)
            self.param.update(status="", actions=[], departments=[], decisions=pd.DataFrame())
            return
        pending = list(r.pending) if r.status == "submitted" else []
        self.param.update(status=r.summary(), actions=actions, departments=pending, decisions=decisions,
                          department=self.department if self.department in pending else ALL_MINE)

    @S.guarded
    def step(self, action: str) -> None:
        """Run ``action`` on the variant; the message says the new state or why it was refused."""
        if self.variant is None:
            raise S.TimetableError("select a variant first")
        department = None if self.department == ALL_MINE else self.department
        text = self.studio.approval.step(self.variant, action, department=department,
                                         reason=self.reason if action == "reject" else None)
        if action == "reject":
            self.reason = ""
        self.refresh()
        self.changed += 1
        self.messages.ok(text)


def workflow_panel(state: WorkflowState) -> pn.Column:
    """Status, decisions and the buttons the user's role may use, for the sidebar or the main area."""
    w = pn.widgets
    status = pn.pane.Markdown("", css_classes=["tt-wf-status"], sizing_mode="stretch_width")
    buttons = {}
    for action, label, kind in BUTTONS:
        b = w.Button(name=label, button_type=kind, css_classes=[f"tt-wf-{action}"], sizing_mode="stretch_width")
        b.on_click(lambda _e, a=action: state.step(a))
        buttons[action] = b
    department = w.Select(name="Department", options=[ALL_MINE], value=ALL_MINE, sizing_mode="stretch_width",
                          css_classes=["tt-wf-department"])
    department.param.watch(lambda e: setattr(state, "department", e.new), "value")
    reason = w.TextAreaInput.from_param(state.param.reason, name="Reason (for a rejection)", height=70,
                                        sizing_mode="stretch_width", css_classes=["tt-wf-reason"])
    decisions = w.Tabulator(state.decisions, disabled=True, show_index=False, sizing_mode="stretch_width",
                            css_classes=["tt-wf-decisions"], layout="fit_data_table")

    def draw(*_):
        status.object = S.safe(state.status) if state.status else "Select a variant."
        for action, b in buttons.items():
            b.visible = action in state.actions
        deciding = "approve" in state.actions or "reject" in state.actions
        department.param.update(options=[ALL_MINE, *state.departments],
                                value=state.department if state.department in state.departments else ALL_MINE,
                                visible=deciding and len(state.departments) > 1)
        reason.visible = "reject" in state.actions
        decisions.value = state.decisions
        decisions.visible = not state.decisions.empty

    state.param.watch(draw, ["status", "actions", "departments", "decisions", "department"])
    draw()
    return pn.Column(pn.pane.Markdown("**Approval**"), status, department, *buttons.values(), reason, decisions,
                     sizing_mode="stretch_width", css_classes=["tt-workflow"])


def variant_workflow(flow: WorkflowState, owner: param.Parameterized, options: str = "options",
                     reload: str | None = "refresh_variants") -> pn.Column:
    """A variant picker over ``owner.<options>`` (a ``{label: id}`` dict, newest first) and the
    workflow panel of the picked variant; after each step ``owner.<reload>()`` relists the variants
    (their labels show the status)."""
    def first(opts: dict):
        ids = list(opts.values())
        return flow.variant if flow.variant in ids else (ids[0] if ids else None)

    opts = getattr(owner, options)
    pick = pn.widgets.Select(name="Variant", options=opts, value=first(opts), sizing_mode="stretch_width",
                             css_classes=["tt-wf-variant"])
    flow.variant = pick.value

    def relist(event):
        value = first(event.new)
        pick.param.update(options=event.new, value=value)
        if flow.variant == value:
            flow.refresh()  # same variant, maybe a new status

    owner.param.watch(relist, options)
    pick.param.watch(lambda e: setattr(flow, "variant", e.new), "value")
    if reload:
        flow.param.watch(lambda _e: getattr(owner, reload)(), "changed")
    return pn.Column(pick, workflow_panel(flow), sizing_mode="stretch_width")
