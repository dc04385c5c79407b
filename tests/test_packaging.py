"""The set-up files agree with pyproject.toml, and the ``tt`` command starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml  # PyYAML: a dependency of dask, hence always installed
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI distribution they provide.
CONDA_TO_PYPI = {
    "python-duckdb": "duckdb",
    "playwright-python": "playwright",
}
# Entries of environment.yml that are not project dependencies.
CONDA_ONLY = {"python", "pip"}


def pyproject_requirements() -> dict[str, str]:
    """Runtime and dev requirements of pyproject.toml: canonical name -> specifier string.

    An extra such as ``dask[distributed]`` stands for both ``dask`` and ``distributed`` (conda
    has no extras), with the same version bounds.
    """
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found: dict[str, str] = {}
    for line in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(line)
        for name in [req.name, *sorted(req.extras)]:
            found[canonicalize_name(name)] = str(req.specifier)
    return found


def environment_requirements() -> dict[str, str]:
    """Conda and pip entries of environment.yml: canonical PyPI name -> specifier string."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    entries: list[str] = []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            entries += [e for e in item["pip"] if not e.startswith("-e")]
        else:
            entries.append(item)
    found: dict[str, str] = {}
    for entry in entries:
        # conda's ``python=3.11`` pin is not PEP 508; every other entry is written as one.
        if entry.split("=")[0] in CONDA_ONLY:
            continue
        req = Requirement(entry)
        name = canonicalize_name(CONDA_TO_PYPI.get(req.name, req.name))
        assert name not in found, f"environment.yml lists {name} twice"
        found[name] = str(req.specifier)
    return found


def test_environment_yml_lists_every_dependency():
    wanted, present = pyproject_requirements(), environment_requirements()
    missing = sorted(set(wanted) - set(present))
    assert not missing, f"environment.yml lacks {missing} (listed in pyproject.toml)"


def test_environment_yml_lists_nothing_else():
    extra = sorted(set(environment_requirements()) - set(pyproject_requirements()))
    assert not extra, f"environment.yml lists {extra}, which pyproject.toml does not"


def test_environment_yml_keeps_the_version_bounds():
    wanted, present = pyproject_requirements(), environment_requirements()
    different = {name: (spec, present.get(name)) for name, spec in wanted.items()
                 if name in present and spec != present[name]}
    assert not different, f"version bounds differ (pyproject, environment.yml): {different}"


def test_environment_yml_installs_the_project_and_python_311():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert pip_sections and "-e ." in pip_sections[0]
    assert "python=3.11" in env["dependencies"]


def test_tt_help_runs():
    done = subprocess.run([sys.executable, "-m", "tt_core.cli", "--help"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "usage: tt" in done.stdout
    assert "hardware" in done.stdout


def test_tt_console_script_runs():
    script = Path(sys.executable).parent / "tt"
    if not script.exists():
        pytest.skip(f"no `tt` script beside {sys.executable} (project not installed here)")
    done = subprocess.run([str(script), "hardware"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "batch back end:" in done.stdout


def test_ci_and_scripts_are_executable():
    for path in (REPO / ".ci" / "run", REPO / "scripts" / "install-browser.sh"):
        assert path.is_file(), f"{path} is missing"
        assert os.access(path, os.X_OK), f"{path} is not executable (chmod +x)"
        check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, f"{path}: {check.stderr}"


def test_install_browser_can_be_skipped():
    env = {**os.environ, "TT_SKIP_BROWSER": "1"}
    done = subprocess.run([str(REPO / "scripts" / "install-browser.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "TT_SKIP_BROWSER" in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_syncs_the_locked_env_with_the_extras(tmp_path):
    # A dry run against an empty folder shows what `make test` would do on a fresh machine.
    venv = tmp_path / "venv"
    done = subprocess.run(["make", "-n", "test", f"VENV={venv}", "EXTRAS=dev gpu"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "sync --locked --extra dev --extra gpu" in done.stdout
    assert f"{venv}/bin/python -m pytest" in done.stdout
    assert "scripts/install-browser.sh" in done.stdout
