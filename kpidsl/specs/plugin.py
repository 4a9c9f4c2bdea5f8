"""The pytest plugin (entry point `pytest11`): kpidsl's step library for any feature file.

Installed with kpidsl, it makes every step of `kpidsl.specs.steps` available to
pytest-bdd, in Russian and English, with no Python in the client's folder.  Each
scenario gets a fresh `kpidsl_spec` context that knows its feature file (relative
paths start at the feature's folder) and the line of the step being run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpidsl.specs import steps  # noqa: F401  (declares every step)
from kpidsl.specs.context import SpecContext
from kpidsl.specs.templates import CONTEXT_FIXTURE, register

_FEATURE = pytest.StashKey[Path]()
_STEP_LINE = pytest.StashKey[int]()
_CONTEXT = pytest.StashKey[SpecContext]()

register()  # the step definitions become fixtures of this module


@pytest.fixture(name=CONTEXT_FIXTURE)
def kpidsl_spec(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SpecContext:
    """The scenario's ruleset, facts, period and results."""
    feature = request.node.stash.get(_FEATURE, None)
    context = SpecContext(
        base_dir=feature.parent if feature is not None else Path.cwd(),
        feature_file=feature,
        make_tmp=lambda: tmp_path_factory.mktemp("spec", numbered=True),
    )
    # The first step to use the context creates it: it starts at that step's line.
    context.step_line = request.node.stash.get(_STEP_LINE, 0)
    request.node.stash[_CONTEXT] = context
    return context


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    request.node.stash[_FEATURE] = Path(feature.filename).resolve()


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                           step_func: Any) -> None:
    request.node.stash[_STEP_LINE] = step.line_number
    context = request.node.stash.get(_CONTEXT, None)
    if context is not None:
        context.step_line = step.line_number
