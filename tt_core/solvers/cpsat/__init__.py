"""CP-SAT backend (OR-tools): exact timetabling model, progress/stop handling and diagnosis.

Split as in PyJobShop's ``solvers/ortools``: ``variables`` (decision variables), ``constraints``
(one method per hard-constraint family), ``objective`` (one method per soft criterion), ``model``
(the builder and decoder), ``rooms`` (room assignment for the aggregated model), ``diagnosis``
(counting pre-check and enforcement-literal cores) and ``solver`` (the ``solve_cpsat`` front door).
"""

from .diagnosis import diagnose, precheck
from .model import EXACT_ROOMS_LIMIT, TimetableModel
from .solver import solve_cpsat

__all__ = ["EXACT_ROOMS_LIMIT", "TimetableModel", "diagnose", "precheck", "solve_cpsat"]
