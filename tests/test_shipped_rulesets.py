"""Every ruleset we ship checks without errors and is in canonical format."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpidsl.api import check_file
from kpidsl.language.fmt import format_ruleset
from kpidsl.language.parse import parse

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*ROOT.glob("rulesets/**/*.kpi"), *ROOT.glob("kpidsl/specs/scaffold/**/*.kpi")])


def test_the_shipped_rulesets_are_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"seed_marketing.kpi", "marketing.kpi"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_ruleset_checks_without_errors(path: Path) -> None:
    checked = check_file(path)
    assert [f"{d.location}: {d.code} {d.message}" for d in checked.diagnostics if d.is_error] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_ruleset_is_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree, diagnostics = parse(text, str(path))
    assert tree is not None, diagnostics
    assert format_ruleset(tree, text) == text, f"run `kpidsl fmt -w {path.relative_to(ROOT)}`"
