"""Class-based timetabling: real university data, ITC2019 style.

A second problem family beside the curriculum :class:`~tt_core.model.Problem`: each class picks
one time option (days, start, length, weeks) and one room option from its own lists; courses are
made of configs, subparts and linked classes; distributions of 19 types tie classes together;
students are sectioned into classes. See the README's design section for why it is a family of
its own.

* :mod:`.model` — :class:`ClassProblem` (frozen numpy arrays) and :class:`ClassSolution`;
* :mod:`.distributions` — the 19 distribution types, each a small pure function;
* :mod:`.evaluator` — :func:`evaluate` → :class:`ClassReport` (exact, explained);
* :mod:`.kernels` — numba kernels: full evaluation and the incremental state of a local search.

XML I/O lives in :mod:`tt_core.io.itc2019`.
"""

from .evaluator import ClassReport, Violation, evaluate
from .model import ClassProblem, ClassSolution

__all__ = ["ClassProblem", "ClassReport", "ClassSolution", "Violation", "evaluate"]
