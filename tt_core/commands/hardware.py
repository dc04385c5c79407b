"""``tt hardware``: show the cores, memory and GPU found, and the back end and workers chosen."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    """Add the ``hardware`` sub-command to the ``tt`` parser."""
    parser = subparsers.add_parser(
        "hardware",
        help="show cores, memory, GPU and the chosen batch back end",
        description="Detect cores, memory and a usable CUDA GPU, and show the batch back end and "
                    "number of workers that will be used (override with TT_BACKEND=numba|cupy "
                    "and TT_WORKERS=N).")
    parser.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the findings; a bad TT_BACKEND / TT_WORKERS raises a TimetableError (exit 2)."""
    from .. import hardware

    if args.json:
        found = hardware.detect().as_dict()
        found["batch_backend"] = hardware.batch_backend()
        found["workers"] = hardware.recommended_workers()
        print(json.dumps(found, indent=2))
    else:
        print(hardware.describe())
    return 0
