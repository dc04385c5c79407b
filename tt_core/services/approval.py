"""The approval workflow as the apps use it: a variant's review, the actions the user may take, one
step at a time, and the history of decisions (rules: :mod:`tt_core.workflow`)."""

from __future__ import annotations

import pandas as pd

from .. import workflow
from .session import Service


class ApprovalService(Service):
    """Review, approval and publication of variants (``studio.approval``)."""

    def review(self, variant_id: int):
        """The variant's :class:`tt_core.workflow.Review` (status, departments, decisions)."""

        return workflow.review(self.store, int(variant_id))

    def actions(self, variant_id: int, user: str | None = None) -> list[str]:
        """The workflow actions the acting user may take on the variant now (the buttons to show)."""

        return workflow.allowed_actions(self.store, self.review(variant_id), self.who(user))

    def step(self, variant_id: int, action: str, *, user: str | None = None, department: str | None = None,
                      reason: str | None = None) -> str:
        """Run a workflow action (submit, withdraw, approve, reject, publish, archive); returns the
        new state in words. Refusals (wrong status or role) raise with the reason."""

        before = self.store.approvals.published(self.review(variant_id).scenario)
        r = workflow.transition(self.store, int(variant_id), action, user=self.who(user), department=department,
                                reason=reason)
        text = r.summary()
        if action == "publish" and before is not None and before != r.variant_id:
            text += f"; variant #{before} was archived"
        return text

    def published(self, scenario: str) -> int | None:
        return self.store.approvals.published(scenario)

    def history(self, variant_id: int) -> pd.DataFrame:
        """Every department decision on the variant (all review rounds), oldest first."""
        rows = self.store.approvals.decisions(int(variant_id))
        cols = ["review_round", "department", "decision", "user_name", "reason", "decided_at"]
        df = pd.DataFrame(rows, columns=cols)
        df["decided_at"] = [t.strftime("%Y-%m-%d %H:%M") if t is not None else "" for t in df["decided_at"]]
        return df
