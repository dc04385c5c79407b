"""``tt workflow`` (approve and publish variants) and ``tt substitute`` (cover an absent teacher).

The database is ``--db PATH``, else ``$TT_DB``, else ``data/timetable.duckdb``. The command line
runs in local mode (every right, :mod:`tt_core.auth`) unless ``--as NAME`` (or ``$TT_USER``) names
a registered user: then that user's role decides, as in the apps, and the audit log records them.
"""

from __future__ import annotations

import argparse
import json
import os

from ..errors import TimetableError

_DB_HELP = "the DuckDB database (default: $TT_DB, else data/timetable.duckdb)"


def register(sub) -> None:
    """Add ``tt workflow`` and ``tt substitute`` to the ``tt`` parser."""
    from ..workflow import TRANSITIONS

    flow = " · ".join(f"{a}: {'/'.join(src)} → {dst}" for a, (src, dst) in TRANSITIONS.items())
    p = sub.add_parser("workflow", help="approval workflow of variants: submit, approve, reject, publish",
                       description="Move a variant through draft → submitted → approved | rejected → published. "
                                   "Every department with lectures in it approves (its head); a registrar "
                                   f"publishes; publishing archives the previously published variant. {flow}.")
    wf = p.add_subparsers(dest="workflow_command", metavar="ACTION")
    wf.required = True

    def add(parent, name, help_, func):
        q = parent.add_parser(name, help=help_, description=help_)
        q.add_argument("--db", help=_DB_HELP)
        q.add_argument("--as", dest="user", default=os.environ.get("TT_USER") or None, metavar="NAME",
                       help="act as this registered user (default: $TT_USER, else local mode with every right)")
        q.set_defaults(func=func)
        return q

    ls = add(wf, "list", "the variants of a scenario with their workflow status", run_list)
    ls.add_argument("scenario")
    ls.add_argument("--json", action="store_true")
    st = add(wf, "status", "one variant's status, departments and decisions (all rounds)", run_status)
    st.add_argument("variant", type=int)
    st.add_argument("--json", action="store_true")
    for action, help_ in (("submit", "send a draft (or rejected) variant for approval"),
                          ("withdraw", "take a submitted variant back to draft"),
                          ("publish", "publish an approved variant (the previous published one is archived)"),
                          ("archive", "archive a variant (a published one: nothing is published then)")):
        q = add(wf, action, help_, run_step)
        q.add_argument("variant", type=int)
        q.set_defaults(action=action)
    a = add(wf, "approve", "approve a submitted variant for a department", run_step)
    a.add_argument("variant", type=int)
    a.add_argument("--department", default=None,
                   help="the department (default: every pending one you may approve; a head's own)")
    a.set_defaults(action="approve")
    r = add(wf, "reject", "reject a submitted variant for a department, with a reason", run_step)
    r.add_argument("variant", type=int)
    r.add_argument("--reason", required=True, help="what has to change")
    r.add_argument("--department", default=None, help="the department (default: yours)")
    r.set_defaults(action="reject")

    p = sub.add_parser("substitute", help="substitutes for an absent teacher: propose, apply, cover, list, roll back",
                       description="For a teacher absent on given dates, rank the teachers who are free at each "
                                   "lecture, qualified (they teach the course's department or students) and below "
                                   "their daily limit; record substitutions as dated overlays on the published "
                                   "timetable (which itself never changes) and roll them back.")
    sb = p.add_subparsers(dest="substitute_command", metavar="ACTION")
    sb.required = True
    dates_help = "dates YYYY-MM-DD, comma separated or FIRST..LAST"
    pr = add(sb, "propose", "rank substitutes for each lecture of an absent teacher", run_propose)
    pr.add_argument("scenario")
    pr.add_argument("--teacher", required=True, help="the absent teacher (name/id in the data)")
    pr.add_argument("--dates", required=True, nargs="+", help=dates_help)
    pr.add_argument("--top", type=int, default=3, help="candidates shown per lecture (default 3)")
    pr.add_argument("--json", action="store_true")
    ap = add(sb, "apply", "record one substitution: SUBSTITUTE takes LECTURE on DATE", run_apply)
    ap.add_argument("scenario")
    ap.add_argument("--date", required=True, help="YYYY-MM-DD")
    ap.add_argument("--lecture", required=True, type=int, help="the lecture id (from `propose`)")
    ap.add_argument("--by", required=True, metavar="SUBSTITUTE", help="the substitute teacher")
    ap.add_argument("--note", default="")
    ap.add_argument("--replace", type=int, default=None, metavar="ID",
                    help="the lecture's current substitution, when that substitute is absent too")
    cv = add(sb, "cover", "give every lecture of an absent teacher on the dates to its best candidate", run_cover)
    cv.add_argument("scenario")
    cv.add_argument("--teacher", required=True)
    cv.add_argument("--dates", required=True, nargs="+", help=dates_help)
    cv.add_argument("--note", default="")
    li = add(sb, "list", "the substitutions of a scenario (active ones; --all: with rolled-back ones)", run_sub_list)
    li.add_argument("scenario")
    li.add_argument("--all", action="store_true")
    li.add_argument("--json", action="store_true")
    rb = add(sb, "rollback", "roll back substitutions by id (the regular teacher again)", run_rollback)
    rb.add_argument("ids", nargs="+", type=int, metavar="ID")


def _studio(args, read_only: bool = False):
    from ..services import Studio
    from ..store import Store, default_db_path

    path = args.db or str(default_db_path())
    if not os.path.exists(path):
        raise TimetableError(f"no database at {path}; create it with `tt import SOURCE --db {path}` or `tt demo build`")
    store = Store.open(path, read_only=read_only)
    try:
        return Studio(store, user=args.user)
    except BaseException:
        store.close()
        raise


def _scenario(studio, text: str):
    if not studio.store.scenarios.exists(text) and text.isdigit() and studio.store.scenarios.exists(int(text)):
        return studio.store.scenarios.get(int(text))["name"]
    studio.store.scenarios.get(text)  # refuses an unknown name, listing the known ones
    return text


def _table(rows: list[dict], cols: list[str]) -> str:
    import pandas as pd

    def text(v) -> str:
        return "" if v is None or (not isinstance(v, (list, dict, str)) and pd.isna(v)) else str(v)

    cells = [[text(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


# ====================================================================================== workflow
def run_list(args: argparse.Namespace) -> int:
    studio = _studio(args, read_only=True)
    with studio.store:
        scenario = _scenario(studio, args.scenario)
        rows = []
        for v in studio.variants.list(scenario):
            r = studio.approval.review(v["id"])
            rows.append({"id": v["id"], "name": v["name"], "status": r.status, "round": r.round,
                         "waiting for": ", ".join(r.pending) if r.status == "submitted" else "",
                         "cost": v["soft_cost"], "hard": v["hard_violations"]})
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
    elif not rows:
        print(f"scenario {scenario!r} has no variants yet; generate one with `tt jobs submit`")
    else:
        print(_table(rows, ["id", "name", "status", "round", "waiting for", "cost", "hard"]))
    return 0


def run_status(args: argparse.Namespace) -> int:
    studio = _studio(args, read_only=True)
    with studio.store:
        r = studio.approval.review(args.variant)
        decisions = studio.store.approvals.decisions(args.variant)
        for d in decisions:
            d["decided_at"] = d["decided_at"].strftime("%Y-%m-%d %H:%M")
        actions = studio.approval.actions(args.variant)
    if args.json:
        print(json.dumps({"variant": r.variant_id, "scenario": r.scenario, "status": r.status, "round": r.round,
                          "departments": list(r.parts), "pending": list(r.pending), "decisions": decisions,
                          "published": r.published, "you_may": actions}, default=str, indent=2))
        return 0
    print(r.summary())
    print(f"departments: {', '.join(r.parts) or 'none'}")
    if decisions:
        print(_table(decisions, ["review_round", "department", "decision", "user_name", "reason", "decided_at"]))
    print(f"you may: {', '.join(actions) or 'nothing now'}")
    return 0


def run_step(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        text = studio.approval.step(args.variant, args.action, department=getattr(args, "department", None),
                                    reason=getattr(args, "reason", None))
    print(text)
    return 0


# ====================================================================================== substitution
def run_propose(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        scenario = _scenario(studio, args.scenario)
        proposals = studio.substitutions.propose(scenario, args.teacher, args.dates, limit=args.top)
    df = proposals.frame()
    if args.json:
        print(df.to_json(orient="records", indent=2, force_ascii=False))
        return 0
    print(f"substitutes for {args.teacher} in the published timetable (variant #{proposals.variant_id}) of "
          f"{scenario!r}:")
    for note in proposals.notes:
        print(f"  note: {note}")
    if not df.empty:
        df["rank"] = [("" if r is None or r != r else str(int(r))) for r in df["rank"]]
        print(_table(df.to_dict("records"), ["date", "lecture", "course", "when", "room", "rank", "substitute", "why"]))
        print(f"apply one with `tt substitute apply {args.scenario} --date DATE --lecture ID --by TEACHER`, or all "
              "best ones with `tt substitute cover`")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        print(studio.substitutions.apply(_scenario(studio, args.scenario), args.date, args.lecture, args.by,
                                        note=args.note, replaces=args.replace))
    return 0


def run_cover(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        print(studio.substitutions.apply_best(_scenario(studio, args.scenario), args.teacher, args.dates,
                                            note=args.note))
    return 0


def run_sub_list(args: argparse.Namespace) -> int:
    studio = _studio(args, read_only=True)
    with studio.store:
        df = studio.substitutions.frame(_scenario(studio, args.scenario), active_only=not args.all)
    if args.json:
        print(df.to_json(orient="records", indent=2, force_ascii=False, date_format="iso"))
    elif df.empty:
        print("no substitutions")
    else:
        print(_table(df.to_dict("records"), list(df.columns)))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    studio = _studio(args)
    with studio.store:
        print(studio.substitutions.rollback(args.ids))
    return 0
