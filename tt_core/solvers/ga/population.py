"""One island's evolution: the first population, breeding a generation, replacement, migration hooks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from deap import tools

from ...kernels.gpu import batch_evaluate, weighted
from ...kernels.incremental import new_state
from ...model import Timetable
from ..base import Deadline
from ..local_search import construct
from .context import Context, hard_of
from .operators import course_crossover, day_crossover, estimate_t0, improve, mutate, repair, tournament
from .settings import STAGE


def evaluate_population(ctx: Context, individuals: list) -> None:
    """Set the fitness of every individual with ONE batch evaluation call."""
    if not individuals:
        return
    stack = np.stack([np.asarray(ind) for ind in individuals])
    units = batch_evaluate(ctx.problem, stack[:, 0], stack[:, 1], backend=ctx.settings.backend)
    hard, soft = weighted(units, ctx.w_user)
    for ind, h, s in zip(individuals, hard, soft):
        ind.fitness.values = (float(h), float(s))


class Exchange:
    """Migration channel of an island (no-op for a single population)."""

    def send(self, migrants: list[dict]) -> None:  # noqa: D401 - hook
        pass

    def receive(self) -> list[dict]:
        return []


def _encode(ind, island: int, generation: int) -> dict:
    arr = np.asarray(ind, np.int32)
    return {"period": arr[0].astype("<i4").tobytes(), "room": arr[1].astype("<i4").tobytes(),
            "hard": float(ind.fitness.values[0]), "soft": float(ind.fitness.values[1]),
            "island": int(island), "generation": int(generation)}


def _decode(ctx: Context, msg: dict):
    ind = ctx.individual(np.frombuffer(msg["period"], "<i4"), np.frombuffer(msg["room"], "<i4"))
    ind.fitness.values = (float(msg["hard"]), float(msg["soft"]))
    return ind


def initial_population(ctx: Context, rng: np.random.Generator, deadline: Deadline, initial: Timetable | None,
                       heartbeat: Callable[[str], None]) -> tuple[list, int]:
    """The first population and the annealing steps it took.

    Individual 0: ``initial`` when complete, else the greedy construction, repaired (and, when
    still infeasible and ``use_cpsat``, a CP-SAT feasibility run). The others: individual 0 after
    ``init_walk x L`` random feasibility-keeping moves (diversity). Each is then annealed for
    ``init_iterations`` steps.
    """
    pb, s = ctx.problem, ctx.settings
    if initial is not None and initial.n_unplaced == 0:
        start = initial.copy()
    else:
        start = construct(pb, weights=ctx.w_user, seed=rng, pinned=ctx.pinned if ctx.pinned.any() else None,
                          initial=initial, hard_weight=s.hard_weight, deadline=deadline)
        if start.n_unplaced and deadline.done():
            # the time ran out while placing lectures: the rest stay unplaced (hard violations)
            heartbeat("initial population: the time limit ran out during the construction")
            return [ctx.individual(start.period, start.room)], 0
    heartbeat("initial population: construction")
    st = repair(ctx, start.period, start.room, rng, deadline)
    # CP-SAT with a quarter of the time left, after loading OR-tools (about a second the first time)
    if hard_of(st) > 0 and s.use_cpsat and 0.25 * deadline.remaining() >= 0.5:
        from ...errors import InfeasibleError
        from ..cpsat import solve_cpsat  # OR-tools loads only when a start needs it

        budget = min(0.25 * deadline.remaining(), 60.0)
        heartbeat("initial population: CP-SAT feasibility")
        try:
            cp = solve_cpsat(pb, time_limit=budget, seed=int(rng.integers(2**31)),
                             initial=Timetable(st.period.copy(), st.room.copy()),
                             pinned=ctx.pinned if ctx.pinned.any() else None, stop=deadline.stop, workers=1,
                             objective="feasibility", progress=lambda ev: heartbeat("initial population: CP-SAT"))
        except InfeasibleError:
            cp = None  # no timetable exists: the GA minimises the violations it cannot avoid
        if cp is not None and cp.hard_violations < hard_of(st):
            st = new_state(pb, cp.timetable)
    base_p, base_r = st.period.copy(), st.room.copy()
    population = []
    steps = 0
    for i in range(s.population):
        if i > 0 and deadline.done():
            break
        if i == 0:
            p, r = base_p.copy(), base_r.copy()
        else:
            walk = new_state(pb, Timetable(base_p, base_r))
            mutate(ctx, walk, rng, max(1, int(s.init_walk * pb.n_lectures)))
            p, r = walk.period.copy(), walk.room.copy()
        p, r, n = improve(ctx, p, r, rng, s.init_iterations, deadline)
        steps += n
        population.append(ctx.individual(p, r))
        heartbeat(f"initial population: {i + 1}/{s.population}")
    return population, steps


def breed(ctx: Context, population: list, rng: np.random.Generator, deadline: Deadline,
          temperatures: tuple[float, float] | None = None) -> tuple[object, int]:
    """One child: tournament parents, crossover + repair (or a copy), mutation, memetic step
    (``temperatures`` as for :func:`improve`).

    Returns ``(individual without fitness, annealing steps)``.
    """
    s = ctx.settings
    a = tournament(population, rng, s.tournament)
    if rng.random() < s.crossover_rate:
        b = tournament(population, rng, s.tournament)
        cross = course_crossover if s.crossover == "course" else day_crossover
        p, r = cross(ctx, np.asarray(a), np.asarray(b), rng)
        st = repair(ctx, p, r, rng, deadline)
    else:
        arr = np.asarray(a)
        st = new_state(ctx.problem, Timetable(arr[0].copy(), arr[1].copy()))
    mutate(ctx, st, rng, s.mutation_moves)
    p, r, steps = improve(ctx, st.period.copy(), st.room.copy(), rng, s.local_iterations, deadline, temperatures)
    return ctx.individual(p, r), steps


def evolve(ctx: Context, rng: np.random.Generator, deadline: Deadline, *, initial: Timetable | None,
           on_progress: Callable[[dict], None], exchange: Exchange, island: int = 0) -> dict:
    """Run one population until ``generations``, the time limit or the stop flag.

    ``on_progress`` receives a dict (island, generation, hard, soft, evaluations, stage, message)
    at least every 0.25 s. Returns the summary :func:`run_island` hands back.
    """
    s = ctx.settings
    cpu0 = time.process_time()
    stats = {"evaluations": 0, "local_iterations": 0, "generations": 0, "migrants_sent": 0,
             "migrants_received": 0, "batch_calls": 0, "batch_seconds": 0.0}
    hof = tools.HallOfFame(1, similar=np.array_equal)
    history: list[tuple[float, float, int]] = []
    last = [-1.0]

    def best_values():
        if len(hof):
            h, v = hof[0].fitness.values
            return int(h), float(v)
        return -1, math.inf

    def emit(stage: str, message: str = "", force: bool = False):
        now = deadline.elapsed()
        if not force and now - last[0] < 0.25:
            return
        last[0] = now
        hard, soft = best_values()
        on_progress({"island": island, "generation": stats["generations"], "hard": hard, "soft": soft,
                     "evaluations": stats["evaluations"], "elapsed": now, "stage": stage, "message": message})

    def fitness(individuals):
        t = time.perf_counter()
        evaluate_population(ctx, individuals)
        stats["batch_seconds"] += time.perf_counter() - t
        stats["batch_calls"] += 1
        stats["evaluations"] += len(individuals)
        hof.update(individuals)
        h, v = best_values()
        history.append((deadline.elapsed(), v, h))

    population, steps = initial_population(ctx, rng, deadline, initial, lambda msg: emit(STAGE, msg))
    # lectures still unplaced at the deadline: it came during the construction or the repair
    cut_short = bool(deadline.done() and not deadline.stopped() and (np.asarray(population[0])[0] < 0).any())
    stats["local_iterations"] += steps
    fitness(population)
    emit(STAGE, "initial population evaluated", force=True)
    first = best_values()
    if s.temperature == "clock" and ctx.t0 is None and s.local_iterations > 0 and len(ctx.movable) and not cut_short:
        arr = np.asarray(population[0])
        ctx.t0 = estimate_t0(ctx, new_state(ctx.problem, Timetable(arr[0], arr[1])), rng)
    # temperature="clock": every child of a generation anneals over the same window of one
    # schedule T(f) = T0 (0.1/T0)^f, f = share of the budget (time, or generations when fixed)
    span = 1.0 / s.generations if s.generations else max(0.01, deadline.fraction() / 2)
    while not deadline.done() and (s.generations is None or stats["generations"] < s.generations):
        elite = tools.selBest(population, s.elite)
        children = []
        f0 = stats["generations"] / s.generations if s.generations else deadline.fraction()
        temps = None
        if s.temperature == "clock" and ctx.t0 is not None:
            temps = (ctx.t0 * (0.1 / ctx.t0) ** min(1.0, f0), ctx.t0 * (0.1 / ctx.t0) ** min(1.0, f0 + span))
        for _ in range(len(population) - s.elite):
            if deadline.done():
                break
            child, steps = breed(ctx, population, rng, deadline, temps)
            stats["local_iterations"] += steps
            children.append(child)
            emit(STAGE, f"generation {stats['generations'] + 1}")
        if children:
            fitness(children)  # one batch call for the whole generation
        if len(children) == len(population) - s.elite:
            population = elite + children
        else:  # stopped part-way: keep the best of old and new
            population = tools.selBest(population + children, len(population))
        stats["generations"] += 1
        if not s.generations:
            span = max(0.005, deadline.fraction() - f0)
        if exchange is not None and s.migrants > 0 and stats["generations"] % s.migration_interval == 0:
            out = [_encode(ind, island, stats["generations"]) for ind in tools.selBest(population, s.migrants)]
            exchange.send(out)
            stats["migrants_sent"] += len(out)
            incoming = [_decode(ctx, m) for m in exchange.receive()]
            if incoming:
                incoming = tools.selBest(incoming, min(len(incoming), len(population) - s.elite))
                population = tools.selBest(population, len(population) - len(incoming)) + incoming
                hof.update(incoming)
                stats["migrants_received"] += len(incoming)
        emit(STAGE, f"generation {stats['generations']}")
    best = np.asarray(hof[0]).copy()
    hard, soft = best_values()
    emit(STAGE, "done", force=True)
    return {"island": island, "period": best[0], "room": best[1], "hard": hard, "soft": soft,
            "first_hard": first[0], "first_soft": first[1], "history": history, "elapsed": deadline.elapsed(),
            "stopped": deadline.stopped(), "cpu_seconds": time.process_time() - cpu0,
            "stopped_during": "placing lectures" if cut_short else None, **stats}
