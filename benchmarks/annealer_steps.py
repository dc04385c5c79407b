"""Cost of the annealer's steps on the ITC2007 instances: moves, Kempe chains, ruin and recreate.

    .venv/bin/python benchmarks/annealer_steps.py [comp01 comp05 ...] [--steps 20000] [--temperature 2]

From each instance's public solution (a feasible timetable, as in the annealing's feasible phase)
``anneal_steps`` runs ``--steps`` steps of one kind at a fixed temperature, every lecture movable:
plain moves and swaps (Kempe and ruin off), Kempe chains only, ruin-and-recreate steps only. The
Kempe chains and the ruin steps run twice, from the same timetable and random stream: priced off
the state as the annealer does on ITC2007 data (``trade_delta``; a period ruled out by its part of
the insert cost before a room is looked for), and made-then-undone / room-first as it does with
the extended benchmark's terms (the arrays' ``ext`` flag set on the same data, whose extra terms
are all zero here). Prints nanoseconds per evaluated step and the ratio of the two ways.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tt_core import constraints as K  # noqa: E402
from tt_core.benchmark import default_itc_dir, resolve_instances, warm_up  # noqa: E402
from tt_core.errors import TimetableError  # noqa: E402
from tt_core.io.itc2007 import read_ctt, read_sol  # noqa: E402
from tt_core.kernels.arrays import kernel_arrays  # noqa: E402
from tt_core.kernels.incremental import new_state  # noqa: E402
from tt_core.solvers.local_search.construct import suitable_rooms  # noqa: E402
from tt_core.solvers.local_search.kernels import NO_FOCUS, anneal_steps, chain_buffer  # noqa: E402
from tt_core.solvers.local_search.stream import new_stream  # noqa: E402


def run_steps(pb, ka, start, *, steps: int, temperature: float, kempe: float, ruin: float) -> tuple[float, int]:
    """Seconds and evaluated steps of ``steps`` annealing steps of one kind from ``start``."""
    st = new_state(pb, start)
    w = np.where(K.HARD_MASK, 20.0, K.itc_weights())  # ITC2007's weights, hard terms as the annealer
    cur = np.array([float(st.units @ w), 0.0, 0.0])
    best = cur.copy()
    L = pb.n_lectures
    sp, si = suitable_rooms(pb)
    counters = np.zeros(4, np.int64)
    t = time.perf_counter()
    anneal_steps(ka, st, np.arange(L, dtype=np.int32), NO_FOCUS, sp, si, np.full(L, -1, np.int32),
                 np.full(L, -1, np.int32), w, 0.0, 1.0, 0.4, steps, temperature, temperature, st.period.copy(),
                 st.room.copy(), cur, best, np.zeros(K.N_CONSTRAINTS, np.int64), counters, new_stream(1), kempe,
                 chain_buffer(pb.n_rooms), ruin)
    return time.perf_counter() - t, int(counters[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instances", nargs="*", help="names (comp01) or .ctt paths; default: all in --itc-dir")
    ap.add_argument("--itc-dir", type=Path, default=None)
    ap.add_argument("--steps", type=int, default=20_000, help="steps of each kind (plain moves: 10x)")
    ap.add_argument("--temperature", type=float, default=2.0)
    args = ap.parse_args(argv)
    itc_dir = args.itc_dir or default_itc_dir()
    try:
        paths = resolve_instances(args.instances, itc_dir)
    except TimetableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warm_up()
    print(f"ns per evaluated step at temperature {args.temperature:g}, from the public solution")
    print(f"{'instance':9s} {'move':>6s} {'Kempe priced':>13s} {'made+undone':>12s} {'ratio':>6s} "
          f"{'ruin pruned':>12s} {'room first':>11s} {'ratio':>6s}")
    for path in paths:
        pb = read_ctt(path)
        found = sorted((itc_dir / "solutions").glob(f"{path.stem}_cost*.sol"))
        if not found:
            print(f"{path.stem:9s} (no public solution in {itc_dir / 'solutions'})")
            continue
        start = read_sol(pb, found[0])
        ka = kernel_arrays(pb)
        traded = ka._replace(ext=True)  # the extended benchmark's path on the same data
        ns = {}
        for name, arrays, steps, kempe, ruin in (("move", ka, 10 * args.steps, 0.0, 0.0),
                                                  ("kempe", ka, args.steps, 1.0, 0.0),
                                                  ("kempe_traded", traded, args.steps, 1.0, 0.0),
                                                  ("ruin", ka, args.steps, 0.0, 1.0),
                                                  ("ruin_room_first", traded, args.steps, 0.0, 1.0)):
            run_steps(pb, arrays, start, steps=min(steps, 1000), temperature=args.temperature, kempe=kempe,
                      ruin=ruin)  # compiles this kind of arrays once
            seconds, evaluated = run_steps(pb, arrays, start, steps=steps, temperature=args.temperature,
                                           kempe=kempe, ruin=ruin)
            ns[name] = seconds / max(evaluated, 1) * 1e9
        print(f"{path.stem:9s} {ns['move']:6.0f} {ns['kempe']:13.0f} {ns['kempe_traded']:12.0f} "
              f"{ns['kempe_traded'] / ns['kempe']:6.2f} {ns['ruin']:12.0f} {ns['ruin_room_first']:11.0f} "
              f"{ns['ruin_room_first'] / ns['ruin']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
