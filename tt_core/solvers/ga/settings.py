"""The GA's settings: one frozen object, stored next to each result."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ...errors import TimetableError

STAGE = "ga"


CROSSOVERS = ("course", "day")


@dataclass(frozen=True)
class GASettings:
    """Settings of one island (all plain values, stored next to each result)."""

    population: int = 8
    generations: int | None = None        # None: run until the time limit
    crossover: str = "day"                # "day" or "course"
    crossover_rate: float = 0.8
    crossover_fraction: float = 0.2      # share of courses (course-wise) or days (day-wise) from parent b
    mutation_moves: int = 3
    tournament: int = 3
    elite: int = 2
    local_iterations: int = 200_000       # memetic annealing steps per child (0: pure GA)
    local_t0: float | None = None         # start temperature of the memetic annealing (None: auto)
    temperature: str = "clock"            # "clock": one schedule for the population; "restart": per child
    init_iterations: int = 20_000         # annealing steps per individual of the first population
    init_walk: float = 0.1                # random feasible moves (x lectures) that diversify it
    repair_iterations: int = 100_000      # hard-only annealing budget when greedy repair fails
    hard_weight: float = 20.0
    use_cpsat: bool = True                # CP-SAT feasibility start when the greedy one is infeasible
    migration_interval: int = 5
    migrants: int = 2
    backend: str | None = None            # batch fitness back end (None: hardware.batch_backend())

    def check(self) -> None:
        errors = []
        if self.population < 2:
            errors.append(f"population must be at least 2, got {self.population}")
        if not 0 <= self.elite < self.population:
            errors.append(f"elite must be between 0 and population - 1 ({self.population - 1}), got {self.elite}")
        if self.tournament < 1:
            errors.append(f"tournament size must be at least 1, got {self.tournament}")
        if self.crossover not in CROSSOVERS:
            errors.append(f"crossover must be one of {', '.join(CROSSOVERS)}, got {self.crossover!r}")
        if not 0.0 <= self.crossover_fraction <= 1.0:
            errors.append(f"crossover fraction must be between 0 and 1, got {self.crossover_fraction}")
        if not 0.0 <= self.crossover_rate <= 1.0:
            errors.append(f"crossover rate must be between 0 and 1, got {self.crossover_rate}")
        if self.temperature not in ("clock", "restart"):
            errors.append(f"temperature must be 'clock' or 'restart', got {self.temperature!r}")
        if self.migration_interval < 1:
            errors.append(f"migration interval must be at least 1 generation, got {self.migration_interval}")
        if self.generations is not None and self.generations < 0:
            errors.append(f"generations must not be negative, got {self.generations}")
        for name in ("mutation_moves", "local_iterations", "init_iterations", "repair_iterations", "migrants"):
            if getattr(self, name) < 0:
                errors.append(f"{name.replace('_', ' ')} must not be negative, got {getattr(self, name)}")
        if errors:
            raise TimetableError("invalid GA settings: " + "; ".join(errors))


def settings_from(settings: GASettings | None, options: dict) -> GASettings:
    """``settings`` (default :class:`GASettings`) with ``options`` (field names) replaced, checked."""
    known = {f.name for f in fields(GASettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TimetableError(f"unknown GA setting(s) {', '.join(unknown)}; "
                             f"the settings are: {', '.join(sorted(known))}")
    base = settings if settings is not None else GASettings()
    out = GASettings(**{**{f.name: getattr(base, f.name) for f in fields(GASettings)}, **options})
    out.check()
    return out
