"""What the apps, the CLI and notebooks do, composed from the store, the job runner, the evaluator and io.

:class:`Studio` is the one entry point: one user's :class:`~tt_core.services.session.Session` on
one store, with a small service per concern, each checking the user's rights the same way:

=========================  ====================  ==============================================
``studio.data``            data.py               scenarios, the data editor, teachers' own periods, checks,
                                                 weight profiles
``studio.files``           files.py              imports and exports as bytes
``studio.variants``        variants.py           variants, cost breakdown, choosing, manual edits, diffs
``studio.class_variants``  class_variants.py     timetables of class-based scenarios: costs, weeks, comparisons
``studio.jobs``            jobs.py               generation jobs
``studio.approval``        approval.py           review, approval, publication
``studio.substitutions``   substitutions.py      dated substitutions
``studio.sections``        sections.py           sectioning of offerings and students
``studio.access``          access.py             users, roles, audit log
=========================  ====================  ==============================================

Pure view code (grids, occupancy, moves, calendars) is :mod:`tt_core.views`; weight profiles are
:mod:`tt_core.profiles`. No SQL here (queries live in :mod:`tt_core.store`) and no solver code
(jobs run in the runner).
"""

from __future__ import annotations

from collections.abc import Callable

from .access import AccessService
from .approval import ApprovalService
from .class_variants import ClassComparison, ClassVariantService
from .data import DataService
from .editable import CLASS_TABLES, TABLES, TEACHER_TABLES, Column, TableSpec, coerce_value
from .files import FileService, file_stem, max_upload_bytes
from .jobs import JobService, RunnerStarting
from .sections import SectionService
from .session import Session
from .substitutions import SubstitutionService
from .variants import VariantService, VariantView

__all__ = ["Studio", "Session", "TABLES", "CLASS_TABLES", "TEACHER_TABLES", "Column", "TableSpec", "coerce_value",
           "file_stem", "max_upload_bytes", "VariantView", "RunnerStarting", "ClassComparison"]


class Studio(Session):
    """One user's session on one store, with the services (see the module doc).

    Parameters
    ----------
    store : Store
        The process's store (one per database file).
    runner : callable, optional
        Returns the process's :class:`~tt_core.jobs.runner.JobRunner`; needed only for jobs.
    user : str, optional
        The signed-in user of this session; must be registered (any role may read).
    """

    def __init__(self, store, runner: Callable | None = None, user: str | None = None):
        super().__init__(store, runner, user)
        self.data = DataService(self)
        self.variants = VariantService(self, self.data)
        self.class_variants = ClassVariantService(self, self.data)
        self.substitutions = SubstitutionService(self, self.data)
        self.files = FileService(self, self.data, self.variants, self.substitutions, self.class_variants)
        self.jobs = JobService(self)
        self.approval = ApprovalService(self)
        self.sections = SectionService(self, self.data, self.variants)
        self.access = AccessService(self)
