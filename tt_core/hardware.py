"""What this machine offers (cores, memory, a usable CUDA GPU) and the back end chosen from it.

Detection never fails: a missing CuPy, a CuPy without a driver or a GPU that cannot run a kernel
all end in ``gpu=False`` with the reason in words, and the numba kernels are used instead.
Two environment variables override the automatic choice:

``TT_BACKEND``
    ``numba`` or ``cupy`` for the batch cost evaluation (unset or ``auto``: CuPy when a GPU works).
``TT_WORKERS``
    number of parallel workers (Dask processes, CP-SAT threads); default: the usable cores.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import psutil

from .errors import TimetableError

GIB = 1024**3

BACKENDS = ("numba", "cupy")

# How to get CuPy: the extras are mutually exclusive (both wheels provide the ``cupy`` module).
CUPY_INSTALL_HINT = (
    "install CuPy with `uv sync --locked --extra dev --extra gpu` (CUDA 12; `--extra gpu13` for "
    "CUDA 13), or `make test EXTRAS=\"dev gpu\"`"
)


class HardwareSettingError(TimetableError):
    """``TT_BACKEND`` or ``TT_WORKERS`` holds a value that cannot be used on this machine."""


@dataclass(frozen=True)
class Hardware:
    """What :func:`detect` found on this machine.

    Attributes
    ----------
    cores : int
        CPU cores this process may use (affinity mask and cgroup CPU quota), at least 1.
    memory_gb : float
        Total memory in GiB.
    available_gb : float
        Memory available to new allocations when detection ran, in GiB.
    gpu : bool
        True when CuPy is installed and a test kernel ran on a CUDA device.
    gpu_name : str or None
        Name of CUDA device 0 when ``gpu`` is True.
    gpu_memory_gb : float or None
        Total memory of CUDA device 0 in GiB when ``gpu`` is True.
    reason : str
        Why the GPU is or is not usable, in words (shown by ``tt hardware``).
    """

    cores: int
    memory_gb: float
    available_gb: float
    gpu: bool
    gpu_name: str | None
    gpu_memory_gb: float | None
    reason: str

    def as_dict(self) -> dict:
        """The fields as a plain dict (for JSON output and result metadata)."""
        return asdict(self)


def cgroup_cpu_limit(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> float | None:
    """CPU quota of a cgroup v2 ``cpu.max`` file in cores, or None when unlimited or unreadable.

    Containers often see every host core in the affinity mask but may only use a quota of them;
    sizing workers by the mask would oversubscribe the quota and slow every worker down.

    Parameters
    ----------
    path : Path
        The ``cpu.max`` file; its content is ``"<quota> <period>"`` or ``"max <period>"``.
    """
    try:
        fields = path.read_text().split()
    except OSError:
        return None
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    if quota <= 0 or period <= 0:
        return None
    return quota / period


@lru_cache(maxsize=1)
def cpu_cores() -> int:
    """Cores this process may use: the affinity mask capped by a cgroup CPU quota; at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # sched_getaffinity is Linux-only
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


@lru_cache(maxsize=1)
def _gpu_probe() -> tuple[bool, str | None, float | None, str]:
    """Import CuPy and run a tiny kernel; returns ``(usable, name, memory GiB, reason)``."""
    try:
        # CuPy may warn at import (e.g. CUDA path not found); under ``-W error`` that would turn
        # into an exception half-way through its import, so warnings are silenced here and the
        # kernel below decides whether the GPU is usable.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import cupy
    except ImportError:
        return False, None, None, (
            "CuPy is not installed (the `gpu` extra: `uv sync --extra dev --extra gpu`)")
    except Exception as exc:  # a broken CuPy install must not break detection
        return False, None, None, f"CuPy failed to import ({type(exc).__name__}: {exc})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Without a driver or device, ``import cupy`` still works; the first kernel launch
            # raises CUDARuntimeError (a RuntimeError) or a compiler error, so run one.
            total = int((cupy.arange(4) * 2).sum())
            if total != 12:
                return False, None, None, f"the CuPy test kernel returned {total} instead of 12"
            device = cupy.cuda.Device()
            props = cupy.cuda.runtime.getDeviceProperties(device.id)
            name = props["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            memory = device.mem_info[1] / GIB
    except Exception as exc:
        return False, None, None, (
            f"CuPy is installed but no CUDA GPU is usable ({type(exc).__name__}: {exc})")
    return True, name, memory, f"CUDA device 0 ({name}) ran the CuPy test kernel"


@lru_cache(maxsize=1)
def detect() -> Hardware:
    """Detect cores, memory and a usable CUDA GPU (once per process; the result is cached).

    Returns
    -------
    Hardware
        What was found; never raises for missing hardware or libraries.
    """
    memory = psutil.virtual_memory()
    gpu, gpu_name, gpu_memory, reason = _gpu_probe()
    return Hardware(
        cores=cpu_cores(),
        memory_gb=memory.total / GIB,
        available_gb=memory.available / GIB,
        gpu=gpu,
        gpu_name=gpu_name,
        gpu_memory_gb=gpu_memory,
        reason=reason,
    )


def batch_backend() -> str:
    """The back end for batch cost evaluation: ``"cupy"`` or ``"numba"``.

    ``TT_BACKEND`` wins when set; otherwise CuPy is chosen when :func:`detect` found a usable GPU.

    Raises
    ------
    HardwareSettingError
        ``TT_BACKEND`` is not one of ``numba``, ``cupy``, ``auto``, or asks for CuPy without a
        usable GPU.
    """
    requested = os.environ.get("TT_BACKEND", "").strip().lower()
    if requested in ("", "auto"):
        return "cupy" if detect().gpu else "numba"
    if requested not in BACKENDS:
        raise HardwareSettingError(
            f"TT_BACKEND={os.environ['TT_BACKEND']!r} is not a back end; use one of "
            f"{', '.join(BACKENDS)} or auto, or unset TT_BACKEND")
    if requested == "cupy":
        hardware = detect()
        if not hardware.gpu:
            raise HardwareSettingError(
                f"TT_BACKEND=cupy but the GPU cannot be used: {hardware.reason}. "
                f"To fix it, {CUPY_INSTALL_HINT} on a machine with a CUDA GPU, "
                "or set TT_BACKEND=numba")
    return requested


def recommended_workers() -> int:
    """Number of parallel workers: ``TT_WORKERS`` when set, else the usable cores (at least 1).

    Raises
    ------
    HardwareSettingError
        ``TT_WORKERS`` is not a whole number of at least 1.
    """
    raw = os.environ.get("TT_WORKERS", "").strip()
    if not raw:
        return cpu_cores()
    try:
        workers = int(raw)
    except ValueError:
        workers = 0
    if workers < 1:
        raise HardwareSettingError(
            f"TT_WORKERS={os.environ['TT_WORKERS']!r} is not a whole number of at least 1; "
            "set e.g. TT_WORKERS=2, or unset it to use every core")
    return workers


def describe() -> str:
    """One line for the CLI and the apps: cores, memory, GPU, batch back end and workers.

    Raises
    ------
    HardwareSettingError
        When ``TT_BACKEND`` or ``TT_WORKERS`` is invalid (the line would otherwise be misleading).
    """
    hw = detect()
    if hw.gpu:
        gpu = f"GPU {hw.gpu_name} ({hw.gpu_memory_gb:.1f} GiB)"
    else:
        gpu = f"no GPU ({hw.reason})"
    return (f"{hw.cores} core{'s' if hw.cores != 1 else ''}, {hw.memory_gb:.1f} GiB memory "
            f"({hw.available_gb:.1f} GiB free); {gpu}; batch back end: {batch_backend()}, "
            f"workers: {recommended_workers()}")
