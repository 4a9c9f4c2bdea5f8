"""The installed package works outside the source tree: grammar and rulesets ship inside it.

Runs the console entry point from a temporary folder, so Python imports kpidsl from
site-packages (in CI that is the non-editable `pip install .`), not from this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_installed(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from kpidsl.cli.main import main; sys.argv[0] = 'kpidsl'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_installed_package_checks_a_ruleset_importing_the_standard_library(tmp_path: Path) -> None:
    ruleset = tmp_path / "client.kpi"
    shutil.copy(ROOT / "rulesets" / "seed_marketing.kpi", ruleset)  # it imports std/marketing
    done = run_installed(["check", str(ruleset)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_tests_a_real_install_not_the_checkout(tmp_path: Path) -> None:
    """In CI the package under test must be the built wheel, with its own grammar folder."""
    if os.environ.get("CI") != "true":
        pytest.skip("only meaningful in CI, where the README's test command installs non-editable")
    probe = subprocess.run([sys.executable, "-c", "import kpidsl; print(kpidsl.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    installed = Path(probe.stdout.strip()).parent
    assert installed != ROOT / "kpidsl" and "site-packages" in installed.parts, installed
    assert (installed / "grammar" / "kpidsl.lark").is_file()
    assert (installed / "rulesets" / "std" / "marketing.kpi").is_file()
