"""The ``tt`` command. Each group of sub-commands lives in ``tt_core/commands/<name>.py`` and exposes
``register(subparsers)``; user errors (:class:`~tt_core.errors.TimetableError`, ``OSError`` on the
user's files) are printed as one clear message with exit status 2, never as a traceback.

``kill -USR1 <pid>`` makes a running ``tt`` (a job runner, a long solve) print every thread's stack
to its stderr and go on: what to look at when one seems stuck.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import os
import signal
import sys

from .errors import TimetableError

# Modules under tt_core/commands/, in the order their commands appear in ``tt --help``.
COMMAND_MODULES = [
    "instance",   # tt info, tt validate
    "solve",      # tt solve, tt bench
    "hardware",   # tt hardware
    "data",       # tt import, export, synth, scenarios, demo build
    "jobs",       # tt jobs submit, run, list, show, watch, cancel, retry
    "users",      # tt users list, add, role, remove, demo; tt audit
    "planning",   # tt check, tt diff
    "workflow",   # tt workflow submit, approve, reject, publish…; tt substitute propose, apply, cover, rollback
    "students",   # tt students, tt section
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tt", description="timetable studio: generate, tune, compare and publish course timetables")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"tt_core.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGUSR1"):  # not on Windows
        try:  # every thread's stack on SIGUSR1 (see the module doc)
            faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=False)
        except (ValueError, OSError, RuntimeError, AttributeError):  # no real stderr (None, or captured)
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TimetableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of the output went away (`tt jobs show 3 | head`): not an error of the command;
        # stdout is pointed at devnull so that flushing it at exit does not fail a second time
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
