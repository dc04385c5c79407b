"""Project exceptions: every user-caused error names the item and how to fix it."""

from __future__ import annotations


class TimetableError(Exception):
    """Base class of errors caused by the user's input (files, data, settings).

    The CLI and the apps print ``str(error)`` and never a traceback.
    """


class ProblemFormatError(TimetableError):
    """A file could not be read: names the file, the line and what was expected."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.reason = message
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class ValidationError(TimetableError):
    """Data that is well formed but inconsistent; ``problems`` lists the findings.

    ``omitted`` counts further findings that were not kept (a reader stops collecting after
    :data:`tt_core.limits.MAX_REPORTED_ERRORS`); the message counts them too.
    """

    def __init__(self, problems: list[str], *, title: str = "invalid data", omitted: int = 0):
        self.problems = list(problems)
        self.omitted = int(omitted)
        total = len(self.problems) + self.omitted
        shown = "\n  - ".join(self.problems[:50])
        rest = total - min(len(self.problems), 50)
        more = f"\n  … and {rest:,} more" if rest > 0 else ""
        super().__init__(f"{title} ({total:,} problem(s)):\n  - {shown}{more}")


class InfeasibleError(TimetableError):
    """The constraints cannot all hold; ``diagnosis`` lists the culprits in words."""

    def __init__(self, diagnosis: list[str]):
        self.diagnosis = list(diagnosis)
        super().__init__("no timetable can satisfy the hard constraints:\n  - " + "\n  - ".join(self.diagnosis))
