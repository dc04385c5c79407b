"""Which variant a command line names: ``--variant ID``, ``published`` or ``chosen``."""

from __future__ import annotations

from ..errors import TimetableError


def pick_variant(db, scenario, spec: str) -> int:
    """The id of the variant of ``scenario`` that ``spec`` names; a clear error for anything else."""
    info = db.scenarios.get(scenario)
    if spec == "published":
        vid = db.approvals.published(info["id"])
        if vid is None:
            raise TimetableError(f"scenario {info['name']!r} has no published variant; publish one with "
                                 "`tt workflow publish ID` or give --variant ID")
        return vid
    if spec == "chosen":
        chosen = [v for v in db.variants.list(info["id"]) if v["chosen"]]
        if not chosen:
            raise TimetableError(f"scenario {info['name']!r} has no chosen variant; give --variant ID "
                                 "(see the variants app) or choose one first")
        return int(chosen[0]["id"])
    try:
        vid = int(spec)
    except ValueError:
        raise TimetableError(f"--variant must be a variant id, 'published' or 'chosen', got {spec!r}") from None
    if vid not in {v["id"] for v in db.variants.list(info["id"])}:
        raise TimetableError(f"variant {vid} is not a variant of scenario {info['name']!r}")
    return vid
