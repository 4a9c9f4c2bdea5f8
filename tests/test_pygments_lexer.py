"""The Pygments lexer (kpidsl/language/pygments_lexer.py): no error token on any shipped ruleset
or any ```kpi block of the docs, the right token types for keywords, names (Cyrillic too),
numbers and operators, and its registration as the `pygments.lexers` entry point `kpidsl`."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("pygments", reason="the Pygments lexer needs `pip install 'kpidsl[pygments]'`")

from pygments.token import Error, Keyword, Name, Number, Operator, String, Token

from kpidsl.language.pygments_lexer import DECLARATION_WORDS, KpidslLexer
from kpidsl.language.syntax import keywords

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted([*ROOT.glob("rulesets/*.kpi"), *ROOT.glob("rulesets/std/*.kpi"),
                   *ROOT.glob("kpidsl/specs/scaffold/*.kpi"), ROOT / "editors/vscode/test/sample.kpi"])
DIAGNOSTICS = re.compile(r"<!-- diagnostics:begin -->.*?<!-- diagnostics:end -->", re.S)


def tokens(text: str) -> list[tuple[object, str]]:
    return [(kind, value) for kind, value in KpidslLexer().get_tokens(text) if value.strip()]


def errors(text: str) -> list[str]:
    return [value for kind, value in KpidslLexer().get_tokens(text) if kind in Error]


def docs_blocks() -> list[tuple[str, str]]:
    """The ```kpi blocks of README.md and docs/*.md, less the catalogue of diagnostics, whose
    examples are wrong on purpose."""
    blocks = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = DIAGNOSTICS.sub("", path.read_text(encoding="utf-8"))
        found = re.findall(r"^```kpi\n(.*?)^```", text, re.S | re.M)
        blocks += [(f"{path.name} #{i + 1}", block) for i, block in enumerate(found)]
    return blocks


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_error_token_in_a_shipped_ruleset(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert errors(text) == []
    assert "".join(v for _, v in KpidslLexer().get_tokens(text)) == text  # nothing lost or added


def test_no_error_token_in_the_docs_kpi_blocks() -> None:
    blocks = docs_blocks()
    assert len(blocks) >= 20
    assert [(where, errors(block)) for where, block in blocks if errors(block)] == []


def test_text_the_parser_rejects_is_an_error_token() -> None:
    assert errors("fact revenue 'Выручка' unit RUB") == ["'", "'"]
    assert errors("fact revenue «Выручка» unit RUB") == ["«Выручка»"]
    assert errors('fact revenue "Выручка\nunit RUB') == ["\n"]


def test_keywords_and_cyrillic_names() -> None:
    got = tokens('metric доля_лидов "Доля лидов" = клиенты ÷ лиды × 100 unit percent better higher')
    assert got == [
        (Keyword.Declaration, "metric"), (Name.Function, "доля_лидов"),
        (String.Double, '"'), (String.Double, "Доля лидов"), (String.Double, '"'),
        (Operator, "="), (Name, "клиенты"), (Operator, "÷"), (Name, "лиды"), (Operator, "×"),
        (Number.Integer, "100"), (Keyword, "unit"), (Name.Constant, "percent"),
        (Keyword, "better"), (Keyword.Constant, "higher"),
    ]
    assert tokens("role менеджер { }")[1] == (Name.Class, "менеджер")
    assert tokens('employee "Иванов Пётр" role менеджер')[-2:] == [(Keyword.Declaration, "role"), (Name, "менеджер")]
    # A Cyrillic name that starts with a keyword's letters is one name.
    assert tokens("kpiвыручка")[0] == (Name, "kpiвыручка")


def test_numbers_dates_and_operators() -> None:
    got = tokens("goal 80% by 2026-12-31 target 450_000 baseline -2% x ≤ 1.5e3 → 0 ≠ ≥")
    assert (Number, "80%") in got and (Token.Literal.Date, "2026-12-31") in got
    assert (Number.Integer, "450_000") in got and (Number, "2%") in got and (Number.Float, "1.5e3") in got
    assert [v for k, v in got if k is Operator] == ["-", "≤", "→", "≠", "≥"]


def test_a_keyword_where_only_a_name_fits_is_a_name() -> None:
    got = tokens("scheme s { index = weight * min(attainment, 1.5) bonus = plan_bonus * (1 + index - weight) }")
    assert got[:2] == [(Keyword.Declaration, "scheme"), (Name.Class, "s")]
    assert [v for k, v in got if k is Name.Builtin.Pseudo] == ["index", "weight", "attainment", "plan_bonus",
                                                                "index", "weight"]
    assert (Name.Builtin, "min") in got and (Name, "bonus") in got
    assert tokens("kpi roas weight 0.3 target 20")[2] == (Keyword, "weight")


def test_every_keyword_is_highlighted_as_one() -> None:
    assert keywords() >= DECLARATION_WORDS
    for word in sorted(keywords()):
        (kind, value), *_ = tokens(f"{word} x")
        assert value == word and (kind in Keyword or kind in Operator.Word), word


def test_the_entry_point_names_the_lexer() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pygments.lexers"]["kpidsl"] == "kpidsl.language.pygments_lexer:KpidslLexer"
    assert {"kpi", "kpidsl"} <= set(KpidslLexer.aliases) and KpidslLexer.filenames == ["*.kpi"]
    installed = [e for e in metadata.entry_points(group="pygments.lexers") if e.name == "kpidsl"]
    if not installed:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the installed kpidsl does not register its Pygments lexer")
        pytest.skip("the installed kpidsl predates its Pygments entry point (reinstall with pip install .)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert type(get_lexer_by_name("kpi")).__name__ == "KpidslLexer"
    assert type(get_lexer_for_filename("client.kpi")).__name__ == "KpidslLexer"
