"""The pytest side of `kpidsl test`: one record per scenario, written as JSON.

Loaded with `-p kpidsl.specs.report` in the pytest process that `kpidsl test`
starts.  It notes which scenario each test is, which step failed and why (the
step library's message, in the feature's language) and the outcome, then writes
everything to the file named by `--kpidsl-results`.  The parent process turns
the records into the readable report and JUnit XML; pytest's own output is not
shown to the consultant.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from kpidsl.output.atomic import write_atomic

_RECORD = pytest.StashKey[dict[str, Any]]()
_RECORDS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--kpidsl-results", default=None, help="write scenario results (JSON) to this file")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RECORDS] = []


def _record(item: pytest.Item) -> dict[str, Any]:
    record = item.stash.get(_RECORD, None)
    if record is None:
        record = {"nodeid": item.nodeid, "outcome": "passed", "started": time.perf_counter()}
        item.stash[_RECORD] = record
    return record


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    record = _record(request.node)
    example = getattr(getattr(request.node, "callspec", None), "params", {}).get("_pytest_bdd_example", {})
    # An outline whose name uses the examples' values (`LTV <LTV>`) already names its row.
    template = next((t for t in feature.scenarios.values() if t.line_number == scenario.line_number), None)
    record.update(
        named_by_example=template is not None and template.name != scenario.name,
        feature_file=str(Path(feature.filename).resolve()),
        feature=feature.name,
        feature_keyword=feature.keyword,
        language=feature.language,
        keyword=scenario.keyword,
        scenario=scenario.name,
        line=scenario.line_number,
        example=dict(example),
    )


def _step_fields(step: Any) -> dict[str, Any]:
    return {"step": f"{step.keyword.strip()} {step.name}", "step_line": step.line_number}


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                          step_func: Any, step_func_args: Any, exception: BaseException) -> None:
    record = _record(request.node)
    record.update(_step_fields(step))
    if isinstance(exception, AssertionError):
        record.update(kind="failure", message=str(exception) or type(exception).__name__)
    else:
        record.update(kind="error", message=f"{type(exception).__name__}: {exception}")


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_step_func_lookup_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                                      exception: BaseException) -> None:
    record = _record(request.node)
    record.update(_step_fields(step))
    record.update(kind="not_found", message="")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    record = _record(item)
    if report.failed:
        record["outcome"] = "failed"
        if "kind" not in record:  # failed outside a step (a fixture, pytest itself)
            lines = report.longreprtext.strip().splitlines()
            record.update(kind="error", message=lines[-1] if lines else report.when)
    elif report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
    if report.when == "teardown":
        record["duration"] = round(time.perf_counter() - record.pop("started"), 3)
        item.config.stash[_RECORDS].append(record)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--kpidsl-results")
    if not target:
        return
    payload = json.dumps(session.config.stash[_RECORDS], ensure_ascii=False, indent=1)
    write_atomic(target, payload)  # the one atomic writer: a reader never sees half a file
