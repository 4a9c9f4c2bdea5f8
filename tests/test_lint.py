"""Types and lint as habits: `mypy` (strict, the package ships `py.typed`) and `ruff check`
find nothing.  Both read their configuration from pyproject.toml (`[tool.mypy]`,
`[tool.ruff]`); this test runs them in the suite so that CI fails on a new finding, and
prints the findings when it does.  Neither writes a cache into the repository: mypy's
goes to a temporary folder, ruff runs without one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mypy.api
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_finds_nothing_in_the_package(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("mypy-cache")
    out, err, status = mypy.api.run(["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache),
                                     str(ROOT / "kpidsl")])
    assert status == 0, f"mypy found problems:\n{out}{err}"


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                           "kpidsl", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"ruff found problems:\n{done.stdout}{done.stderr}"
