"""Hardware detection, the TT_BACKEND / TT_WORKERS overrides and ``tt hardware``."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import sys
import types

import pytest

from tt_core import cli, hardware
from tt_core.errors import TimetableError
from tt_core.hardware import HardwareSettingError

CUPY_INSTALLED = importlib.util.find_spec("cupy") is not None


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Every test starts without the user's overrides."""
    monkeypatch.delenv("TT_BACKEND", raising=False)
    monkeypatch.delenv("TT_WORKERS", raising=False)


@pytest.fixture
def fresh_probe():
    """Forget cached detections so a test can probe again, and forget its fake results after."""
    hardware.detect.cache_clear()
    hardware._gpu_probe.cache_clear()
    yield
    hardware.detect.cache_clear()
    hardware._gpu_probe.cache_clear()


# --- real detection ----------------------------------------------------------------------------

def test_detect_reports_this_machine():
    hw = hardware.detect()
    affinity = len(os.sched_getaffinity(0))
    quota = hardware.cgroup_cpu_limit()
    expected = affinity if quota is None else min(affinity, math.ceil(quota))
    assert hw.cores == max(1, expected)
    assert hw.memory_gb > 0
    assert 0 < hw.available_gb <= hw.memory_gb
    assert hw.reason


def test_detect_is_cached_and_frozen():
    hw = hardware.detect()
    assert hardware.detect() is hw
    with pytest.raises(dataclasses.FrozenInstanceError):
        hw.cores = 64  # type: ignore[misc]


def test_no_gpu_is_reported_with_a_reason():
    hw = hardware.detect()
    if hw.gpu:
        pytest.skip("this machine has a usable GPU")
    assert hw.gpu_name is None and hw.gpu_memory_gb is None
    if not CUPY_INSTALLED:
        assert "CuPy is not installed" in hw.reason
        assert "--extra gpu" in hw.reason
    else:
        assert "no CUDA GPU is usable" in hw.reason


@pytest.mark.gpu
def test_gpu_is_detected_with_name_and_memory():
    hw = hardware.detect()
    if not hw.gpu:
        pytest.skip(f"no usable GPU: {hw.reason}")
    assert hw.gpu_name
    assert hw.gpu_memory_gb > 0
    assert hardware.batch_backend() == "cupy"


# --- the probe's fall-backs (CuPy replaced in sys.modules) ---------------------------------------

def test_probe_without_cupy_says_how_to_install(monkeypatch, fresh_probe):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes ``import cupy`` raise ImportError
    hw = hardware.detect()
    assert hw.gpu is False
    assert "CuPy is not installed" in hw.reason and "uv sync" in hw.reason


def test_probe_with_cupy_but_no_device_falls_back(monkeypatch, fresh_probe):
    # Without a driver, ``import cupy`` works and the first kernel raises CUDARuntimeError,
    # a RuntimeError subclass.
    fake = types.ModuleType("cupy")

    def arange(n):
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake.arange = arange
    monkeypatch.setitem(sys.modules, "cupy", fake)
    hw = hardware.detect()
    assert hw.gpu is False
    assert "no CUDA GPU is usable" in hw.reason and "cudaErrorNoDevice" in hw.reason
    assert hardware.batch_backend() == "numba"


def test_probe_survives_a_cupy_without_its_cuda_libraries(monkeypatch, fresh_probe):
    # A module whose attributes raise mimics a CuPy installed without its CUDA libraries.
    class Broken(types.ModuleType):
        def __getattr__(self, name):
            raise OSError("libcudart.so.12: cannot open shared object file")

    monkeypatch.setitem(sys.modules, "cupy", Broken("cupy"))
    hw = hardware.detect()
    assert hw.gpu is False
    assert "libcudart" in hw.reason


# --- cgroup quota --------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "expected"), [
    ("max 100000\n", None),
    ("150000 100000\n", 1.5),
    ("200000 100000", 2.0),
    ("garbage", None),
    ("-1 100000", None),
    ("", None),
])
def test_cgroup_cpu_limit_parses_cpu_max(tmp_path, content, expected):
    path = tmp_path / "cpu.max"
    path.write_text(content)
    assert hardware.cgroup_cpu_limit(path) == expected


def test_cgroup_cpu_limit_missing_file_is_unlimited(tmp_path):
    assert hardware.cgroup_cpu_limit(tmp_path / "absent") is None


# --- TT_BACKEND ----------------------------------------------------------------------------------

def test_backend_auto_follows_the_gpu(monkeypatch):
    expected = "cupy" if hardware.detect().gpu else "numba"
    assert hardware.batch_backend() == expected
    monkeypatch.setenv("TT_BACKEND", "auto")
    assert hardware.batch_backend() == expected


@pytest.mark.parametrize("value", ["numba", "NUMBA", " numba "])
def test_backend_numba_override(monkeypatch, value):
    monkeypatch.setenv("TT_BACKEND", value)
    assert hardware.batch_backend() == "numba"


def test_backend_cupy_without_gpu_says_how_to_install(monkeypatch):
    if hardware.detect().gpu:
        pytest.skip("this machine has a usable GPU")
    monkeypatch.setenv("TT_BACKEND", "cupy")
    with pytest.raises(HardwareSettingError) as info:
        hardware.batch_backend()
    message = str(info.value)
    assert "TT_BACKEND=cupy" in message
    assert "uv sync" in message and "--extra gpu" in message
    assert "TT_BACKEND=numba" in message
    assert isinstance(info.value, TimetableError)


def test_backend_unknown_value_lists_the_choices(monkeypatch):
    monkeypatch.setenv("TT_BACKEND", "opencl")
    with pytest.raises(HardwareSettingError, match=r"TT_BACKEND='opencl'.*numba, cupy"):
        hardware.batch_backend()


# --- TT_WORKERS ----------------------------------------------------------------------------------

def test_workers_default_to_the_cores():
    assert hardware.recommended_workers() == hardware.detect().cores >= 1


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), (" 16 ", 16)])
def test_workers_override(monkeypatch, value, expected):
    monkeypatch.setenv("TT_WORKERS", value)
    assert hardware.recommended_workers() == expected


@pytest.mark.parametrize("value", ["0", "-2", "abc", "2.5", "two"])
def test_workers_bad_value_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("TT_WORKERS", value)
    with pytest.raises(HardwareSettingError) as info:
        hardware.recommended_workers()
    assert f"TT_WORKERS={value!r}" in str(info.value)
    assert "at least 1" in str(info.value)


# --- describe and the CLI ------------------------------------------------------------------------

def test_describe_is_one_line_with_the_choices(monkeypatch):
    monkeypatch.setenv("TT_WORKERS", "5")
    monkeypatch.setenv("TT_BACKEND", "numba")
    hw = hardware.detect()
    line = hardware.describe()
    assert "\n" not in line
    assert line.startswith(f"{hw.cores} core")
    assert "batch back end: numba" in line and "workers: 5" in line
    assert ("GPU " + hw.gpu_name) in line if hw.gpu else "no GPU (" in line


def test_cli_hardware_prints_the_line(capsys):
    assert cli.main(["hardware"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == hardware.describe()


def test_cli_hardware_json(capsys, monkeypatch):
    monkeypatch.setenv("TT_WORKERS", "4")
    assert cli.main(["hardware", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    hw = hardware.detect()
    assert found["cores"] == hw.cores and found["gpu"] == hw.gpu
    assert found["workers"] == 4
    assert found["batch_backend"] in hardware.BACKENDS


def test_cli_hardware_bad_setting_is_a_message_not_a_traceback(capsys, monkeypatch):
    monkeypatch.setenv("TT_WORKERS", "lots")
    assert cli.main(["hardware"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: TT_WORKERS='lots'")
    assert "Traceback" not in err
