"""`kpidsl test`: run a consultant's own `.feature` files with the bundled step library.

The client's folder holds only a ruleset, data and features — no Python.  For
each feature file the runner writes a two-line pytest-bdd binding into a
temporary folder and runs pytest there in a child process (a fresh interpreter:
nothing leaks between runs, and any working directory will do).  Plugin
autoloading is switched off and exactly three plugins are loaded: pytest-bdd,
the step library and the recorder (`kpidsl.specs.report`), which writes one JSON
record per scenario.  This module turns the records into the readable report,
in each feature's language, and into JUnit XML for CI systems.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpidsl.specs.words import Lang, msg

_LANGUAGE_LINE = re.compile(r"^\s*#\s*language\s*:\s*([\w-]+)", re.IGNORECASE)


class UsageError(Exception):
    """The command cannot start: no such path, or no features in it."""


class InputError(Exception):
    """A path that was named cannot be opened (exit 1, like any input problem)."""


@dataclass
class FeatureProblem:
    """A feature file that cannot be run at all (bad Gherkin)."""

    file: Path
    message: str
    language: Lang


@dataclass
class ScenarioOutcome:
    feature_file: Path
    feature: str
    feature_keyword: str
    language: Lang
    keyword: str
    name: str
    line: int
    example: dict[str, str]
    outcome: str  # passed | failed | skipped
    kind: str | None = None  # failure | error | not_found
    step: str | None = None
    step_line: int | None = None
    message: str = ""
    duration: float = 0.0
    named_by_example: bool = False

    @property
    def title(self) -> str:
        """The scenario's name; an outline row adds its examples' values unless the name has them."""
        if self.example and not self.named_by_example:
            return f"{self.name} [{' | '.join(self.example.values())}]"
        return self.name

    def explanation(self) -> str:
        """Why it failed, in the feature's language."""
        if self.kind == "not_found":
            return msg("step_not_found", self.language)
        if self.kind == "error":
            return msg("step_error", self.language, message=self.message)
        return self.message


@dataclass
class Run:
    files: list[Path]
    scenarios: list[ScenarioOutcome] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)

    @property
    def failed(self) -> list[ScenarioOutcome]:
        return [s for s in self.scenarios if s.outcome == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems


def find_features(paths: Sequence[str | Path]) -> list[Path]:
    """Every `.feature` file in `paths` (files or folders, searched recursively), in order."""
    from kpidsl.base.files import kind, named_problem

    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        what = kind(path)
        if what == "error":
            raise InputError(named_problem(path))
        if what == "missing":
            raise UsageError(f"{path}: no such file or folder")
        if what == "dir":
            found.extend(sorted(p for p in path.rglob("*.feature") if p.is_file()))
        elif path.suffix == ".feature":
            found.append(path)
        else:
            raise UsageError(f"{path}: not a .feature file")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise UsageError("no .feature files found in " + ", ".join(str(p) for p in paths))
    return unique


def feature_language(path: Path) -> Lang:
    """The `# language:` header (Russian or English; anything else reads as English)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                m = _LANGUAGE_LINE.match(line)
                if m:
                    return "ru" if m.group(1).lower().startswith("ru") else "en"
                if line.strip() and not line.lstrip().startswith("#"):
                    break
    except (OSError, UnicodeDecodeError):
        pass
    return "en"


def _readable(path: Path) -> FeatureProblem | None:
    """Parse the feature first, so a Gherkin mistake is reported by itself."""
    from pytest_bdd.exceptions import GherkinParseError
    from pytest_bdd.feature import get_feature

    lang = feature_language(path)
    try:
        feature = get_feature(str(path.parent), path.name)
    except GherkinParseError as exc:
        where = f"{msg('at_line', lang, line=exc.line)}: " if exc.line else ""
        text = f"{where}{exc.message} «{exc.line_content.strip()}»" if lang == "ru" else \
            f'{where}{exc.message} "{exc.line_content.strip()}"'
        return FeatureProblem(path, msg("feature_syntax", lang, message=text), lang)
    except (OSError, UnicodeDecodeError) as exc:
        return FeatureProblem(path, msg("feature_syntax", lang, message=str(exc)), lang)
    if not feature.scenarios:
        return FeatureProblem(path, msg("no_scenarios", lang), lang)
    return None


_BINDING = '''"""Generated by `kpidsl test`: binds one feature file to kpidsl's step library."""
from pytest_bdd import scenarios

scenarios({path!r}, features_base_dir={folder!r})
'''
_INI = """[pytest]
disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true
"""


def run_features(files: list[Path], timeout: float | None = None) -> Run:
    """Run the features in a child pytest process; the outcome of every scenario."""
    run = Run(files)
    runnable = []
    for path in files:
        problem = _readable(path)
        if problem is not None:
            run.problems.append(problem)
        else:
            runnable.append(path)
    if not runnable:
        return run
    with tempfile.TemporaryDirectory(prefix="kpidsl-test-") as tmp:
        work = Path(tmp)
        (work / "pytest.ini").write_text(_INI, encoding="utf-8")
        for number, path in enumerate(runnable, 1):
            binding = _BINDING.format(path=str(path), folder=str(path.parent))
            (work / f"test_spec_{number:04d}.py").write_text(binding, encoding="utf-8")
        results = work / "results.json"
        command = [
            sys.executable, "-m", "pytest", str(work),
            "-c", str(work / "pytest.ini"), "--rootdir", str(work), f"--basetemp={work / 'tmp'}",
            "-p", "pytest_bdd.plugin", "-p", "kpidsl.specs.plugin", "-p", "kpidsl.specs.report",
            "-p", "no:cacheprovider", "-q", "--no-header", "-o", "console_output_style=classic",
            f"--kpidsl-results={results}",
        ]
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONIOENCODING="utf-8")
        env.pop("PYTEST_ADDOPTS", None)
        # The consultant's folder stays the working directory, so paths in messages read as they typed them.
        done = subprocess.run(command, cwd=Path.cwd(), env=env, capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=timeout)
        if not results.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"pytest stopped before running the specs (exit {done.returncode}):\n{tail}")
        records = json.loads(results.read_text(encoding="utf-8"))
    run.scenarios = [_outcome(r) for r in records]
    return run


def _outcome(record: dict[str, Any]) -> ScenarioOutcome:
    lang: Lang = "ru" if str(record.get("language", "en")).startswith("ru") else "en"
    return ScenarioOutcome(
        feature_file=Path(record.get("feature_file", "")),
        feature=record.get("feature", ""),
        feature_keyword=record.get("feature_keyword", ""),
        language=lang,
        keyword=record.get("keyword", ""),
        name=record.get("scenario", record.get("nodeid", "")),
        line=int(record.get("line", 0)),
        example=dict(record.get("example", {})),
        outcome=record.get("outcome", "failed"),
        kind=record.get("kind"),
        step=record.get("step"),
        step_line=record.get("step_line"),
        message=record.get("message", "") or "",
        duration=float(record.get("duration", 0.0)),
        named_by_example=bool(record.get("named_by_example", False)),
    )


# ---------------------------------------------------------------- reports
def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def render_text(run: Run) -> str:
    """Per feature, per scenario: ✓ or ✗; for a failure the step and expected vs actual."""
    out: list[str] = []
    by_file: dict[Path, list[ScenarioOutcome]] = {}
    for s in run.scenarios:
        by_file.setdefault(s.feature_file, []).append(s)
    problems = {p.file: p for p in run.problems}
    for path in run.files:
        if path in problems:
            out.append(f"{_shown(path)}")
            out.append(f"  ✗ {problems[path].message}")
            out.append("")
            continue
        scenarios = by_file.get(path, [])
        if not scenarios:
            continue
        first = scenarios[0]
        out.append(f"{_shown(path)}: {first.feature_keyword}: {first.feature}")
        for s in scenarios:
            mark = {"passed": "✓", "skipped": "-"}.get(s.outcome, "✗")
            out.append(f"  {mark} {s.keyword}: {s.title}")
            if s.outcome == "failed":
                if s.step:
                    where = msg("at_line", s.language, line=s.step_line)
                    out.append(f"      {where}: {s.step}")
                for line in s.explanation().splitlines():
                    out.append(f"      {line}")
        out.append("")
    out.append(summary(run))
    return "\n".join(out) + "\n"


def summary(run: Run) -> str:
    langs = {s.language for s in run.scenarios} | {p.language for p in run.problems}
    lang: Lang = "ru" if langs == {"ru"} else "en"
    passed = sum(1 for s in run.scenarios if s.outcome == "passed")
    skipped = sum(1 for s in run.scenarios if s.outcome == "skipped")
    text = msg("summary", lang, total=len(run.scenarios), passed=passed, failed=len(run.failed))
    if skipped:
        text += msg("summary_skipped", lang, skipped=skipped)
    if run.problems:
        text += msg("summary_broken", lang, broken=len(run.problems))
    return text


def render_junit(run: Run) -> str:
    """JUnit XML: a testsuite per feature, a testcase per scenario (outline rows one each)."""
    root = ET.Element("testsuites", name="kpidsl test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    by_file: dict[Path, list[ScenarioOutcome]] = {}
    for s in run.scenarios:
        by_file.setdefault(s.feature_file, []).append(s)
    problems = {p.file: p for p in run.problems}
    total_time = 0.0
    for path in run.files:
        scenarios = by_file.get(path, [])
        name = scenarios[0].feature if scenarios else path.stem
        suite = ET.SubElement(root, "testsuite", name=name, file=_shown(path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite_time = 0.0
        if path in problems:
            case = ET.SubElement(suite, "testcase", classname=name, name=path.name, file=_shown(path))
            ET.SubElement(case, "error", message=problems[path].message).text = problems[path].message
            counts["tests"] += 1
            counts["errors"] += 1
        for s in scenarios:
            case = ET.SubElement(suite, "testcase", classname=s.feature, name=s.title, file=_shown(path),
                                 line=str(s.line), time=f"{s.duration:.3f}")
            counts["tests"] += 1
            suite_time += s.duration
            if s.outcome == "failed":
                tag = "failure" if s.kind == "failure" else "error"
                counts["failures" if tag == "failure" else "errors"] += 1
                detail = s.explanation()
                if s.step:
                    detail = f"{msg('at_line', s.language, line=s.step_line)}: {s.step}\n{detail}"
                first = s.explanation().splitlines()[0] if s.explanation() else tag
                ET.SubElement(case, tag, message=first, type="AssertionError" if tag == "failure" else "error"
                              ).text = detail
            elif s.outcome == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{suite_time:.3f}")
        total_time += suite_time
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
