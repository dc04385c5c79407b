"""Named weight profiles of a scenario: ``{constraint or dimension: weight}`` (see :mod:`tt_core.constraints`)."""

from __future__ import annotations

import json

from ..errors import TimetableError, ValidationError
from .database import Database
from .scenarios import scenario_id
from .sql import audit_row, first_row, next_ids, utcnow
from .tables import check_weights


class WeightProfileRepository:
    """The weight profiles of the scenarios (``store.weights``)."""

    def __init__(self, db: Database):
        self.db = db

    def save(self, scenario: int | str, name: str, weights: dict, description: str = "", *,
                            user: str | None = None) -> int:
        """Create or replace the weight profile ``name`` of a scenario; returns its id."""
        with self.db.transaction() as cur:
            sid = scenario_id(self.db, cur, scenario)
            errors: list[str] = []
            text = check_weights(weights, errors, f"weight profile {name!r}")
            if not isinstance(name, str) or not name:
                errors.append(f"a weight profile needs a non-empty name, got {name!r}")
            if errors:
                raise ValidationError(errors, title="the weight profile was refused")
            row = first_row(cur.execute("SELECT id FROM weight_profiles WHERE scenario_id = ? AND name = ?",
                                        [sid, name]))
            if row is not None:
                cur.execute("UPDATE weight_profiles SET weights = ?, description = ? WHERE id = ?",
                            [text, description, row[0]])
                pid = row[0]
            else:
                (pid,) = next_ids(cur, "weight_profiles", 1)
                cur.execute("INSERT INTO weight_profiles (id, scenario_id, name, weights, description, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", [pid, sid, name, text, description, utcnow()])
            audit_row(cur, user, "save weight profile", f"weight profile {name!r}", {"scenario_id": sid})
        return int(pid)

    def get(self, scenario: int | str, name: str) -> dict[str, float]:
        """The weights of profile ``name`` as ``{constraint or dimension: weight}``."""
        with self.db.reading() as cur:
            sid = scenario_id(self.db, cur, scenario)
            row = first_row(cur.execute("SELECT weights FROM weight_profiles WHERE scenario_id = ? AND name = ?",
                              [sid, name]))
            if row is None:
                names = [r[0] for r in cur.execute("SELECT name FROM weight_profiles WHERE scenario_id = ? "
                                                   "ORDER BY name", [sid]).fetchall()]
                raise TimetableError(f"no weight profile {name!r} in scenario {scenario!r}; known: "
                                     f"{', '.join(map(repr, names)) or 'none'}")
        return json.loads(row[0])
